// Bundles one hand-written spec (many YAML files) into generated/<api>/openapi.json with the pinned Redocly CLI.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';

export const bundlePath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'openapi.json');

export function bundleStep(api: ApiEntry, root: string, outRoot: string): Step {
  const output = bundlePath(outRoot, api.id);
  return {
    name: `bundle ${api.id}`,
    inputs: [`${root}/redocly.yaml`, `${root}/package-lock.json`, `${root}/${api.specDir}`],
    outputs: [output],
    async run() {
      const scratch = mkdtempSync(join(tmpdir(), `bundle-${api.id}-`));
      try {
        const scratchFile = join(scratch, 'openapi.json');
        const result = await execTool('redocly', ['bundle', api.id, '--output', scratchFile], root);
        if (result.code !== 0) throw new StepError(api.root, `redocly bundle failed:\n${toolOutputTail(result)}`);
        const bundled = JSON.parse(readFileSync(scratchFile, 'utf8'));
        mkdirSync(generatedDir(outRoot, api.id), { recursive: true });
        writeFileSync(output, JSON.stringify(bundled, null, 2) + '\n');
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}
