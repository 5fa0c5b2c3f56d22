// Builds dist/, what the package publishes: runtime/ and generated/<api>/(client|webhooks|index).ts compiled by
// tsc -p tsconfig.build.json to ESM JavaScript and .d.ts, plus the generated files tsc does not emit
// (schema.d.ts, webhook-validators.js and .d.ts), copied next to them.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEntry } from '../lib/apis.ts';
import { generatedDir } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';

const COPIED = ['schema.d.ts', 'webhook-validators.js', 'webhook-validators.d.ts'];

export function distStep(apis: ApiEntry[], root: string): Step {
  const dist = join(root, 'dist');
  return {
    name: 'dist',
    inputs: [
      `${root}/package.json`,
      `${root}/runtime`,
      `${root}/tsconfig.build.json`,
      `${root}/package-lock.json`,
      `${root}/scripts/steps/dist.ts`,
      ...apis.map((api) => generatedDir(root, api.id)),
    ],
    outputs: [dist],
    async run() {
      // Every API is a package subpath; a new API without its exports entry would silently not be published.
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
      const missing = apis.filter((api) => !manifest.exports?.[`./${api.id}`]).map((api) => api.id);
      if (missing.length > 0) {
        const example = missing.map((id) => `"./${id}": { "types": "./dist/generated/${id}/index.d.ts", "import": "./dist/generated/${id}/index.js" }`);
        throw new StepError('package.json', `"exports" has no entry for ${missing.join(', ')}; add ${example.join(', ')}`);
      }
      rmSync(dist, { recursive: true, force: true });
      const result = await execTool('tsc', ['-p', 'tsconfig.build.json'], root);
      if (result.code !== 0) throw new StepError('tsconfig.build.json', `tsc failed:\n${toolOutputTail(result, 30)}`);
      for (const api of apis) {
        const from = generatedDir(root, api.id);
        const to = join(dist, 'generated', api.id);
        mkdirSync(to, { recursive: true });
        for (const file of COPIED) if (existsSync(join(from, file))) copyFileSync(join(from, file), join(to, file));
      }
    },
  };
}
