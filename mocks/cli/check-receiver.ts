// `partner-api-sandbox check-receiver <api-id> <receiver-url>`: sends every webhook of the API to a partner's
// receiver as the vendor would (the spec's examples, signed), then the deliveries it must refuse, and prints
// case / expected / got. Exit 0 when every case is as expected, 1 when not, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { UsageError } from '../catalogue.ts';
import { listWebhooks, type OpenApiBundle } from '../shared/webhook-payloads.ts';
import { formatResults, receiverCases, runCases, sendsBearer } from '../tools/receiver-check.ts';
import { apiOf, parse, seconds, type CliContext } from './args.ts';

export const CHECK_RECEIVER_USAGE = `<api-id> <receiver-url> [--secret <s>] [--token <t>] [--timeout <seconds>]
  Sends every webhook, valid and invalid, to your receiver; prints a pass/fail table; exit 1 on any mismatch.`;

export async function runCheckReceiver(argv: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parse(argv, {
    secret: { type: 'string' },
    token: { type: 'string' },
    timeout: { type: 'string', default: '10' },
  });
  if (values.help) return context.out(`usage: ${context.command('check-receiver')} ${CHECK_RECEIVER_USAGE}`), 0;
  if (positionals.length !== 2) throw new UsageError('give an API id and the receiver URL');
  const [id, url] = positionals as [string, string];
  const api = apiOf(context, id);
  if (!/^https?:\/\//.test(url)) throw new UsageError(`${url} is not an http(s) URL`);
  const timeoutSeconds = seconds('timeout', values.timeout);

  let spec: OpenApiBundle;
  try {
    spec = JSON.parse(readFileSync(api.spec, 'utf8'));
  } catch (error) {
    throw new Error(`${api.spec}: cannot read the ${api.id} contract (${(error as Error).message})`);
  }
  const webhooks = listWebhooks(spec);
  if (webhooks.length === 0) throw new UsageError(`${api.id} has no webhooks (its contract has no top-level "webhooks")`);
  let cases;
  try {
    cases = receiverCases(spec, { ...(values.secret ? { secret: values.secret } : {}), ...(values.token !== undefined ? { token: values.token } : {}) });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const notes: string[] = [];
  if (values.secret && !webhooks.some((webhook) => webhook.signature)) notes.push(`${api.id} does not sign its webhooks; --secret is not used`);
  if (values.token !== undefined && !webhooks.some((webhook) => sendsBearer(spec, webhook))) notes.push(`${api.id} sends no bearer token with its webhooks; --token is not used`);
  if (values.token === undefined && webhooks.some((webhook) => sendsBearer(spec, webhook))) {
    notes.push(`${api.id} may send Authorization: Bearer <token> with its webhooks; pass --token to send it and check that a wrong one is refused`);
  }

  context.out(`check-receiver ${api.id} -> ${url}: ${webhooks.length} webhook${webhooks.length === 1 ? '' : 's'}, ${cases.length} cases`);
  for (const note of notes) context.out(`note: ${note}`);
  context.out('');
  const results = await runCases(url, cases, timeoutSeconds * 1000);
  context.out(formatResults(results));
  const mismatches = results.filter((result) => !result.pass).length;
  context.out('');
  context.out(mismatches === 0 ? `all ${results.length} cases as expected` : `${mismatches} of ${results.length} cases not as expected`);
  return mismatches === 0 ? 0 : 1;
}
