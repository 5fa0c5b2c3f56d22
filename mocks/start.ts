// `npm start`: bring generated/ and docs/ up to date, then serve every API's Prism mock and the reference site.
// `npm run mock -- <id>`: serve one API's mock only.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOCS_PORT, FIRST_MOCK_PORT, loadApis, projectRoot, selectApis } from '../scripts/lib/apis.ts';
import { createDocsServer } from './docs-server.ts';
import { createPrismMock } from './prism-server.ts';

const USAGE = `usage: npm start [-- --host H --port-base P --docs-port D --no-build --quiet --remote-callbacks --faults SHARE]
       npm run mock -- <api-id> [--host H --port P]
Port 0 (--port-base 0, --docs-port 0, --port 0) lets the system pick free ports; the table shows them.`;

interface Listener {
  label: string;
  server: Server;
  port: number;
}

function listen({ label, server, port }: Listener, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${label}) is already in use on ${host}: stop whatever holds it, or choose other ports (--port-base, --docs-port)`
            : `${label} could not listen on ${host}:${port}: ${error.message}`,
        ),
      );
    });
    server.listen(port, host, () => resolveListen());
  });
}

function closeAll(listeners: Listener[]): Promise<void> {
  return Promise.all(
    listeners.map(
      ({ server }) =>
        new Promise<void>((resolveClose) => {
          server.closeAllConnections();
          server.close(() => resolveClose());
          if (!server.listening) resolveClose();
        }),
    ),
  ).then(() => undefined);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      host: { type: 'string', default: process.env.MOCK_HOST ?? '127.0.0.1' },
      'port-base': { type: 'string', default: process.env.MOCK_PORT_BASE ?? String(FIRST_MOCK_PORT) },
      port: { type: 'string' },
      'docs-port': { type: 'string', default: process.env.DOCS_PORT ?? String(DOCS_PORT) },
      'no-build': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'remote-callbacks': { type: 'boolean', default: false },
      faults: { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const onlyId = values.only ?? positionals[0];
  const apis = loadApis();
  const selected = onlyId ? selectApis(apis, [onlyId]) : apis;
  const portBase = Number(values['port-base']);
  const docsPort = Number(values['docs-port']);
  const faultShare = Number(values.faults);
  if (!(faultShare >= 0 && faultShare <= 1)) throw new Error(`--faults: "${values.faults}" is not a share from 0 to 1`);
  if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65535) throw new Error(`--port-base: "${values['port-base']}" is not a port number`);
  if (!Number.isInteger(docsPort) || docsPort < 0 || docsPort > 65535) throw new Error(`--docs-port: "${values['docs-port']}" is not a port number`);

  if (!values['no-build']) {
    const { build } = await import('../scripts/build.ts');
    await build({ ids: selected.map((api) => api.id), only: onlyId ? 'generate' : undefined });
  }

  const log = values.quiet ? undefined : (line: string) => console.log(line);
  const listeners: Listener[] = await Promise.all(
    selected.map(async (api) => ({
      label: api.id,
      port: onlyId && values.port ? Number(values.port) : portBase === 0 ? 0 : api.port - FIRST_MOCK_PORT + portBase,
      server: await createPrismMock({
        specPath: join(projectRoot, 'generated', api.id, 'openapi.json'),
        declarationPath: join(projectRoot, api.specDir, 'sandbox.yaml'),
        log: log && ((line) => log(`[${api.id}] ${line}`)),
        allowRemoteCallbacks: values['remote-callbacks'],
        faultShare,
      }),
    })),
  );
  if (!onlyId) listeners.push({ label: 'reference site', server: createDocsServer(join(projectRoot, 'docs')), port: docsPort });

  const host = values.host;
  try {
    await Promise.all(listeners.map((listener) => listen(listener, host)));
  } catch (error) {
    await closeAll(listeners);
    throw error;
  }

  // Port 0 asked the system for a free port: show the one it gave.
  for (const listener of listeners) listener.port = (listener.server.address() as AddressInfo).port;
  const origin = (port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const rows = listeners.map(({ label, port }) => {
    const api = selected.find((candidate) => candidate.id === label);
    const docs = listeners.find((listener) => listener.label === 'reference site');
    return [label, origin(port), api && docs ? `${origin(docs.port)}/${api.id}/` : ''];
  });
  const widths = [0, 1, 2].map((column) => Math.max(...[['API', 'URL', 'Docs'], ...rows].map((row) => row[column]!.length)));
  for (const row of [['API', 'URL', 'Docs'], ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  console.log('Mocks ready. Ctrl-C stops them.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping ${listeners.length} server(s)`);
    closeAll(listeners).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The npm scripts `exec` us, so our parent is npm itself: when it goes away (even by SIGKILL, which it cannot
  // pass on), we are re-parented, notice within 250 ms, and stop rather than linger holding the ports.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop('parent process exited'), 250).unref();
  // A defect in a handler must not take down five mocks partner teams share: log it and keep serving.
  process.on('uncaughtException', (error) => console.error(`mock: internal error (still serving): ${error.stack ?? error}`));
  process.on('unhandledRejection', (error) => console.error(`mock: internal error (still serving): ${error instanceof Error ? error.stack : error}`));
}

main().catch((error) => {
  console.error(`mock: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
