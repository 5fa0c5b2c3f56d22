// Builds one Redoc page per API into docs/<api>/index.html from a docs-only copy of the bundle that carries the
// code samples (x-codeSamples from generated/<api>/code-samples.ts) and the API's NOTES.md as the section "About
// this contract", so generated/<api>/openapi.json stays clean and every "see About this contract" has a target.
// Redoc is inlined and web fonts are off, so the page works offline and from any static host.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiEntry } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { codeSamplesPath, type OperationSample } from './code-samples.ts';

export const docsDir = (root: string) => join(root, 'docs');

// Redoc shows only the sample languages it is told about (curl and Payload by default); the labels match ours.
const REDOC_OPTIONS = JSON.stringify({
  disableGoogleFont: true,
  codeSamples: { languages: [{ lang: 'curl' }, { lang: 'TypeScript' }, { lang: 'Payload' }] },
});

// The sidebar's "API docs by Redocly" badge loads its logo from Redocly's CDN and has no option to turn it off:
// point it at an inline SVG instead, so the page makes no request to another origin.
const CDN_LOGO = /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g;
const INLINE_LOGO = `data:image/svg+xml,${encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" width="52" height="14"><text x="0" y="11" font-family="sans-serif" font-size="11" fill="#444">Redocly</text></svg>`,
)}`;

/** The bundle with each operation's samples added; webhooks and callbacks get none. */
export function withCodeSamples(spec: Record<string, any>, samples: OperationSample[], file: string) {
  const copy = structuredClone(spec);
  for (const sample of samples) {
    const operation = copy.paths?.[sample.path]?.[sample.method];
    if (!operation) throw new StepError(file, `no operation ${sample.method.toUpperCase()} ${sample.path} in the bundle; run npm run generate`);
    operation['x-codeSamples'] = [
      { lang: 'Shell', label: 'curl', source: sample.curl },
      { lang: 'TypeScript', label: 'TypeScript', source: sample.typescript },
    ];
  }
  return copy;
}

export const ABOUT_HEADING = 'About this contract';

/**
 * The docs copy's description with the notes appended under "About this contract": the notes' own title is
 * dropped, their `##` sections stay, so Redoc lists them in the sidebar under that heading.
 */
export function withAboutThisContract(spec: Record<string, any>, notes: string) {
  const copy = structuredClone(spec);
  const body = notes
    .replace(/^\s*# [^\n]*\n/, '')
    // Redoc's sidebar cuts a heading at its first code span: headings go plain.
    .replace(/^(#{2,6} .*)$/gm, (heading) => heading.replace(/`/g, ''))
    .trim();
  copy.info = { ...copy.info, description: `${String(copy.info?.description ?? '').trimEnd()}\n\n# ${ABOUT_HEADING}\n\n${body}\n` };
  return copy;
}

/** The favicon, from a page one folder below the site's root (static hosts may serve the site under a prefix). */
const FAVICON_LINK = '<link rel="icon" href="../favicon.ico" sizes="32x32">';

export function docsPageStep(api: ApiEntry, root: string): Step {
  const input = bundlePath(root, api.id);
  const samplesFile = codeSamplesPath(root, api.id);
  const pageDir = join(docsDir(root), api.id);
  const page = join(pageDir, 'index.html');
  const download = join(pageDir, 'openapi.json');
  const notesFile = join(root, api.specDir, 'NOTES.md');
  return {
    name: `docs ${api.id}`,
    inputs: [input, samplesFile, notesFile, `${root}/package-lock.json`, `${root}/scripts/steps/docs.ts`],
    outputs: [page, download],
    async run() {
      const { codeSamples } = (await import(pathToFileURL(samplesFile).href)) as { codeSamples: OperationSample[] };
      const notes = readFileSync(notesFile, 'utf8');
      const spec = withAboutThisContract(withCodeSamples(JSON.parse(readFileSync(input, 'utf8')), codeSamples, samplesFile), notes);
      const scratch = mkdtempSync(join(tmpdir(), `docs-${api.id}-`));
      try {
        const docsSpec = join(scratch, 'openapi.json');
        const built = join(scratch, 'index.html');
        writeFileSync(docsSpec, JSON.stringify(spec, null, 2));
        const result = await execTool('redocly', ['build-docs', docsSpec, '--output', built, '--inlineBundle', '--openapi', REDOC_OPTIONS], root);
        if (result.code !== 0) throw new StepError(input, `redocly build-docs failed:\n${toolOutputTail(result)}`);
        // Written next to the page and renamed over it, so a server never hands out a half-done page.
        mkdirSync(pageDir, { recursive: true });
        writeFileSync(`${page}.tmp`, readFileSync(built, 'utf8').replace(CDN_LOGO, INLINE_LOGO).replace('</head>', `${FAVICON_LINK}</head>`));
        renameSync(`${page}.tmp`, page);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      // The download is the clean bundle the clients and mocks use, without the samples.
      copyFileSync(input, download);
    },
  };
}
