// `partner-api-sandbox proxy <api-id> --upstream <origin>`: a validating proxy to the real vendor. Partner code
// points at it instead of the vendor (only the origin changes); each request goes upstream unchanged with the
// partner's own credentials, the answer comes back unchanged plus `sl-violations`, and every contract violation is
// printed as it happens. Ctrl-C (or SIGTERM) prints the summary per operation. Prism is loaded only here.
import type { AddressInfo } from 'node:net';
import { UsageError } from '../catalogue.ts';
import { apiOf, parse, port, seconds, stopRequested, type CliContext } from './args.ts';

export const PROXY_USAGE = `<api-id> --upstream <origin> [--port <n>] [--host <h>] [--timeout <seconds>] [--quiet]
  A validating proxy to the vendor: requests and answers pass unchanged, each contract violation is printed.
  --port defaults to 4020.`;

const DEFAULT_PORT = '4020';

export async function runProxy(argv: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    upstream: { type: 'string' },
    port: { type: 'string', default: DEFAULT_PORT },
    host: { type: 'string', default: '127.0.0.1' },
    timeout: { type: 'string', default: '30' },
    quiet: { type: 'boolean', default: false },
  });
  if (values.help) return context.out(`usage: ${context.command('proxy')} ${PROXY_USAGE}`), 0;
  if (positionals.length !== 1) throw new UsageError('give exactly one API id');
  const api = apiOf(context, positionals[0]);
  if (!values.upstream) throw new UsageError('--upstream <origin> is required (the vendor, e.g. https://uat-api.redex.eco)');
  let upstream: URL;
  try {
    upstream = new URL(values.upstream);
  } catch {
    throw new UsageError(`--upstream ${values.upstream} is not a URL`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new UsageError(`--upstream must be http(s), got ${upstream.protocol}`);
  const listenPort = port('port', values.port);
  const timeoutSeconds = seconds('timeout', values.timeout);

  const { createValidatingProxy, formatSummary } = await import('../tools/proxy.ts');
  const { server, stats } = await createValidatingProxy({
    specPath: api.spec,
    upstream: upstream.href,
    timeoutMs: timeoutSeconds * 1000,
    onViolation: (v) => context.out(`violation  ${v.operation}  ${v.field}  ${v.reason}${v.severity === 'Error' ? '' : ` (${v.severity.toLowerCase()})`}`),
    onUpstreamError: (line) => context.out(`upstream unreachable  ${line}`),
    ...(values.quiet ? {} : { log: context.out }),
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${listenPort} is already in use on ${values.host}; pick another with --port` : error.message)),
    );
    server.listen(listenPort, values.host, () => resolveListen());
  });
  const { port: bound } = server.address() as AddressInfo;
  const host = values.host.includes(':') ? `[${values.host}]` : values.host;
  context.out(`proxy ${api.id}: http://${host}:${bound} -> ${upstream.origin}${upstream.pathname.replace(/\/$/, '')} (validating against the ${api.id} contract)`);
  const why = await stopRequested();
  context.out(`\nstopping (${why}); summary per operation:\n${formatSummary(stats)}`);
  server.closeAllConnections();
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  return 0;
}
