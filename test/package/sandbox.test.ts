// The packed partner-api-sandbox as a partner team gets it: `npm pack -w mocks`, installed into an empty project,
// and there: the CLI (--help, --version, a usage error, start --json, a documented curl, Ctrl-C frees every port),
// the README's test-suite recipes type-checked and run as printed (vitest globalSetup, node:test), and a package
// that holds no TypeScript source and pulls in no dev dependency.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { build } from '../../scripts/build.ts';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { startRedis } from '../support/redis-server.ts';

interface Run {
  code: number;
  stdout: string;
  output: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(command, args, { cwd, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env } }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, output: `${stdout}${stderr}` });
    });
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolveProbe) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolveProbe(true)));
    socket.once('error', () => resolveProbe(false));
  });

/** The ```ts blocks of the README's sandbox section, in order: globalSetup, the vitest test, the node:test test. */
export function sandboxRecipes(readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')): string[] {
  const start = readme.indexOf('\n## The partner sandbox');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

const devDependencies = Object.keys(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).devDependencies);
const sandboxManifest = JSON.parse(readFileSync(join(projectRoot, 'mocks', 'package.json'), 'utf8'));
const bin = (tool: string) => join(projectRoot, 'node_modules', '.bin', tool);

let scratch: string;
let consumer: string;
let packedFiles: string[];
let installed: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sandbox-package-'));
  await build({ only: 'sandbox', log: () => {} });
  const pack = await run('npm', ['pack', '-w', 'mocks', '--ignore-scripts', '--json', '--pack-destination', scratch], projectRoot);
  if (pack.code !== 0) throw new Error(`npm pack -w mocks failed:\n${pack.output}`);
  const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  packedFiles = packed.files.map((file: { path: string }) => file.path);
  consumer = join(scratch, 'consumer');
  mkdirSync(consumer, { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'partner-team', private: true, type: 'module' }, null, 2));
  const install = await run('npm', ['install', '--save-dev', join(scratch, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], consumer);
  if (install.code !== 0) throw new Error(`npm install of the sandbox tarball failed:\n${install.output}`);
  installed = join(consumer, 'node_modules', 'partner-api-sandbox');
}, 240_000);

afterAll(() => scratch && rmSync(scratch, { recursive: true, force: true }));

