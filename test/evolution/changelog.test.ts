// `npm run changelog` and the reference site's per-API changes: the section written per version and API, its
// replacement on a re-run, the round trip through CHANGELOG.md, and the index page showing each API's changes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { parseChangelog, renderChangelogSection, upsertChangelogSection } from '../../scripts/lib/contract-diff/changelog.ts';
import type { DiffReport } from '../../scripts/lib/contract-diff/index.ts';
import { indexEntry, indexHtml } from '../../scripts/steps/docs-index.ts';

const report: DiffReport = {
  base: { ref: 'v1.0.0', sha: 'a'.repeat(40), reason: 'latest v* tag' },
  apis: [
    {
      id: 'redex',
      status: 'compared',
      changes: [
        { level: 'breaking', kind: 'removed-field', location: 'GET /devices › response 200 (application/json) › Data[].Id', message: 'removed received field `Data[].Id`', path: [] },
        { level: 'non-breaking', kind: 'new-operation', location: 'GET /sites', message: 'new operation GET /sites', path: [] },
        { level: 'annotation', kind: 'annotation', location: 'GET /sites', message: 'changed description', path: [] },
      ],
    },
    { id: 'hanchuess', status: 'compared', changes: [] },
    { id: 'spark', status: 'new', changes: [] },
  ],
};

describe('CHANGELOG.md sections', () => {
  it('renders one subsection per API, breaking first, with locations', () => {
    const section = renderChangelogSection(report, '2.0.0', '2026-11-23');
    expect(section).toContain('## 2.0.0 (2026-11-23)\n\nCompared with v1.0.0 (latest v* tag).');
    expect(section).toContain('### redex\n\nBreaking:\n\n- removed received field `Data[].Id` (GET /devices › response 200 (application/json) › Data[].Id)\n\nNon-breaking:\n\n- new operation GET /sites (GET /sites)\n\nAnnotation-only:\n\n- changed description (GET /sites)');
    expect(section).toContain('### hanchuess\n\n- No contract changes.');
    expect(section).toContain('### spark\n\n- New API (not in v1.0.0).');
  });

  it('a re-run replaces its own version, a new version goes on top', () => {
    const first = upsertChangelogSection('', 'Unreleased', renderChangelogSection(report, 'Unreleased', '2026-11-20'));
    expect(first).toMatch(/^# Changelog\n/);
    const again = upsertChangelogSection(first, 'Unreleased', renderChangelogSection({ ...report, apis: [report.apis[1]!] }, 'Unreleased', '2026-11-21'));
    expect(again.match(/^## /gm)).toHaveLength(1);
    expect(again).toContain('## Unreleased (2026-11-21)');
    expect(again).not.toContain('### redex');
    const next = upsertChangelogSection(again, '2.0.0', renderChangelogSection(report, '2.0.0', '2026-11-22'));
    expect([...next.matchAll(/^## (.+)$/gm)].map((match) => match[1])).toEqual(['2.0.0 (2026-11-22)', 'Unreleased (2026-11-21)']);
  });

  it("reads back per API, newest release first, with each line's level", () => {
    const text = upsertChangelogSection(upsertChangelogSection('', '1.0.0', renderChangelogSection({ ...report, apis: [{ id: 'redex', status: 'new', changes: [] }] }, '1.0.0', '2026-01-01')), '2.0.0', renderChangelogSection(report, '2.0.0', '2026-11-22'));
    const redex = parseChangelog(text).get('redex')!;
    expect(redex.map((entry) => entry.version)).toEqual(['2.0.0', '1.0.0']);
    expect(redex[0]!.lines.map((line) => line.level)).toEqual(['breaking', 'non-breaking', 'annotation']);
    expect(redex[0]!.lines[0]!.text).toBe('removed received field `Data[].Id` (GET /devices › response 200 (application/json) › Data[].Id)');
    expect(redex[1]!.lines).toEqual([{ level: 'note', text: 'New API (not in v1.0.0).' }]);
  });

  it("the repository's CHANGELOG.md names every API in its newest section", () => {
    const apis = parseChangelog(readFileSync(join(projectRoot, 'CHANGELOG.md'), 'utf8'));
    for (const id of ['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex']) {
      expect(apis.get(id)?.length, id).toBeGreaterThan(0);
    }
  });
});

describe('the reference site shows each API its changes', () => {
  it('the index card of an API lists its releases and marks breaking changes', () => {
    const spec = JSON.parse(readFileSync(join(projectRoot, 'generated', 'redex', 'openapi.json'), 'utf8'));
    const changes = parseChangelog(upsertChangelogSection('', '2.0.0', renderChangelogSection(report, '2.0.0', '2026-11-22'))).get('redex');
    const html = indexHtml([{ ...indexEntry('redex', spec), changes: changes! }]);
    expect(html).toContain('<section class="changes"><h3>Changes</h3><details class="release" open><summary>2.0.0 <span class="date">2026-11-22</span> <span class="level breaking">breaking</span></summary>');
    expect(html).toContain('<li class="breaking"><span class="level">breaking</span> removed received field <code>Data[].Id</code> (GET /devices › response 200 (application/json) › Data[].Id)</li>');
    expect(html).toContain('<li class="non-breaking"><span class="level">non-breaking</span> new operation GET /sites (GET /sites)</li>');
    expect(indexHtml([indexEntry('redex', spec)])).not.toContain('class="changes"');
  });
});

describe('npm run changelog on a fixture repository', () => {
  it('writes the changes since the last tag under the new version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'changelog-fixture-'));
    try {
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=F', '-c', 'user.email=f@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { cwd: dir });
      mkdirSync(join(dir, 'specs', 'demo'), { recursive: true });
      writeFileSync(join(dir, 'redocly.yaml'), 'apis:\n  demo:\n    root: specs/demo/openapi.yaml\n');
      const spec = (extra: string) =>
        `openapi: 3.1.0\ninfo: { title: Demo, version: '1' }\npaths:\n  /items:\n    get:\n      responses:\n        '200':\n          description: Items.\n${extra}`;
      writeFileSync(join(dir, 'specs', 'demo', 'openapi.yaml'), spec(''));
      writeFileSync(join(dir, 'package.json'), '{ "name": "demo", "version": "1.0.0" }\n');
      git('init', '-q');
      git('add', '-A');
      git('commit', '-q', '-m', 'first');
      git('tag', 'v1.0.0');
      writeFileSync(join(dir, 'specs', 'demo', 'openapi.yaml'), spec("  /sites:\n    get:\n      responses:\n        '200':\n          description: Sites.\n"));
      writeFileSync(join(dir, 'package.json'), '{ "name": "demo", "version": "1.1.0" }\n');
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts', 'changelog.ts'), '--root', dir, '--date', '2026-11-23'], { cwd: projectRoot, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('CHANGELOG.md: 1.1.0 against v1.0.0 (latest v* tag): demo 1');
      const text = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
      expect(text).toContain('## 1.1.0 (2026-11-23)\n\nCompared with v1.0.0 (latest v* tag).\n\n### demo\n\nNon-breaking:\n\n- new operation GET /sites (GET /sites)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
