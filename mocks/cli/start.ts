// `partner-api-sandbox start`: serve the mocks until Ctrl-C or SIGTERM.
import { startSandbox, type RunningSandbox } from '../start-sandbox.ts';
import type { ApiId } from '../connect.ts';
import { formatTable } from '../shared/table.ts';
import { UsageError } from '../catalogue.ts';
import { parse, port, stopRequested, type CliContext } from './args.ts';

export const START_USAGE = `[--host H] [--port-base P | --port P] [--only <id,...>] [--state-file PATH | --store redis://H:P/DB] [--emit-every SECONDS]
        [--faults SHARE] [--remote-callbacks] [--insecure-tls] [--max-items N] [--quiet] [--json]
  Serves each API's mock at the vendor's paths: ports 4010-4014 by default (--port-base 0: free ports).
  --only            serve these APIs only (comma-separated ids); --port P serves the one API given on port P
  --state-file      keep every tenant's state and deliveries in this file across restarts (kill -9 included)
  --store           memory (the default), or redis://host:port/db: replicas on one Redis are one sandbox
  --emit-every      each API sends a random one of its webhooks to every tenant's subscribers every SECONDS
  --faults          answer this share of requests (0 to 1) with a random 5xx or a reset connection
  --remote-callbacks  deliver to public hosts too (never to private, link-local or metadata addresses)
  --insecure-tls    accept self-signed certificates of https receivers
  --max-items       items per collection per tenant (default 1000); past it a create answers 409
  --quiet           no line per request
  --json            once every mock answers, print one line {"urls":{...}} on stdout (logs go to stderr)`;

export const START_OPTIONS = {
  host: { type: 'string', default: process.env.MOCK_HOST ?? '127.0.0.1' },
  'port-base': { type: 'string', default: process.env.MOCK_PORT_BASE ?? '4010' },
  port: { type: 'string' },
  only: { type: 'string', multiple: true },
  'state-file': { type: 'string' },
  store: { type: 'string' },
  'emit-every': { type: 'string' },
  faults: { type: 'string', default: '0' },
  'remote-callbacks': { type: 'boolean', default: false },
  'insecure-tls': { type: 'boolean', default: false },
  'max-items': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

export interface StartedExtras {
  /** Rows after the APIs' (the repository's reference site). */
  rows?: [string, string][];
  /** A third column per API id, under this header. */
  column?: { header: string; values: Record<string, string> };
}

export interface StartHooks {
  /** Called once every mock answers, before the table (the repository adds its reference site). */
  started?(sandbox: RunningSandbox, options: { host: string; log: (line: string) => void }): Promise<StartedExtras | void> | StartedExtras | void;
  /** Called after the mocks closed. */
  stopped?(): Promise<void> | void;
  /** More positionals taken as API ids (`npm run mock -- redex`). */
  positionalsAreApis?: boolean;
}

export async function runStart(argv: string[], context: CliContext, hooks: StartHooks = {}): Promise<number> {
  const { values, positionals } = parse(argv, START_OPTIONS);
  if (values.help) return context.out(`usage: ${context.command('start')} ${START_USAGE}`), 0;
  const only = [...(values.only ?? []).flatMap((list) => list.split(',')), ...(hooks.positionalsAreApis ? positionals : [])].map((id) => id.trim()).filter(Boolean);
  if (!hooks.positionalsAreApis && positionals.length > 0) throw new UsageError(`start takes no positional arguments (got ${positionals.join(' ')}); use --only <ids>`);
  const faults = Number(values.faults);
  const emitEvery = values['emit-every'] === undefined ? undefined : Number(values['emit-every']);
  const portBase = port('port-base', values['port-base']);
  if (values.port !== undefined && only.length !== 1) throw new UsageError('--port sets the port of one API: give exactly one with --only');
  const ports = values.port === undefined ? undefined : { [only[0]!]: port('port', values.port) };
  const maxItems = values['max-items'] === undefined ? undefined : Number(values['max-items']);
  if (maxItems !== undefined && !(Number.isSafeInteger(maxItems) && maxItems > 0)) throw new UsageError(`--max-items ${values['max-items']} is not a whole number above 0`);
  // With --json, stdout carries only the one line of URLs; the request log goes to stderr.
  const logLine = values.json ? context.err : context.out;
  const sandbox = await startSandbox({
    apis: only.length ? (only as ApiId[]) : undefined,
    host: values.host,
    portBase,
    ports,
    stateFile: values['state-file'],
    store: values.store,
    emitEvery,
    faults,
    remoteCallbacks: values['remote-callbacks'],
    insecureTls: values['insecure-tls'],
    maxItems,
    catalogue: context.catalogue,
    log: values.quiet ? undefined : logLine,
  });
  const extras = (await hooks.started?.(sandbox, { host: values.host, log: logLine })) ?? {};
  if (values.json) context.out(JSON.stringify({ urls: sandbox.urls }));
  else {
    const column = extras.column;
    const header = column ? ['API', 'URL', column.header] : ['API', 'URL'];
    const rows = Object.entries(sandbox.urls).map(([id, url]) => (column ? [id, url!, column.values[id] ?? ''] : [id, url!]));
    for (const [label, url] of extras.rows ?? []) rows.push(column ? [label, url, ''] : [label, url]);
    for (const line of formatTable([header, ...rows])) context.out(line);
    if (sandbox.store) context.out(`Store: ${sandbox.store.url} (replicas on this Redis are one sandbox)`);
    if (sandbox.stateFile) context.out(`State file: ${sandbox.stateFile.path} (${sandbox.stateFile.tenantsLoaded} tenant(s) loaded)`);
    if (emitEvery) context.out(`Emitting a random webhook of each API every ${emitEvery} s to every tenant's subscribers.`);
    context.out('Mocks ready. Ctrl-C stops them.');
  }
  // A defect in a handler must not take down mocks partner teams share: log it and keep serving.
  const onDefect = (error: unknown) => context.err(`sandbox: internal error (still serving): ${error instanceof Error ? error.stack : error}`);
  process.on('uncaughtException', onDefect);
  process.on('unhandledRejection', onDefect);
  const why = await stopRequested();
  logLine(`${why}: stopping ${Object.keys(sandbox.urls).length} mock(s)`);
  await sandbox.close();
  await hooks.stopped?.();
  process.off('uncaughtException', onDefect);
  process.off('unhandledRejection', onDefect);
  return 0;
}
