// `npm run proxy -- <api-id> --upstream <origin> [--port <n>] [--host <h>] [--timeout <s>]`: a validating proxy to
// the real vendor. Partner code points at it instead of the vendor (only the origin changes); each request goes
// upstream unchanged with the partner's own credentials, the answer comes back unchanged plus `sl-violations`, and
// every contract violation is printed as it happens. Ctrl-C (or SIGTERM) prints the summary per operation.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { generatedDir, projectRoot } from './lib/apis.ts';
import { commandLine } from './lib/command-line.ts';
import { createValidatingProxy, formatSummary } from '../mocks/tools/proxy.ts';
import { join, relative } from 'node:path';

const DEFAULT_PORT = 4020;
const usage = 'usage: npm run proxy -- <api-id> --upstream <origin> [--port <n>] [--host <h>] [--timeout <seconds>] [--quiet]';

async function main() {
  const args = commandLine('proxy', usage, {
    upstream: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    timeout: { type: 'string', default: '30' },
    quiet: { type: 'boolean', default: false },
  });
  const { values, positionals } = args;
  // Declared with its type, so TypeScript narrows after a call as it does for a function that never returns.
  const fail: (message: string) => never = args.fail;
  if (positionals.length !== 1) fail('give exactly one API id');
  const api = args.api(positionals[0]!);
  if (!values.upstream) fail('--upstream <origin> is required (the vendor, e.g. https://uat-api.redex.eco)');
  let upstream: URL;
  try {
    upstream = new URL(values.upstream);
  } catch {
    fail(`--upstream ${values.upstream} is not a URL`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') fail(`--upstream must be http(s), got ${upstream.protocol}`);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${values.port} is not a port number`);
  const timeoutSeconds = args.seconds('timeout', values.timeout);

  const specPath = join(generatedDir(projectRoot, api.id), 'openapi.json');
  if (!existsSync(specPath)) fail(`${relative(projectRoot, specPath)} is missing; run npm run generate`);

  const { server, stats } = await createValidatingProxy({
    specPath,
    upstream: upstream.href,
    timeoutMs: timeoutSeconds * 1000,
    onViolation: (v) => console.log(`violation  ${v.operation}  ${v.field}  ${v.reason}${v.severity === 'Error' ? '' : ` (${v.severity.toLowerCase()})`}`),
    onUpstreamError: (line) => console.log(`upstream unreachable  ${line}`),
    ...(values.quiet ? {} : { log: (line: string) => console.log(line) }),
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `proxy: port ${port} is taken; pick another with --port` : `proxy: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, values.host, () => {
    const { port: bound } = server.address() as AddressInfo;
    const host = values.host.includes(':') ? `[${values.host}]` : values.host;
    console.log(`proxy ${api.id}: http://${host}:${bound} -> ${upstream.origin}${upstream.pathname.replace(/\/$/, '')} (validating against ${relative(projectRoot, specPath)})`);
  });

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nstopping (${why}); summary per operation:\n${formatSummary(stats)}`);
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // npm runs scripts under `sh -c`, which does not pass SIGTERM on: stop when the parent goes away.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop('parent process exited'), 250).unref();
}

await main();
