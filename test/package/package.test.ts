// The published package, as a consumer gets it: build dist/, `npm pack`, install the tarball into an empty project,
// type-check a strict consumer (nodenext and bundler resolution) and the README's usage examples, run the consumer
// against the mocks, check the tarball with @arethetypeswrong/cli, and weigh one client and one receiver bundle.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../scripts/build.ts';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { startMock, type RunningMock } from '../support/mock.ts';
import { bundledSpec } from '../support/contract.ts';

interface Run {
  code: number;
  stdout: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(command, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolveRun({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

const bin = (tool: string) => join(projectRoot, 'node_modules', '.bin', tool);
const apis = loadApis();
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));

/** The ```ts blocks of README.md's "## Usage" section, by the subpath each imports (`redex`, then `redex-2`, ...). */
export function readmeExamples(readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')): Map<string, string> {
  const start = readme.indexOf('\n## Usage');
  if (start < 0) return new Map();
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const examples = new Map<string, string>();
  for (const code of blocks) {
    const subpath = /from 'partner-api-contracts\/([\w-]+)'/.exec(code)?.[1] ?? '?';
    let key = subpath;
    for (let count = 2; examples.has(key); count++) key = `${subpath}-${count}`;
    examples.set(key, code);
  }
  return examples;
}

const STRICT = {
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  // Check the package's own .d.ts files too, not only the consumer's code.
  skipLibCheck: false,
  types: [],
  rootDir: 'src',
};

let scratch: string;
let consumer: string;
let tarball: string;
let packed: { files: { path: string }[]; size: number; unpackedSize: number; entryCount: number };
const mocks = new Map<string, RunningMock>();
let nodenext: Run;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'package-test-'));
  // Only the dist stage: a full `npm run build` (what prepack runs) would rewrite generated/ while other test files
  // read it. generated/ itself is kept fresh by the drift test.
  await build({ only: 'dist', log: () => {} });
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], projectRoot);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`);
  [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  tarball = join(scratch, (packed as unknown as { filename: string }).filename);

  consumer = join(scratch, 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const install = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], consumer);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.output}`);

  const smoke = readFileSync(join(import.meta.dirname, 'consumer', 'smoke.ts'), 'utf8');
  writeFileSync(join(consumer, 'src', 'smoke.ts'), smoke.replace(/^\/\/ @ts-nocheck.*\n/, ''));
  writeFileSync(join(consumer, 'run.mjs'), readFileSync(join(import.meta.dirname, 'consumer', 'run.mjs')));
  for (const [id, code] of readmeExamples()) writeFileSync(join(consumer, 'src', `readme-${id}.ts`), code);
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { ...STRICT, module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'build' }, include: ['src'] }, null, 2),
  );
  writeFileSync(
    join(consumer, 'tsconfig.bundler.json'),
    JSON.stringify({ compilerOptions: { ...STRICT, module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, include: ['src'] }, null, 2),
  );
  // Compiled once: the nodenext check emits build/, which the run test executes.
  [nodenext] = await Promise.all([
    run(bin('tsc'), ['-p', 'tsconfig.json'], consumer),
    ...apis.map(async (api) => void mocks.set(api.id, await startMock(api.id))),
  ]);
});

