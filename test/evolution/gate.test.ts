// The breaking-change gate of `npm test`: the specs may differ from the latest v* tag by a breaking change only
// when package.json's major (minor while 0.x) has moved. Checked on this repository, and on a fixture git
// repository made in a temp folder (tags, versions and spec edits under the test's control), including the
// `npm run contract-diff` command itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { allowsBreaking, latestReleaseTag, nextBreakingVersion, releaseGate, resolveBase } from '../../scripts/lib/contract-diff/index.ts';

describe('the breaking-change gate on this repository', () => {
  it('passes: no breaking change since the latest v* tag without a version move (or no tag in this clone)', async () => {
    const result = await releaseGate(projectRoot);
    console.log(result.message);
    expect(result.ok, result.message).toBe(true);
    if (!latestReleaseTag(projectRoot)) expect(result.message).toMatch(/no v\* tag/);
  });
});

describe('version arithmetic', () => {
  it('a breaking change needs a new major, or a new minor while at 0.x', () => {
    expect(allowsBreaking('1.2.3', '1.3.0')).toBe(false);
    expect(allowsBreaking('1.2.3', '2.0.0')).toBe(true);
    expect(allowsBreaking('0.1.0', '0.1.5')).toBe(false);
    expect(allowsBreaking('0.1.0', '0.2.0')).toBe(true);
    expect(allowsBreaking('0.1.0', '1.0.0')).toBe(true);
    expect(allowsBreaking('2.0.0', '1.9.0')).toBe(false);
    expect(nextBreakingVersion('0.1.0')).toBe('0.2.0');
    expect(nextBreakingVersion('1.4.2')).toBe('2.0.0');
  });
});

const SPEC = `openapi: 3.1.0
info:
  title: Demo
  version: '1'
  description: A fixture API.
  license: { name: UNLICENSED, identifier: UNLICENSED }
servers:
  - url: https://demo.example/v1
security:
  - bearer: []
paths:
  /items:
    get:
      operationId: listItems
      summary: List items
      description: All items.
      parameters:
        - name: page
          in: query
          required: false
          schema: { type: integer, minimum: 1 }
      responses:
        '200':
          description: The items.
          content:
            application/json:
              schema:
                type: array
                items: { $ref: '#/components/schemas/Item' }
webhooks:
  itemChanged:
    post:
      operationId: receiveItemChanged
      summary: Item changed
      description: Sent when an item changes.
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Item' }
      responses:
        '200': { description: Received. }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
  schemas:
    Item:
      type: object
      description: An item.
      required: [id, name]
      properties:
        id: { type: string, description: The id. }
        name: { type: string, description: The name. }
`;

class FixtureRepo {
  readonly dir = mkdtempSync(join(tmpdir(), 'gate-fixture-'));

