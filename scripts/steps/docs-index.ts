// Writes docs/index.html: one entry per API in redocly.yaml, from its bundle's info. Plain HTML and inline CSS,
// relative links only, no script and no web font, so it works offline and from any static host.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEntry } from '../lib/apis.ts';
import type { Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { docsDir } from './docs.ts';
import { METHODS } from './code-samples.ts';
import { parseChangelog, type ApiChangelogEntry } from '../lib/contract-diff/changelog.ts';

export interface IndexEntry {
  id: string;
  title: string;
  version: string;
  vendor: string;
  purpose: string;
  source: string;
  operations: number;
  webhooks: number;
  callbacks: number;
  /** The API's contract changes per release, newest first, from CHANGELOG.md (`npm run changelog`). */
  changes?: ApiChangelogEntry[];
}

export const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Escapes, then shows `code` spans as <code>. */
export const inlineMarkdown = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The registrable part of a host: idaas-sandbox.hanchuess.com -> hanchuess.com. */
function vendorDomain(url: string | undefined): string {
  try {
    return new URL(url ?? '').hostname.split('.').slice(-2).join('.');
  } catch {
    return '';
  }
}

export function indexEntry(id: string, spec: Record<string, any>): IndexEntry {
  const info = spec.info ?? {};
  const description = String(info.description ?? '').trim();
  const firstLine = description.split('\n')[0] ?? '';
  // The specs open their description with: Written from the vendor document "<name>" (...).
  const source = /document "([^"]+)"/.exec(description)?.[1] ?? firstLine;
  const operations = Object.values(spec.paths ?? {}).flatMap((item: any) => METHODS.filter((method) => item?.[method]).map((method) => item[method]));
  return {
    id,
    title: String(info.title ?? id),
    version: String(info.version ?? ''),
    // No vendor field in OpenAPI: an explicit x-vendor wins, else the domain of the first server.
    vendor: String(info['x-vendor'] ?? vendorDomain(spec.servers?.[0]?.url)),
    purpose: String(info.summary ?? firstLine),
    source,
    operations: operations.length,
    webhooks: Object.keys(spec.webhooks ?? {}).length,
    callbacks: operations.reduce((sum: number, operation: any) => sum + Object.keys(operation.callbacks ?? {}).length, 0),
  };
}

const LEVEL_LABEL: Record<string, string> = { breaking: 'breaking', 'non-breaking': 'non-breaking', annotation: 'docs', note: '' };

/** The API's changelog as a collapsed list per release: the latest release open when it has breaking changes. */
function changesHtml(changes: ApiChangelogEntry[] | undefined): string {
  if (!changes || changes.length === 0) return '';
  const releases = changes.map((release, index) => {
    const items = release.lines
      .map((line) => `<li class="${escapeHtml(line.level)}">${LEVEL_LABEL[line.level] ? `<span class="level">${LEVEL_LABEL[line.level]}</span> ` : ''}${inlineMarkdown(line.text)}</li>`)
      .join('');
    const breaking = release.lines.some((line) => line.level === 'breaking');
    return `<details class="release"${index === 0 && breaking ? ' open' : ''}><summary>${escapeHtml(release.version)} <span class="date">${escapeHtml(release.date)}</span>${breaking ? ' <span class="level breaking">breaking</span>' : ''}</summary><ul>${items}</ul></details>`;
  });
  return `
      <section class="changes"><h3>Changes</h3>${releases.join('')}</section>`;
}

/** The look the site's own pages share (the index, the sandbox guide); Redoc pages bring their own. */
export const SITE_STYLE = `    :root { color-scheme: light; --fg: #1d2430; --muted: #5a6473; --line: #d9dee5; --accent: #1f5fbf; }
    body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f6f7f9; }
    main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
    h1 { margin: 0 0 .25rem; font-size: 1.75rem; }
    .intro { margin: 0 0 1.5rem; color: var(--muted); }
    a { color: var(--accent); }
    code { font: .85em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef1f5; padding: 0 .25em; border-radius: 3px; }`;

