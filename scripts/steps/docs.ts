// Builds one Redoc page per API into docs/<api>/index.html, with Redoc inlined so the page works offline.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEntry } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';

export function docsPageStep(api: ApiEntry, root: string): Step {
  const input = bundlePath(root, api.id);
  const pageDir = join(root, 'docs', api.id);
  const page = join(pageDir, 'index.html');
  const download = join(pageDir, 'openapi.json');
  return {
    name: `docs ${api.id}`,
    inputs: [input, `${root}/package-lock.json`, `${root}/scripts/steps/docs.ts`],
    outputs: [page, download],
    async run() {
      mkdirSync(pageDir, { recursive: true });
      const result = await execTool(
        'redocly',
        ['build-docs', input, '--output', page, '--inlineBundle', '--openapi.disableGoogleFont=true'],
        root,
      );
      if (result.code !== 0) throw new StepError(input, `redocly build-docs failed:\n${toolOutputTail(result)}`);
      copyFileSync(input, download);
    },
  };
}
