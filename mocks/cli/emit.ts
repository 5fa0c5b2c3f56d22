// `partner-api-sandbox emit <api-id> <webhook>`: asks a running mock to send one of its API's webhooks
// (POST /_sandbox/events) to the subscriptions of the tenant the credentials name, or `--redeliver <id>` to send a
// logged delivery again, and prints the deliveries as a table.
import { readFileSync } from 'node:fs';
import { UsageError } from '../catalogue.ts';
import type { DeliveryResult } from '../sandbox/deliveries.ts';
import { formatTable } from '../shared/table.ts';
import { apiOf, parse, type CliContext } from './args.ts';

export const EMIT_USAGE = `<api-id> <webhook> [--example <name>] [--payload <json>] (--token <t> | --user <u> --password <p>) [--url <mock origin>]
   or <api-id> --redeliver <delivery-id> (--token <t> | --user <u> --password <p>) [--url <mock origin>]
  The credentials are the ones your integration sends to the mock: they choose whose subscriptions receive it.
  --example picks one of the webhook's examples in the spec (default: the one closest to --payload, else the first);
  --payload is laid over it. --redeliver sends a delivery of GET /_sandbox/deliveries again. --url defaults to the
  API's default port on 127.0.0.1.`;

export async function runEmit(argv: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    payload: { type: 'string' },
    example: { type: 'string' },
    redeliver: { type: 'string' },
    token: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string', default: '' },
    url: { type: 'string' },
  });
  if (values.help) return context.out(`usage: ${context.command('emit')} ${EMIT_USAGE}`), 0;
  const [id, webhook] = positionals;
  const api = apiOf(context, id);
  const spec = JSON.parse(readFileSync(api.spec, 'utf8'));
  if (values.redeliver === undefined) {
    const webhooks = Object.keys(spec.webhooks ?? {});
    if (webhooks.length === 0) throw new UsageError(`${api.id} pushes no webhooks`);
    if (!webhook) throw new UsageError(`give the webhook name: ${webhooks.join(', ')}`);
    if (!webhooks.includes(webhook)) throw new UsageError(`${api.id} has no webhook "${webhook}"; it has ${webhooks.join(', ')}`);
  } else if (webhook) throw new UsageError('--redeliver takes the delivery id, not a webhook name');
  const schemes = Object.values<{ scheme?: string }>(spec.components?.securitySchemes ?? {}).map((scheme) => String(scheme.scheme).toLowerCase());
  let authorization: string;
  if (values.user !== undefined) {
    if (!schemes.includes('basic')) throw new UsageError(`${api.id} takes a bearer token: use --token`);
    authorization = `Basic ${Buffer.from(`${values.user}:${values.password}`).toString('base64')}`;
  } else if (values.token !== undefined) {
    if (!schemes.includes('bearer')) throw new UsageError(`${api.id} takes Basic credentials: use --user and --password`);
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
  const origin = (values.url ?? `http://127.0.0.1:${api.port}`).replace(/\/+$/, '');
  const target =
    values.redeliver === undefined ? `${origin}/_sandbox/events` : `${origin}/_sandbox/deliveries/${encodeURIComponent(values.redeliver)}/redeliver`;
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      ...(values.redeliver === undefined ? { body: JSON.stringify({ webhook, example: values.example, payload }) } : {}),
    });
  } catch (error) {
    throw new Error(`${origin}: no mock answers (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}); start it, or pass --url`);
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${target} answered ${response.status}: ${body?.detail ?? JSON.stringify(body)}`);
  const deliveries = (Array.isArray(body) ? body : [body]) as DeliveryResult[];
  if (deliveries.length === 0) {
    context.out(`${webhook}: no subscription of this tenant matches; nothing was sent`);
    return 0;
  }
  const rows = [['delivery', 'subscription', 'url', 'status', 'attempts', 'error'], ...deliveries.map((d) => [d.delivery, d.subscription, d.url, String(d.status ?? '-'), String(d.attempts), d.error ?? ''])];
  for (const line of formatTable(rows)) context.out(line);
  // A refused target (not loopback) is never tried, so never retried; a failed attempt is.
  const refused = deliveries.filter((d) => d.error?.startsWith('refused')).length;
  const failed = deliveries.filter((d) => d.error && !d.error.startsWith('refused')).length;
  const parts = [`${deliveries.length} delivery(ies)`, `${failed} failed on the first attempt${failed ? ' (retried in the background: GET /_sandbox/deliveries shows every attempt)' : ''}`];
  if (refused) parts.push(`${refused} refused (not loopback; not retried)`);
  context.out(parts.join(', '));
  return 0;
}