  constructor() {
    mkdirSync(join(this.dir, 'specs', 'demo'), { recursive: true });
    writeFileSync(join(this.dir, 'redocly.yaml'), 'apis:\n  demo:\n    root: specs/demo/openapi.yaml\n');
    this.write(SPEC);
    this.version('1.2.0');
    this.git('init', '-q', '-b', 'main');
    this.commit('first');
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
    });
  }

  write(spec: string): void {
    writeFileSync(join(this.dir, 'specs', 'demo', 'openapi.yaml'), spec);
  }

  version(version: string): void {
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'demo', version }, null, 2) + '\n');
  }

  commit(message: string): void {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('the gate on a fixture repository', () => {
  let repo: FixtureRepo;
  beforeAll(() => {
    repo = new FixtureRepo();
  });
  afterAll(() => repo.remove());

  it('passes and says so when the clone has no v* tag', async () => {
    const result = await releaseGate(repo.dir);
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/no v\* tag in this clone/);
    expect(resolveBase(repo.dir).reason).toBe('first commit (no v* tag)');
  });

  it('passes after a release when nothing changed', async () => {
    repo.git('tag', 'v1.2.0');
    const result = await releaseGate(repo.dir);
    expect(result.message).toBe('breaking-change gate: no breaking change since v1.2.0');
    expect(result.ok).toBe(true);
  });

  it('passes a non-breaking change (a new optional field) without a version move', async () => {
    repo.write(SPEC.replace('        name: { type: string, description: The name. }\n', '        name: { type: string, description: The name. }\n        colour: { type: string, description: The colour. }\n'));
    const result = await releaseGate(repo.dir);
    expect(result.ok, result.message).toBe(true);
    const changes = result.report!.apis[0]!.changes;
    expect(changes.map((change) => `${change.level} ${change.kind}`)).toContain('non-breaking new-optional-field');
  });

  it('fails on a removed response field while the major has not moved, naming the change and the fix', async () => {
    repo.write(SPEC.replace('        name: { type: string, description: The name. }\n', '').replace('required: [id, name]', 'required: [id]'));
    repo.commit('drop name');
    const result = await releaseGate(repo.dir);
    expect(result.ok).toBe(false);
    expect(result.message).toContain('demo: removed received field `[].name`');
    expect(result.message).toContain('at GET /items › response 200 (application/json) › [].name');
    expect(result.message).toContain('demo: removed received field `name`');
    expect(result.message).toContain('at webhook itemChanged (POST) › request body (application/json) › name');
    expect(result.message).toContain('set "version" in package.json to 2.0.0');
    expect(result.message).toContain('npm run changelog');
  });

  it('still fails after a minor bump, passes after the major bump', async () => {
    repo.version('1.3.0');
    expect((await releaseGate(repo.dir)).ok).toBe(false);
    repo.version('2.0.0');
    const result = await releaseGate(repo.dir);
    expect(result.ok, result.message).toBe(true);
    expect(result.message).toMatch(/package.json is at 2.0.0.*allowed/);
  });

  it('while at 0.x a minor bump is enough', async () => {
    repo.write(SPEC);
    repo.version('0.3.0');
    repo.commit('0.3.0');
    repo.git('tag', 'v0.3.0');
    repo.git('tag', 'not-a-release');
    // A required query parameter appears: breaking for the requests we send.
    repo.write(SPEC.replace('required: false', 'required: true'));
    repo.version('0.3.1');
    // The latest tag is the highest version reachable from HEAD, whatever the order of tagging.
    expect(latestReleaseTag(repo.dir)).toBe('v1.2.0');
    repo.git('tag', '-d', 'v1.2.0');
    expect(latestReleaseTag(repo.dir)).toBe('v0.3.0');
    const failed = await releaseGate(repo.dir);
    expect(failed.ok).toBe(false);
    expect(failed.message).toContain('query parameter page is now required');
    expect(failed.message).toContain('to 0.4.0 (a new major; the minor while at 0.x)');
    repo.version('0.4.0');
    expect((await releaseGate(repo.dir)).ok).toBe(true);
  });

  it('npm run contract-diff exits 1 naming a removed field, 0 for a non-breaking change', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts', 'contract-diff.ts'), '--root', repo.dir, ...args], {
        cwd: projectRoot,
        encoding: 'utf8',
      });
    repo.write(SPEC.replace('        id: { type: string, description: The id. }\n', '').replace('required: [id, name]', 'required: [name]'));
    const breaking = run('--base', 'v0.3.0', 'demo');
    expect(breaking.stderr).toBe('');
    expect(breaking.status).toBe(1);
    expect(breaking.stdout).toContain('contract-diff against v0.3.0 (--base,');
    expect(breaking.stdout).toContain('BREAKING     removed received field `[].id`');
    expect(breaking.stdout).toContain('at GET /items › response 200 (application/json) › [].id');
    expect(breaking.stdout).toMatch(/breaking change\(s\) since v0\.3\.0\n$/);

    repo.write(SPEC.replace('description: All items.', 'description: Every item, oldest first.'));
    const fine = run('demo');
    expect(fine.status, fine.stdout + fine.stderr).toBe(0);
    expect(fine.stdout).toContain('contract-diff against v0.3.0 (latest v* tag,');
    expect(fine.stdout).toContain('demo: 0 breaking, 0 non-breaking, 1 annotation');
    expect(fine.stdout).toContain('no breaking change since v0.3.0');

    const unknown = run('nope');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown API id "nope"; known ids: demo');
  });

  it('an API that is not in the base is reported as new, not as changes', async () => {
    const result = await releaseGate(repo.dir);
    expect(result.report!.apis.map((api) => api.status)).toEqual(['compared']);
    const first = repo.git('rev-list', '--max-parents=0', 'HEAD').trim();
    writeFileSync(join(repo.dir, 'redocly.yaml'), 'apis:\n  demo:\n    root: specs/demo/openapi.yaml\n  other:\n    root: specs/demo/openapi.yaml\n');
    const { contractDiff } = await import('../../scripts/lib/contract-diff/index.ts');
    const report = await contractDiff({ root: repo.dir, base: first });
    // `other` uses a root that existed at the first commit, so it is compared; a root that did not is `new`.
    expect(report.apis.map((api) => api.id)).toEqual(['demo', 'other']);
    writeFileSync(join(repo.dir, 'redocly.yaml'), 'apis:\n  demo:\n    root: specs/demo/openapi.yaml\n  later:\n    root: specs/later/openapi.yaml\n');
    mkdirSync(join(repo.dir, 'specs', 'later'));
    writeFileSync(join(repo.dir, 'specs', 'later', 'openapi.yaml'), readFileSync(join(repo.dir, 'specs', 'demo', 'openapi.yaml')));
    const later = await contractDiff({ root: repo.dir, base: first });
    expect(later.apis.find((api) => api.id === 'later')).toEqual({ id: 'later', status: 'new', changes: [] });
  });
});
