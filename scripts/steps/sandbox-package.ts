// Builds mocks/dist/, what the package `partner-api-sandbox` publishes: the library and the CLI bundled by esbuild
// into ESM JavaScript (its dependencies stay imports; Prism's chunk is loaded only when a command needs it), the
// .d.ts of the library by tsc, and under dist/apis/ each API's bundled spec, sandbox declaration (as JSON) and
// compiled validators (generated/<id>/sandbox-validators.js, read from beside the spec), with the catalogue the
// package reads them from. Prism's worker (mocks/sandbox/prism-worker.ts) is an entry of its own: the engine
// starts it from its file, dist/prism-worker.js, on the first request that needs Prism.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build as esbuild } from 'esbuild';
import { parse } from 'yaml';
import type { ApiEntry } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';
import { repositoryCatalogue } from '../lib/sandbox-catalogue.ts';
import { sandboxValidatorsJsPath } from './sandbox-validators.ts';

/** Relative imports in the emitted .d.ts keep the sources' `.ts`: consumers resolve `.js`. */
function rewriteDeclarationImports(dir: string) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
  }
}

export function sandboxPackageStep(apis: ApiEntry[], root: string): Step {
  const packageDir = join(root, 'mocks');
  const dist = join(packageDir, 'dist');
  return {
    name: 'sandbox package',
    inputs: [
      `${packageDir}/package.json`,
      `${packageDir}/tsconfig.types.json`,
      ...readdirSync(packageDir).filter((name) => name !== 'dist' && name !== 'node_modules').map((name) => join(packageDir, name)),
      `${root}/generated/sandbox-apis.ts`,
      ...apis.flatMap((api) => [join(root, 'generated', api.id, 'openapi.json'), sandboxValidatorsJsPath(root, api.id), join(root, api.specDir, 'sandbox.yaml')]),
      `${root}/scripts/steps/sandbox-package.ts`,
    ],
    outputs: [dist],
    async run() {
      rmSync(dist, { recursive: true, force: true });
      try {
        await esbuild({
          entryPoints: { index: join(packageDir, 'index.ts'), cli: join(packageDir, 'cli/main.ts'), 'prism-worker': join(packageDir, 'sandbox/prism-worker.ts') },
          outdir: dist,
          bundle: true,
          splitting: true,
          format: 'esm',
          platform: 'node',
          target: 'node20.19',
          packages: 'external',
          chunkNames: '[name]-[hash]',
          logLevel: 'silent',
        });
      } catch (error) {
        throw new StepError('mocks/index.ts', `esbuild failed: ${(error as Error).message}`);
      }
      const types = await execTool('tsc', ['-p', join(packageDir, 'tsconfig.types.json')], root);
      if (types.code !== 0) throw new StepError('mocks/tsconfig.types.json', `tsc failed:\n${toolOutputTail(types, 30)}`);
      rewriteDeclarationImports(join(dist, 'types'));
      const listed = [];
      for (const api of repositoryCatalogue(root).filter((entry) => apis.some((selected) => selected.id === entry.id))) {
        const folder = join(dist, 'apis', api.id);
        mkdirSync(folder, { recursive: true });
        copyFileSync(api.spec, join(folder, 'openapi.json'));
        copyFileSync(sandboxValidatorsJsPath(root, api.id), join(folder, 'sandbox-validators.js'));
        let declaration: unknown;
        try {
          declaration = parse(readFileSync(api.declaration, 'utf8'));
        } catch (error) {
          throw new StepError(relative(root, api.declaration), (error as Error).message);
        }
        writeFileSync(join(folder, 'sandbox.json'), JSON.stringify(declaration) + '\n');
        listed.push({ id: api.id, port: api.port, spec: `${api.id}/openapi.json`, declaration: `${api.id}/sandbox.json` });
      }
      writeFileSync(join(dist, 'apis', 'index.json'), JSON.stringify({ apis: listed }, null, 2) + '\n');
    },
  };
}
