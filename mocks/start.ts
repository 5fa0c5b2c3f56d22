// `npm start`: bring generated/ and docs/ up to date, then serve every API's Prism mock and the reference site.
// `npm run mock -- <id>`: serve one API's mock only.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DOCS_PORT, FIRST_MOCK_PORT, loadApis, projectRoot, selectApis } from '../scripts/lib/apis.ts';
import { formatTable } from './shared/table.ts';
import { createDocsServer } from '../scripts/lib/docs-server.ts';
import { createPrismMock, type MockServer } from './prism-server.ts';
import { createStateFileWriter, loadStateFile } from './sandbox/state-file.ts';

const USAGE = `usage: npm start [-- --host H --port-base P --docs-port D --no-build --quiet --remote-callbacks --faults SHARE
                   --state-file PATH --emit-every SECONDS]
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
      'state-file': { type: 'string' },
      'emit-every': { type: 'string' },
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

  const emitEvery = values['emit-every'] === undefined ? undefined : Number(values['emit-every']);
  if (emitEvery !== undefined && !(emitEvery > 0)) throw new Error(`--emit-every: "${values['emit-every']}" is not a number of seconds above 0`);
  const statePath = values['state-file'] ? resolve(values['state-file']) : undefined;
  // Read before building or listening, so a corrupt file stops the start at once, naming the file and the reason.
  const saved = statePath ? loadStateFile(statePath) : {};

  if (!values['no-build']) {
    const { build } = await import('../scripts/build.ts');
    await build({ ids: selected.map((api) => api.id), only: onlyId ? 'generate' : undefined });
  }

  const log = values.quiet ? undefined : (line: string) => console.log(line);
  const mocks = new Map<string, MockServer>();
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
      }).then((mock) => (mocks.set(api.id, mock), mock)),
    })),
  );
  let stateWriter: ReturnType<typeof createStateFileWriter> | undefined;
  if (statePath) {
    const snapshot = () => ({ ...saved, ...Object.fromEntries([...mocks].map(([id, mock]) => [id, mock.sandbox.state.store.snapshot()])) });
    stateWriter = createStateFileWriter(statePath, snapshot, 200, (error) => console.error(`mock: ${error.message}`));
    for (const [id, mock] of mocks) {
      if (saved[id]) mock.sandbox.state.store.restore(saved[id]);
      mock.sandbox.state.store.onChange(() => stateWriter!.schedule());
    }
    console.log(`State file: ${statePath} (${Object.values(saved).reduce((count, tenants) => count + Object.keys(tenants).length, 0)} tenant(s) loaded)`);
  }
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
  for (const line of formatTable([['API', 'URL', 'Docs'], ...rows])) console.log(line);
  if (emitEvery) {
    // A lively sandbox: each API sends a random one of its webhooks to the subscribers of every tenant it knows.
    setInterval(() => {
      for (const [id, mock] of mocks) {
        const names = mock.sandbox.deliveries.webhookNames();
        if (names.length === 0) continue;
        for (const tenant of Object.keys(mock.sandbox.state.store.snapshot())) {
          const webhook = names[Math.floor(Math.random() * names.length)]!;
          mock.sandbox.deliveries.trigger(tenant, webhook).catch((error: Error) => console.error(`[${id}] --emit-every ${webhook}: ${error.message}`));
        }
      }
    }, emitEvery * 1000).unref();
    console.log(`Emitting a random webhook of each API every ${emitEvery} s to every tenant's subscribers.`);
  }
  console.log('Mocks ready. Ctrl-C stops them.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping ${listeners.length} server(s)`);
    stateWriter?.flush();
    closeAll(listeners).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // The npm scripts `exec` us, so our parent is npm itself: when it goes away (even by SIGKILL, which it cannot
  // pass on), we are re-parented, notice within 250 ms, and stop rather than linger holding the ports.
  // Nobody is left to wait for a graceful close: write the state and go at once, so the ports are free fast.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid === parent) return;
    console.log('parent process exited: stopping');
    stateWriter?.flush();
    process.exit(0);
  }, 250).unref();
  // A defect in a handler must not take down five mocks partner teams share: log it and keep serving.
  process.on('uncaughtException', (error) => console.error(`mock: internal error (still serving): ${error.stack ?? error}`));
  process.on('unhandledRejection', (error) => console.error(`mock: internal error (still serving): ${error instanceof Error ? error.stack : error}`));
}

main().catch((error) => {
  console.error(`mock: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
