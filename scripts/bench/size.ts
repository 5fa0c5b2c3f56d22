// Bundle size: what one API's client adds beyond openapi-fetch (with all of it: retries, timeouts, paginate where
// the API pages, clientCredentials where it takes bearer tokens), and what a webhook receiver weighs, each bundled
// and minified with esbuild from the built package (dist/, through package.json's exports).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { projectRoot } from '../lib/apis.ts';
import { progress, round } from './lib.ts';

async function gzipBytes(source: string, scratch: string): Promise<number> {
  const entry = join(scratch, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(entry, source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    nodePaths: [join(projectRoot, 'node_modules')],
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
}

export async function benchSize() {
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  const exportsMap = manifest.exports as Record<string, { import?: string; default?: string }> | undefined;
  if (!exportsMap) throw new Error('package.json has no "exports": run `npm run build` for dist/ first');
  const scratch = mkdtempSync(join(tmpdir(), 'bench-size-'));
  try {
    const baseline = await gzipBytes(`import createClient from 'openapi-fetch'; export const c = createClient({ baseUrl: 'https://x' });`, scratch);
    const perApi: Record<string, { clientGzipBytes: number; clientOverOpenapiFetchBytes: number; receiverGzipBytes?: number }> = {};
    for (const [subpath, target] of Object.entries(exportsMap)) {
      const file = target.import ?? target.default;
      if (!subpath.startsWith('./') || !file || subpath === './package.json') continue;
      const id = subpath.slice(2);
      const absolute = join(projectRoot, file);
      // Namespace member reads are resolved statically, so what a subpath does not export costs nothing.
      const client = await gzipBytes(
        `import * as api from ${JSON.stringify(absolute)}; export const c = api.createClient({ auth: { token: 't', username: 'u', password: 'p' } }); export const extras = [api.clientCredentials, api.TimeoutError, api.PaginationError, api.OAuthError];`,
        scratch,
      );
      const module = await import(pathToFileURL(absolute).href);
      const receivers = Object.keys(module).filter((name) => /^parse[A-Z]/.test(name) && typeof module[name] === 'function');
      const entry: (typeof perApi)[string] = { clientGzipBytes: client, clientOverOpenapiFetchBytes: client - baseline };
      if (receivers.length > 0) {
        entry.receiverGzipBytes = await gzipBytes(`export { ${receivers.join(', ')} } from ${JSON.stringify(absolute)};`, scratch);
      }
      perApi[id] = entry;
      progress(`size ${id}: client +${entry.clientOverOpenapiFetchBytes} B gzip over openapi-fetch${entry.receiverGzipBytes ? `, receivers ${entry.receiverGzipBytes} B gzip (${receivers.join(', ')})` : ''}`);
    }
    const clientsOver = Object.values(perApi).map((entry) => entry.clientOverOpenapiFetchBytes);
    const receivers = Object.values(perApi).flatMap((entry) => (entry.receiverGzipBytes ? [entry.receiverGzipBytes] : []));
    return {
      openapiFetchGzipBytes: baseline,
      maxClientOverOpenapiFetchKb: round(Math.max(...clientsOver) / 1024, 2),
      maxReceiverGzipKb: receivers.length ? round(Math.max(...receivers) / 1024, 2) : null,
      perApi,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