afterAll(async () => {
  await Promise.all([...mocks.values()].map((mock) => mock.close()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed partner-api-contracts', () => {
  it('package.json: one subpath per API with types and import conditions, files whitelist, no side effects, openapi-fetch the only dependency', () => {
    for (const api of apis) {
      expect(manifest.exports[`./${api.id}`]).toEqual({
        types: `./dist/generated/${api.id}/index.d.ts`,
        import: `./dist/generated/${api.id}/index.js`,
      });
    }
    expect(manifest.name).toBe('partner-api-contracts');
    expect(manifest.files).toEqual(['dist', 'README.md']);
    expect(manifest.sideEffects).toBe(false);
    expect(Object.keys(manifest.dependencies)).toEqual(['openapi-fetch']);
    expect(manifest.scripts.prepack).toBe('npm run build');
  });

  it('holds dist/, README.md and package.json only, with every subpath\'s modules and no ajv', () => {
    const files = packed.files.map((file) => file.path).sort();
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual(['README.md', 'package.json']);
    for (const api of apis) {
      for (const name of ['index.js', 'index.d.ts', 'client.js', 'client.d.ts', 'schema.d.ts']) {
        expect(files).toContain(`dist/generated/${api.id}/${name}`);
      }
    }
    expect(files).toContain('dist/runtime/client.js');
    expect(files).toContain('dist/runtime/webhooks.js');
    const installed = readFileSync(join(consumer, 'node_modules', 'partner-api-contracts', 'dist', 'generated', 'hanchuess', 'webhook-validators.js'), 'utf8');
    expect(installed).not.toMatch(/require\(|from ["']ajv/);
    console.info(`tarball: ${packed.size} B packed, ${packed.unpackedSize} B unpacked, ${packed.entryCount} files`);
  });

  it('README has a usage example per API, importing that API\'s subpath', () => {
    const subpaths = new Set([...readmeExamples().keys()].map((key) => key.replace(/-\d+$/, '')));
    expect([...subpaths].sort()).toEqual(apis.map((api) => api.id).sort());
  });

  it('a strict consumer and the README examples type-check with moduleResolution nodenext (and compile)', () => {
    expect(nodenext.output).toBe('');
    expect(nodenext.code).toBe(0);
  });

  it('the same files type-check with moduleResolution bundler', async () => {
    const result = await run(bin('tsc'), ['-p', 'tsconfig.bundler.json'], consumer);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('the compiled consumer calls one operation per API against the mocks and parses one webhook per pushing API', async () => {
    expect(nodenext.code, nodenext.output).toBe(0);
    const examples = (bundledSpec('bajie-charging').components as any).examples;
    const spark = JSON.stringify((bundledSpec('energy-coordination').components as any).examples['delivery-updated-power-level'].value);
    const secret = 'webhook-secret';
    const config = {
      baseUrls: Object.fromEntries(apis.map((api) => [api.id, mocks.get(api.id)!.baseUrlFor(String((bundledSpec(api.id).servers as { url: string }[])[0]!.url))])),
      secret,
      fixtures: {
        bajie: JSON.stringify(examples['push-battery-abnormal-warning'].value),
        bajieInvalid: JSON.stringify({ ...examples['push-battery-abnormal-warning'].value, eventData: { faultType: 'x' } }),
        hanchuess: JSON.stringify((bundledSpec('hanchuess').components as any).examples['delivery-inverter-data-telemetry'].value),
        vtn: JSON.stringify((bundledSpec('openadr3-vtn').components as any).examples.Notification.value),
        spark,
        sparkSignature: createHmac('sha256', secret).update(spark).digest('base64'),
      },
    };
    const result = await run(process.execPath, ['run.mjs', JSON.stringify(config)], consumer);
    expect(result.code, result.output).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.redex).toEqual({ status: 200, installation: 'Kong Meng San Phor Kark See Monastery' });
    expect(report['bajie-charging']).toEqual({ status: 200, pushUrl: 'https://receiving.push.com/event' });
    expect(report.hanchuess).toEqual({ status: 200 });
    expect(report['openadr3-vtn'].status).toBe(200);
    expect(report['energy-coordination'].status).toBe(200);
    expect(report.servers.redex).toBe('https://uat-api.redex.eco');
    expect(report.webhooks).toEqual({
      bajie: 'abnormal FECF007552',
      hanchuess: ['inverter:data:telemetry'],
      unknown: 'unknown cabinetEventPush CABINET_FLOODED',
      unknownStrict: expect.stringMatching(/^WebhookValidationError: event: must be one of "CABINET_ONLINE", /),
      vtn: 'POST SUBSCRIPTION',
      spark: 'Update',
      invalid: {
        bajie: 'WebhookValidationError: eventData.faultType: must be integer',
        hanchuess: 'WebhookValidationError: data: is required',
        vtn: 'WebhookValidationError: (body): must be object',
        sparkWrongSignature: 'WebhookSignatureError: X-Payload-Signature: does not match the body (HMAC-SHA256 with the configured secret)',
        sparkMissingSignature: 'WebhookSignatureError: X-Payload-Signature: is required when a secret is configured, and is missing',
      },
      errorClass: true,
    });
  });

  it('@arethetypeswrong/cli finds no problem for an ESM-only package', async () => {
    const result = await run(bin('attw'), ['--pack', tarball, '--profile', 'esm-only', '--format', 'json'], projectRoot);
    expect(result.code, result.output).toBe(0);
    const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
    // esm-only ignores node10 and CommonJS require(); everything else must be clean.
    const problems = Object.values((report.problems ?? {}) as Record<string, { resolutionKind?: string }[]>)
      .flat()
      .filter((problem) => !['node10', 'node16-cjs'].includes(problem.resolutionKind ?? ''));
    expect(problems).toEqual([]);
  });

  it('size: one API client (retries, timeouts, paginate, clientCredentials) adds at most 3 kB gzip beyond openapi-fetch, one API\'s webhook receivers at most 6 kB', async () => {
    const gzip = async (contents: string) => {
      const result = await esbuild({
        stdin: { contents, resolveDir: consumer, loader: 'js' },
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'neutral',
        write: false,
        logLevel: 'silent',
      });
      return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
    };
    const baseline = await gzip(`import createClient from 'openapi-fetch'; export const c = createClient({ baseUrl: 'https://x' });`);
    const sizes: Record<string, string> = {};
    for (const api of apis) {
      // With all of it: retries and timeouts are in every client, paginate where the API pages, tokens on Bearer APIs.
      const client = await gzip(
        `import * as api from 'partner-api-contracts/${api.id}'; export const c = api.createClient({ auth: { token: 't' } }); export const extras = [api.clientCredentials, api.TimeoutError, api.PaginationError, api.OAuthError];`,
      );
      const module = await import(join(consumer, 'node_modules', 'partner-api-contracts', 'dist', 'generated', api.id, 'index.js'));
      const receivers = Object.keys(module).filter((name) => /^parse[A-Z]/.test(name));
      const receiver = receivers.length ? await gzip(`export { ${receivers.join(', ')} } from 'partner-api-contracts/${api.id}';`) : 0;
      sizes[api.id] = `client +${client - baseline} B, receivers ${receiver} B`;
      expect(client - baseline, `${api.id} client`).toBeLessThanOrEqual(3 * 1024);
      expect(receiver, `${api.id} receivers`).toBeLessThanOrEqual(6 * 1024);
    }
    console.info(`gzip sizes (openapi-fetch alone ${baseline} B): ${JSON.stringify(sizes)}`);
  });
});
