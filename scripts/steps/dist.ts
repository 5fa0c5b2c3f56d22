// Builds dist/, what the package publishes: runtime/ and generated/<api>/(client|webhooks|index).ts compiled by
// tsc -p tsconfig.build.json to ESM JavaScript and .d.ts, plus the generated files tsc does not emit
// (schema.d.ts, webhook-validators.js and .d.ts), copied next to them.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
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
      `${root}/runtime`,
      `${root}/tsconfig.build.json`,
      `${root}/package-lock.json`,
      `${root}/scripts/steps/dist.ts`,
      ...apis.map((api) => generatedDir(root, api.id)),
    ],
    outputs: [dist],
    async run() {
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
