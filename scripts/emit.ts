// `npm run emit -- <api-id> <webhook> [--example <name>] [--payload <json>] [--token <t> | --user <u> --password <p>] [--url <origin>]`:
// asks a running sandbox mock to send one of its API's webhooks (POST /_sandbox/events) to the subscriptions of
// the tenant the credentials name, and prints the deliveries it made as a table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadApis, projectRoot, selectApis } from './lib/apis.ts';
import { formatTable } from '../mocks/shared/table.ts';

const USAGE = `usage: npm run emit -- <api-id> <webhook> [--example <name>] [--payload <json>] [--token <t> | --user <u> --password <p>] [--url <mock origin>]
  The credentials are the ones your integration sends to the mock: they choose whose subscriptions receive it.
  --example picks one of the webhook's examples in the spec (default: the one closest to --payload, else the first);
  --payload is laid over it.`;

class UsageError extends Error {}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      payload: { type: 'string' },
      example: { type: 'string' },
      token: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string', default: '' },
      url: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const [id, webhook] = positionals;
  if (!id || !webhook) throw new UsageError('give the API id and the webhook name');
  const [api] = selectApis(loadApis(), [id]);
  const spec = JSON.parse(readFileSync(join(projectRoot, 'generated', api!.id, 'openapi.json'), 'utf8'));
  const webhooks = Object.keys(spec.webhooks ?? {});
  if (webhooks.length === 0) throw new UsageError(`${api!.id} pushes no webhooks`);
  if (!webhooks.includes(webhook)) throw new UsageError(`${api!.id} has no webhook "${webhook}"; it has ${webhooks.join(', ')}`);
  const schemes = Object.values<any>(spec.components?.securitySchemes ?? {}).map((scheme) => String(scheme.scheme).toLowerCase());
  let authorization: string;
  if (values.user !== undefined) {
    if (!schemes.includes('basic')) throw new UsageError(`${api!.id} takes a bearer token: use --token`);
    authorization = `Basic ${Buffer.from(`${values.user}:${values.password}`).toString('base64')}`;
  } else if (values.token !== undefined) {
    if (!schemes.includes('bearer')) throw new UsageError(`${api!.id} takes Basic credentials: use --user and --password`);
    authorization = `Bearer ${values.token}`;
  } else throw new UsageError(`which tenant? pass ${schemes.includes('basic') ? '--user and --password' : '--token'} as your integration sends them to the mock`);
  let payload: unknown;
  if (values.payload !== undefined) {
    try {
      payload = JSON.parse(values.payload);
    } catch (error) {
      throw new UsageError(`--payload is not JSON: ${(error as Error).message}`);
    }
  }
  const origin = (values.url ?? `http://127.0.0.1:${api!.port}`).replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${origin}/_sandbox/events`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook, example: values.example, payload }),
    });
  } catch (error) {
    throw new Error(`${origin}: no mock answers (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}); start it with npm start, or pass --url`);
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${origin}/_sandbox/events answered ${response.status}: ${body?.detail ?? JSON.stringify(body)}`);
  const deliveries = body as { subscription: string; url: string; status: number | null; attempts: number; error: string | null }[];
  if (deliveries.length === 0) {
    console.log(`${webhook}: no subscription of this tenant matches; nothing was sent`);
    return;
  }
  const rows = [['subscription', 'url', 'status', 'attempts', 'error'], ...deliveries.map((d) => [d.subscription, d.url, String(d.status ?? '-'), String(d.attempts), d.error ?? ''])];
  for (const line of formatTable(rows)) console.log(line);
  // A refused target (not loopback) is never tried, so never retried; a failed attempt is.
  const refused = deliveries.filter((d) => d.error?.startsWith('refused')).length;
  const failed = deliveries.filter((d) => d.error && !d.error.startsWith('refused')).length;
  const parts = [`${deliveries.length} delivery(ies)`, `${failed} failed on the first attempt${failed ? ' (retried in the background: GET /_sandbox/deliveries shows every attempt)' : ''}`];
  if (refused) parts.push(`${refused} refused (not loopback; not retried)`);
  console.log(parts.join(', '));
}

main().catch((error) => {
  console.error(`emit: ${error instanceof Error ? error.message : error}`);
  if (error instanceof UsageError) console.error(USAGE);
  process.exit(error instanceof UsageError ? 2 : 1);
});