describe('the packed partner-api-sandbox', () => {
  it('holds prebuilt JavaScript, its types and every API\'s files, and no TypeScript source', () => {
    expect(packedFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    for (const file of ['package.json', 'README.md', 'dist/cli.js', 'dist/index.js', 'dist/types/mocks/index.d.ts', 'dist/apis/index.json']) expect(packedFiles).toContain(file);
    const catalogue = JSON.parse(readFileSync(join(installed, 'dist', 'apis', 'index.json'), 'utf8')).apis as { id: string }[];
    expect(catalogue.map((api) => api.id)).toEqual(['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex']);
    for (const { id } of catalogue) expect(packedFiles).toEqual(expect.arrayContaining([`dist/apis/${id}/openapi.json`, `dist/apis/${id}/sandbox.json`]));
  });

  it('pulls in no dev dependency: none installed, and no bundled file imports one', () => {
    const present = readdirSync(join(consumer, 'node_modules'), { withFileTypes: true }).flatMap((entry) =>
      entry.name.startsWith('@') ? readdirSync(join(consumer, 'node_modules', entry.name)).map((name) => `${entry.name}/${name}`) : [entry.name],
    );
    const shared = Object.keys(sandboxManifest.dependencies);
    // Type packages come with Prism's own dependencies; the tools this repository builds and tests with must not.
    expect(present.filter((name) => devDependencies.includes(name) && !shared.includes(name) && !name.startsWith('@types/'))).toEqual([]);
    expect(present).not.toContain('partner-api-contracts');
    const code = readdirSync(join(installed, 'dist')).filter((name) => name.endsWith('.js')).map((name) => readFileSync(join(installed, 'dist', name), 'utf8')).join('\n');
    const imported = new Set([...code.matchAll(/(?:from|import\()\s*["']([^"'./][^"']*)["']/g)].map((match) => match[1]!.replace(/^(@[^/]+\/[^/]+|[^/]+).*$/, '$1')).filter((name) => !name.startsWith('node:')));
    expect([...imported].filter((name) => !shared.includes(name))).toEqual([]);
  });

  it('the CLI: --version, --help per command, and a usage error exits 2 with the usage', async () => {
    const cli = join(consumer, 'node_modules', '.bin', 'partner-api-sandbox');
    const version = await run(cli, ['--version'], consumer);
    expect(version).toMatchObject({ code: 0 });
    expect(version.stdout.trim()).toBe(sandboxManifest.version);
    for (const command of ['start', 'emit', 'proxy', 'check-receiver']) {
      const help = await run(cli, [command, '--help'], consumer);
      expect(help.code, help.output).toBe(0);
      expect(help.stdout).toContain(`usage: partner-api-sandbox ${command}`);
    }
    const wrong = await run(cli, ['start', '--port-base', 'lots'], consumer);
    expect(wrong.code).toBe(2);
    expect(wrong.output).toMatch(/--port-base lots is not a port number[\s\S]*usage: partner-api-sandbox start/);
  });

  it('start --json prints the URLs once every mock answers, the README\'s curl gets its answer, Ctrl-C frees every port', async () => {
    const child = spawn(join(consumer, 'node_modules', '.bin', 'partner-api-sandbox'), ['start', '--port-base', '0', '--json'], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const line = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error(`no --json line within 60 s:\n${stdout}${stderr}`)), 60_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('\n')) (clearTimeout(timer), resolveLine(stdout.split('\n')[0]!));
      });
      child.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${stdout}${stderr}`)));
    });
    const { urls } = JSON.parse(line) as { urls: Record<string, string> };
    expect(Object.keys(urls)).toEqual(['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex']);
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const curl = /^curl (.+4014\/public\/v2\/device-applications\/.+)$/m.exec(readme.slice(readme.indexOf('## The partner sandbox')))![1]!;
    const args = [...curl.matchAll(/'([^']*)'/g)].map((match) => match[1]!.replace('http://127.0.0.1:4014', urls.redex!));
    const answer = await run('curl', ['-s', '-w', '\\n%{http_code}', ...args.flatMap((arg) => (arg.startsWith('Authorization') ? ['-H', arg] : [arg]))], consumer);
    const [body, status] = answer.stdout.trim().split('\n');
    expect(status).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({ StatusCode: 200 });
    const ports = Object.values(urls).map((url) => Number(new URL(url).port));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    expect(code).toBe(0);
    expect(await Promise.all(ports.map(portOpen))).toEqual(ports.map(() => false));
  });

  it('start --store redis://…: the Redis client is imported only then (its own chunk, a dynamic import), and a create is in Redis before its 201', async () => {
    const files = readdirSync(join(installed, 'dist')).filter((name) => name.endsWith('.js'));
    const importers = files.filter((name) => readFileSync(join(installed, 'dist', name), 'utf8').includes('ioredis'));
    expect(importers).toEqual([expect.stringMatching(/^redis-store-.+\.js$/)]);
    const chunk = readFileSync(join(installed, 'dist', importers[0]!), 'utf8');
    expect(chunk).toContain('import("ioredis")');
    expect(chunk).not.toMatch(/from\s*["']ioredis["']/);
    const redis = await startRedis();
    const client = new Redis(redis.url, { lazyConnect: true });
    const child = spawn(join(consumer, 'node_modules', '.bin', 'partner-api-sandbox'), ['start', '--only', 'openadr3-vtn', '--port-base', '0', '--json', '--quiet', '--store', redis.url], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      child.stderr.on('data', (chunk) => (output += chunk));
      const line = await new Promise<string>((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`no --json line within 60 s:\n${output}`)), 60_000);
        child.stdout.on('data', (chunk) => {
          output += chunk;
          if (output.includes('{"urls"')) (clearTimeout(timer), resolveLine(output.slice(output.indexOf('{"urls"')).split('\n')[0]!));
        });
        child.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${output}`)));
      });
      const origin = JSON.parse(line).urls['openadr3-vtn'] as string;
      const created = await fetch(`${origin}/api/openadr/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: 'Bearer packaged', 'content-type': 'application/json' },
        body: JSON.stringify({ clientName: 'from-the-package', programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] }),
      });
      expect(created.status).toBe(201);
      await client.connect();
      const stored = await client.lrange('pas:{openadr3-vtn:bearer%3Apackaged}:c:subscriptions', 0, -1);
      expect(stored.map((text) => JSON.parse(text).item.clientName)).toContain('from-the-package');
    } finally {
      child.kill('SIGINT');
      await new Promise((resolveExit) => (child.exitCode === null ? child.once('exit', resolveExit) : resolveExit(null)));
      client.disconnect();
      await redis.close();
    }
  });

  it("the README's recipes type-check against the installed package and pass as printed (vitest globalSetup, node:test)", async () => {
    const [globalSetup, vitestTest, nodeTest] = sandboxRecipes();
    expect(nodeTest, 'three ts blocks in the README sandbox section').toBeDefined();
    // The recipes' own tools come from this repository's node_modules: nothing else is installed.
    symlinkSync(join(projectRoot, 'node_modules', 'vitest'), join(consumer, 'node_modules', 'vitest'), 'dir');
    if (!existsSync(join(consumer, 'node_modules', '@types', 'node'))) {
      mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
      symlinkSync(join(projectRoot, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'), 'dir');
    }
    writeFileSync(join(consumer, 'vitest.global-setup.ts'), globalSetup!);
    writeFileSync(join(consumer, 'spark.test.ts'), vitestTest!);
    writeFileSync(join(consumer, 'spark.node-test.ts'), nodeTest!);
    writeFileSync(join(consumer, 'vitest.config.ts'), "import { defineConfig } from 'vitest/config';\nexport default defineConfig({ test: { include: ['spark.test.ts'], globalSetup: ['./vitest.global-setup.ts'] } });\n");
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false, types: ['node'], outDir: 'build' }, include: ['*.ts'] }, null, 2),
    );
    const types = await run(bin('tsc'), ['-p', 'tsconfig.json'], consumer);
    expect(types.output).toBe('');
    // The two recipes start their own sandboxes on ports the system picks: they run side by side.
    const [vitest, nodeRun] = await Promise.all([
      run(join(consumer, 'node_modules', 'vitest', 'vitest.mjs'), ['run', '--root', consumer], consumer),
      run(process.execPath, ['--test', '--test-reporter=tap', join(consumer, 'build', 'spark.node-test.js')], consumer),
    ]);
    expect(vitest.code, vitest.output).toBe(0);
    expect(vitest.output).toMatch(/Tests +1 passed \(1\)/);
    expect(nodeRun.code, nodeRun.output).toBe(0);
    expect(nodeRun.output).toMatch(/^# pass 1$/m);
  });
});