export function indexHtml(entries: IndexEntry[]): string {
  const cards = entries.map((entry) => {
    const counts = [plural(entry.operations, 'operation'), entry.webhooks ? plural(entry.webhooks, 'webhook') : '', entry.callbacks ? plural(entry.callbacks, 'callback') : '']
      .filter(Boolean)
      .join(' · ');
    return `    <li class="api" id="${escapeHtml(entry.id)}">
      <h2><a href="./${escapeHtml(entry.id)}/index.html">${escapeHtml(entry.title)}</a></h2>
      <p class="purpose">${inlineMarkdown(entry.purpose)}</p>
      <dl>
        <dt>Vendor</dt><dd>${escapeHtml(entry.vendor)}</dd>
        <dt>Spec version</dt><dd>${escapeHtml(entry.version)}</dd>
        <dt>Source document</dt><dd>${inlineMarkdown(entry.source)}</dd>
        <dt>Contents</dt><dd>${escapeHtml(counts)}</dd>
        <dt>API id</dt><dd><code>${escapeHtml(entry.id)}</code></dd>
      </dl>${changesHtml(entry.changes)}
      <p class="links"><a class="page" href="./${escapeHtml(entry.id)}/index.html">Reference</a> <a class="spec" href="./${escapeHtml(entry.id)}/openapi.json" download="${escapeHtml(entry.id)}-openapi.json">Download openapi.json</a></p>
    </li>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Partner API reference</title>
  <link rel="icon" href="./favicon.ico" sizes="32x32">
  <style>
${SITE_STYLE}
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(21rem, 1fr)); }
    .api { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; display: flex; flex-direction: column; }
    h2 { margin: 0 0 .5rem; font-size: 1.15rem; line-height: 1.3; }
    .purpose { margin: 0 0 .75rem; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: 0 0 1rem; font-size: .9rem; }
    dt { color: var(--muted); }
    dd { margin: 0; }
    .links { margin: auto 0 0; display: flex; gap: 1rem; flex-wrap: wrap; }
    .links a { font-weight: 600; }
    .changes { margin: 0 0 1rem; font-size: .9rem; }
    .changes h3 { margin: 0 0 .25rem; font-size: .95rem; }
    .changes ul { display: block; margin: .25rem 0 .5rem; padding-left: 1.1rem; list-style: disc; }
    .changes summary { cursor: pointer; }
    .date { color: var(--muted); }
    .level { font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
    .level.breaking, li.breaking .level { color: #b42318; font-weight: 600; }
  </style>
</head>
<body>
<main>
  <h1>Partner API reference</h1>
  <p class="intro">${plural(entries.length, 'partner API')}, each described by a hand-written OpenAPI 3.1 contract. Every page lists the operations, webhooks and callbacks with their examples and curl and TypeScript samples; the download is the bundled spec. To try them without vendor credentials, run the sandbox: <a class="guide" href="./sandbox/index.html">Sandbox guide</a>.</p>
  <ul>
${cards.join('\n')}
  </ul>
</main>
</body>
</html>
`;
}

export function docsIndexStep(apis: ApiEntry[], root: string): Step {
  const bundles = apis.map((api) => bundlePath(root, api.id));
  const output = join(docsDir(root), 'index.html');
  return {
    name: 'docs index',
    inputs: [`${root}/redocly.yaml`, ...bundles, `${root}/scripts/steps/docs-index.ts`, `${root}/CHANGELOG.md`, `${root}/scripts/lib/contract-diff/changelog.ts`],
    outputs: [output],
    async run() {
      const changelog = join(root, 'CHANGELOG.md');
      const changes = existsSync(changelog) ? parseChangelog(readFileSync(changelog, 'utf8')) : new Map<string, ApiChangelogEntry[]>();
      const entries = apis.map((api, i) => ({ ...indexEntry(api.id, JSON.parse(readFileSync(bundles[i]!, 'utf8'))), changes: changes.get(api.id) ?? [] }));
      mkdirSync(docsDir(root), { recursive: true });
      writeFileSync(output, indexHtml(entries));
    },
  };
}
