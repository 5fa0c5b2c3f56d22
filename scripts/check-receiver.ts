// `npm run check-receiver -- <api-id> <receiver-url> [--secret <s>] [--token <t>] [--timeout <seconds>]`: sends
// every webhook of the API to a partner's receiver as the vendor would (the spec's examples, signed), then the
// deliveries it must refuse, and prints case / expected / got. Exit 0 when every case is as expected, 1 when not,
// 2 on a usage error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDir, projectRoot } from './lib/apis.ts';
import { commandLine } from './lib/command-line.ts';
import { formatResults, receiverCases, runCases, sendsBearer } from '../mocks/tools/receiver-check.ts';
import { listWebhooks, type OpenApiBundle } from '../mocks/shared/webhook-payloads.ts';

const usage = 'usage: npm run check-receiver -- <api-id> <receiver-url> [--secret <s>] [--token <t>] [--timeout <seconds>]';

async function main() {
  const args = commandLine('check-receiver', usage, {
    secret: { type: 'string' },
    token: { type: 'string' },
    timeout: { type: 'string', default: '10' },
  });
  const { values, positionals } = args;
  // Declared with its type, so TypeScript narrows after a call as it does for a function that never returns.
  const fail: (message: string) => never = args.fail;
  if (positionals.length !== 2) fail('give an API id and the receiver URL');
  const [id, url] = positionals as [string, string];
  const api = args.api(id);
  if (!/^https?:\/\//.test(url)) fail(`${url} is not an http(s) URL`);
  const timeoutSeconds = args.seconds('timeout', values.timeout);

  let spec: OpenApiBundle;
  try {
    spec = JSON.parse(readFileSync(join(generatedDir(projectRoot, api.id), 'openapi.json'), 'utf8'));
  } catch (error) {
    fail(`cannot read generated/${api.id}/openapi.json (${(error as Error).message}); run npm run generate`);
  }
  const webhooks = listWebhooks(spec);
  if (webhooks.length === 0) fail(`${api.id} has no webhooks (its bundle has no top-level "webhooks")`);

  let cases;
  try {
    cases = receiverCases(spec, { ...(values.secret ? { secret: values.secret } : {}), ...(values.token !== undefined ? { token: values.token } : {}) });
  } catch (error) {
    fail((error as Error).message);
  }
  const notes: string[] = [];
  if (values.secret && !webhooks.some((webhook) => webhook.signature)) notes.push(`${api.id} does not sign its webhooks; --secret is not used`);
  if (values.token !== undefined && !webhooks.some((webhook) => sendsBearer(spec, webhook))) notes.push(`${api.id} sends no bearer token with its webhooks; --token is not used`);
  if (values.token === undefined && webhooks.some((webhook) => sendsBearer(spec, webhook))) {
    notes.push(`${api.id} may send Authorization: Bearer <token> with its webhooks; pass --token to send it and check that a wrong one is refused`);
  }

  console.log(`check-receiver ${api.id} -> ${url}: ${webhooks.length} webhook${webhooks.length === 1 ? '' : 's'}, ${cases.length} cases`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log('');
  const results = await runCases(url, cases, timeoutSeconds * 1000);
  console.log(formatResults(results));
  const mismatches = results.filter((result) => !result.pass).length;
  console.log('');
  console.log(mismatches === 0 ? `all ${results.length} cases as expected` : `${mismatches} of ${results.length} cases not as expected`);
  process.exitCode = mismatches === 0 ? 0 : 1;
}

await main();
