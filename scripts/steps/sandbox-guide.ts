// Writes docs/sandbox/index.html, the sandbox guide: how to run the mocks, credentials and tenants, the control
// API, fault injection, and per API what a fresh tenant holds, a first call, how to subscribe a local receiver
// and every event it can emit. Everything comes from redocly.yaml, the bundles, the code samples and each
// sandbox.yaml, so a sixth API gets its section without an edit here. Every command is shell text a reader can
// copy; test/docs/sandbox-guide.test.ts runs each one against the mocks. A trailing `# -> <status>` says what
// the command answers when that is not a 2xx.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDeclaration } from '../../mocks/shared/declaration.ts';
import { readSignature } from '../../mocks/shared/signing.ts';
import { listWebhooks } from '../../mocks/shared/webhook-payloads.ts';
import type { ApiEntry } from '../lib/apis.ts';
import { basePathsOf, firstExampleOf, pointerValues, resolveLocalRef, valueAt } from '../../mocks/shared/openapi-json.ts';
import type { Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { authKindOf } from './client.ts';
import { codeSamplesPath, exampleRequestTarget, METHODS, shellQuote, type OperationSample } from './code-samples.ts';
import { docsDir } from './docs.ts';
import { escapeHtml, inlineMarkdown, SITE_STYLE } from './docs-index.ts';

type Obj = Record<string, any>;

/** The tenant every command of the guide acts as, and the receiver it subscribes. */
export const GUIDE_TENANT = 'team-a';
export const GUIDE_PASSWORD = 'secret';
export const GUIDE_RECEIVER = 'https://127.0.0.1:9000/hook';
const HOST = '127.0.0.1';

interface Section {
  id: string;
  title: string;
  origin: string;
  baseUrl: string;
  kind: 'bearer' | 'basic';
  seeds: { collection: string; items: number; operationId: string }[];
  firstCall?: string;
  subscribe?: { operationId: string; command: string };
  webhooks: { name: string; signed?: string; examples: { name: string; summary?: string; emit: string }[]; event: string }[];
}

const authCurl = (kind: 'bearer' | 'basic') => (kind === 'basic' ? `-u ${shellQuote(`${GUIDE_TENANT}:${GUIDE_PASSWORD}`)}` : `-H ${shellQuote(`Authorization: Bearer ${GUIDE_TENANT}`)}`);
const authEmit = (kind: 'bearer' | 'basic') => (kind === 'basic' ? `--user ${GUIDE_TENANT} --password ${GUIDE_PASSWORD}` : `--token ${GUIDE_TENANT}`);

/** Every operation of a bundle by operationId: its method, path, path item and operation object. */
function operationsById(spec: Obj): Map<string, { method: string; path: string; item: Obj; operation: Obj }> {
  const found = new Map<string, { method: string; path: string; item: Obj; operation: Obj }>();
  for (const [path, item] of Object.entries<Obj>(spec.paths ?? {})) {
    for (const method of METHODS) if (item[method]?.operationId) found.set(item[method].operationId, { method, path, item, operation: item[method] });
  }
  return found;
}

/** The first example of an operation's first 2xx answer. */
function successExample(spec: Obj, operation: Obj): unknown {
  const status = Object.keys(operation.responses ?? {}).find((code) => /^2/.test(code));
  return firstExampleOf(spec, status ? resolveLocalRef(spec, operation.responses[status]).value?.content?.['application/json'] : undefined);
}

/** A copy of a value with every http(s) URL in it replaced: the request example, pointed at a local receiver. */
function withUrls(value: unknown, url: string): unknown {
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? url : value;
  if (Array.isArray(value)) return value.map((item) => withUrls(item, url));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withUrls(item, url)]));
  return value;
}

const curlLines = (lines: string[]) => lines.join(' \\\n  ');

/**
 * The subscription widened so every example of every webhook reaches it: each list-valued filter the deliveries
 * declare as a pointer into the payload lists every value those examples carry there, and a filter declared as a
 * constant (`enable: true`) takes that value. Other single-valued filters stay as the example has them.
 */
function catchingEverything(subscription: unknown, deliveries: Obj, examplesOf: (webhook: string) => unknown[]): unknown {
  const copy = structuredClone(subscription) as Obj;
  for (const [webhook, declaration] of Object.entries<Obj>(deliveries)) {
    const holders: Obj[] = declaration.targets ? ((copy[declaration.targets] ?? []) as Obj[]) : [copy];
    for (const [field, filter] of Object.entries<unknown>(declaration.match ?? {})) {
      const isPointer = typeof filter === 'string' && filter.startsWith('/');
      const wanted = isPointer ? examplesOf(webhook).flatMap((payload) => pointerValues(payload, filter)) : [];
      for (const holder of holders) {
        if (!isPointer && field in holder) holder[field] = filter;
        else if (Array.isArray(holder[field])) holder[field] = [...new Set([...holder[field], ...wanted])];
      }
    }
  }
  return copy;
}

function sandboxSection(api: ApiEntry, spec: Obj, declaration: Obj, samples: OperationSample[]): Section {
  const kind = authKindOf(spec as never, api.id);
  const origin = `http://${HOST}:${api.port}`;
  const baseUrl = origin + (basePathsOf(spec).at(-1) ?? '');
  const production = String(spec.servers?.[0]?.url ?? '').replace(/\/+$/, '');
  const operations = operationsById(spec);
  const collections = (declaration.collections ?? {}) as Obj;
  const declared = (declaration.operations ?? {}) as Obj;

  const seeds = Object.entries(collections).flatMap(([collection, definition]) => {
    const seed = definition.seed as Obj | undefined;
    const source = seed && operations.get(seed.operation);
    if (!source) return [];
    const seeded = seed.at ? valueAt(successExample(spec, source.operation), seed.at) : successExample(spec, source.operation);
    return [{ collection, items: Array.isArray(seeded) ? seeded.length : seeded === undefined ? 0 : 1, operationId: seed.operation as string }];
  });

  // The reference page's first sample, aimed at the mock as the tenant of this guide.
  const firstSample = samples[0];
  const firstCall = firstSample?.curl
    .replace(production, baseUrl)
    .replace(`-H 'Authorization: Bearer <token>'`, authCurl(kind))
    .replace(`-u '<username>:<password>'`, authCurl(kind));

  // Subscribing: the operation that creates (or, for a single configuration, replaces) what deliveries go to.
  const deliveries = (declaration.deliveries ?? {}) as Obj;
  const subscribers = Object.values<Obj>(deliveries)[0]?.subscribers as string | undefined;
  const writer =
    Object.entries<Obj>(declared).find(([, operation]) => operation.collection === subscribers && operation.action === 'create') ??
    Object.entries<Obj>(declared).find(([, operation]) => operation.collection === subscribers && operation.action === 'update');
  let subscribe: Section['subscribe'];
  const write = writer && operations.get(writer[0]);
  if (write) {
    const example = firstExampleOf(spec, resolveLocalRef(spec, write.operation.requestBody).value?.content?.['application/json']);
    const target = exampleRequestTarget(spec, write.path, write.method);
    const webhookExamples = new Map(listWebhooks(spec as never).map((webhook) => [webhook.name, webhook.examples.map((example) => example.value)]));
    const body = catchingEverything(withUrls(example, GUIDE_RECEIVER), deliveries, (name) => webhookExamples.get(name) ?? []);
    subscribe = {
      operationId: writer[0],
      command: curlLines([
        `curl -X ${write.method.toUpperCase()} ${shellQuote(baseUrl + target)}`,
        authCurl(kind),
        `-H 'Content-Type: application/json'`,
        `--data-raw ${shellQuote(JSON.stringify(body, null, 2))}`,
      ]),
    };
  }

  const webhooks = listWebhooks(spec as never)
    .filter((webhook) => deliveries[webhook.name])
    .map((webhook) => {
      const signature = readSignature(spec, webhook.operation);
      return {
        name: webhook.name,
        signed: signature ? `${signature.header}: ${signature.algorithm} of the raw body, keyed with the subscription's ${signature.key ?? 'secret'}` : undefined,
        examples: webhook.examples.map((example) => ({
          name: example.name,
          summary: example.summary,
          emit: `npx partner-api-sandbox emit ${api.id} ${webhook.name} --example ${example.name} ${authEmit(kind)}`,
        })),
        event: curlLines([
          `curl -X POST ${shellQuote(`${origin}/_sandbox/events`)}`,
          authCurl(kind),
          `-H 'Content-Type: application/json'`,
          `--data-raw ${shellQuote(JSON.stringify({ webhook: webhook.name, example: webhook.examples[0]?.name }))}`,
        ]),
      };
    });

  return { id: api.id, title: String(spec.info?.title ?? api.id), origin, baseUrl, kind, seeds, firstCall, subscribe, webhooks };
}

const shell = (command: string) => `<pre><code class="shell">${escapeHtml(command)}</code></pre>`;

/** The control API and fault injection, shown on the first API with a GET that needs no parameter. */
function controlAndFaults(sections: Section[], specs: Map<string, Obj>): string {
  const demo = sections.find((section) => firstPlainGet(specs.get(section.id)!) !== undefined) ?? sections[0]!;
  const get = `${demo.baseUrl}${firstPlainGet(specs.get(demo.id)!) ?? ''}`;
  const auth = authCurl(demo.kind);
  const state = `${demo.origin}/_sandbox/state`;
  return `
  <section id="control">
    <h2>The control API</h2>
    <p>Beside the vendor's paths, every mock answers under <code>/_sandbox/</code> on its own port. It takes the API's own
    credentials, so each team acts on its own tenant, and answers errors as <code>application/problem+json</code>. The examples use
    <code>${escapeHtml(demo.id)}</code> on port ${new URL(demo.origin).port}; the other mocks answer the same paths.</p>
    <table>
      <tr><th>Request</th><th>What it does</th></tr>
      <tr><td><code>GET /_sandbox/state</code></td><td>the tenant's collections, as stored (secrets the API never answers included)</td></tr>
      <tr><td><code>PUT /_sandbox/state</code></td><td>replaces them with a body of the same shape, checked against the schemas; 400 names the field</td></tr>
      <tr><td><code>POST /_sandbox/reset</code></td><td>back to the seeded examples</td></tr>
      <tr><td><code>POST /_sandbox/events</code></td><td>the vendor sends one of its webhooks (<code>{"webhook", "example"?, "payload"?}</code>) to the tenant's matching subscriptions; answers the deliveries made</td></tr>
      <tr><td><code>GET /_sandbox/deliveries</code></td><td>the tenant's delivery log, newest first: id, URL, headers, body and every attempt</td></tr>
      <tr><td><code>POST /_sandbox/deliveries/{id}/redeliver</code></td><td>sends a logged delivery again, as a new delivery naming the original</td></tr>
      <tr><td><code>GET /_sandbox/requests</code></td><td>what the tenant sent this mock, newest first: method, path, query, headers (without credentials), body, status, the operation matched, the problems found</td></tr>
      <tr><td><code>POST /_sandbox/oauth/token</code></td><td>OAuth 2.0 client credentials, standing in for the vendors' token endpoints: any client id, its secret fixed by its first request; the token's tenant is the client id; <code>expires_in</code> (seconds) may be sent as a form field</td></tr>
    </table>
    ${shell(curlLines([`curl ${shellQuote(state)}`, auth]))}
    ${shell(curlLines([`curl -X PUT ${shellQuote(state)}`, auth, `-H 'Content-Type: application/json'`, `--data-raw ${shellQuote('{"unknownCollection": []}')}  # -> 400`]))}
    ${shell(curlLines([`curl -X POST ${shellQuote(`${demo.origin}/_sandbox/reset`)}`, auth]))}
    ${shell(curlLines([`curl ${shellQuote(`${demo.origin}/_sandbox/deliveries`)}`, auth]))}
    ${shell(curlLines([`curl ${shellQuote(`${demo.origin}/_sandbox/requests`)}`, auth]))}
    ${shell(curlLines([`curl -X POST ${shellQuote(`${demo.origin}/_sandbox/oauth/token`)}`, `-u ${shellQuote(`${GUIDE_TENANT}:my-secret`)}`, `-H 'Content-Type: application/x-www-form-urlencoded'`, `--data-raw 'grant_type=client_credentials&expires_in=600'`]))}
  </section>

  <section id="faults">
    <h2>Fault injection</h2>
    <p>A <code>Prefer</code> header on any request asks for a fault, answered in the vendor's own error envelope:
    <code>delay=&lt;ms&gt;</code> (up to 60000) answers late, <code>fault=&lt;500-599&gt;</code> answers that status,
    <code>fault=429</code> answers 429 with <code>Retry-After: 1</code> (<code>retry-after=&lt;seconds&gt;</code> sets it),
    <code>fault=reset</code> drops the connection. Prism's own <code>code=</code>, <code>example=</code> and
    <code>dynamic=true</code> pick a documented answer without touching the tenant's state. <code>npx partner-api-sandbox start --faults 0.1</code>
    injects a random fault into a tenth of all requests.</p>
    ${shell(curlLines([`curl ${shellQuote(get)}`, auth, `-H 'Prefer: delay=500'`]))}
    ${shell(curlLines([`curl ${shellQuote(get)}`, auth, `-H 'Prefer: fault=503'  # -> 503`]))}
    ${shell(curlLines([`curl ${shellQuote(get)}`, auth, `-H 'Prefer: fault=reset'  # -> connection reset`]))}
    ${shell(curlLines([`curl ${shellQuote(get)}`, auth, `-H 'Prefer: code=401'  # -> 401`]))}
  </section>`;
}

function firstPlainGet(spec: Obj): string | undefined {
  for (const [path, item] of Object.entries<Obj>(spec.paths ?? {})) {
    const parameters = [...(item.parameters ?? []), ...(item.get?.parameters ?? [])].map((parameter) => resolveLocalRef(spec, parameter).value);
    if (item.get && !path.includes('{') && !parameters.some((parameter) => parameter.required)) return path;
  }
  return undefined;
}

function apiSection(section: Section): string {
  const seeds = section.seeds.length
    ? `<p>A fresh tenant holds ${section.seeds.map((seed) => `${seed.items} item${seed.items === 1 ? '' : 's'} in <code>${escapeHtml(seed.collection)}</code> (the example of <code>${escapeHtml(seed.operationId)}</code>)`).join(', ')}.</p>`
    : '';
  const credentials =
    section.kind === 'basic'
      ? `HTTP Basic: any user and password; the user is the tenant (<code>${GUIDE_TENANT}</code> below).`
      : `a bearer token: any token; the token is the tenant (<code>${GUIDE_TENANT}</code> below).`;
  const webhooks = section.webhooks.map(
    (webhook) => `
    <h4><code>${escapeHtml(webhook.name)}</code></h4>
    ${webhook.signed ? `<p>Signed: <code>${escapeHtml(webhook.signed)}</code>.</p>` : ''}
    <table class="events">
      <tr><th>Example</th><th>Emit it</th></tr>
      ${webhook.examples.map((example) => `<tr><td>${example.summary ? inlineMarkdown(example.summary) : `<code>${escapeHtml(example.name)}</code>`}</td><td>${shell(example.emit)}</td></tr>`).join('\n      ')}
    </table>
    <p>The same through the control API:</p>
    ${shell(webhook.event)}`,
  );
  return `
  <section class="api" id="${escapeHtml(section.id)}">
    <h2>${escapeHtml(section.title)} <small><code>${escapeHtml(section.id)}</code></small></h2>
    <p>Mock: <code>${escapeHtml(section.baseUrl)}</code> (the production paths, only the origin swapped). Credentials: ${credentials}
    <a href="../${escapeHtml(section.id)}/index.html">Reference</a>.</p>
    ${seeds}
    ${section.firstCall ? `<p>The reference page's first sample, against the mock:</p>\n    ${shell(section.firstCall)}` : ''}
    ${
      section.subscribe && section.webhooks.length
        ? `<h3>Receive its webhooks</h3>
    <p>Subscribe your receiver (here <code>${GUIDE_RECEIVER}</code>) with <code>${escapeHtml(section.subscribe.operationId)}</code>: the
    reference page's request example, with its URLs replaced by the receiver's and its event filters listing every event below. The seeded subscriptions point at the vendor's example hosts, which the
    sandbox refuses: it delivers to loopback only, unless started with <code>--remote-callbacks</code>, and sends
    <code>https://</code> to loopback as plain HTTP, so a local receiver needs no certificate.</p>
    ${shell(section.subscribe.command)}
    <p>Then have the vendor send any of these events to your tenant's matching subscriptions. A delivery that fails is
    retried after 1, 2, 4 and 8 seconds (the sandbox's policy, not the vendor's); <code>GET /_sandbox/deliveries</code> shows every attempt.</p>
    ${webhooks.join('\n')}`
        : ''
    }
  </section>`;
}

export function sandboxGuideHtml(sections: Section[], specs: Map<string, Obj>): string {
  const ports = sections.map((section) => `<tr><td><a href="#${escapeHtml(section.id)}"><code>${escapeHtml(section.id)}</code></a></td><td><code>${escapeHtml(section.baseUrl)}</code></td><td>${section.kind === 'basic' ? 'Basic' : 'Bearer'}</td><td>${section.webhooks.reduce((sum, webhook) => sum + webhook.examples.length, 0) || '-'}</td></tr>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sandbox guide - Partner API reference</title>
  <link rel="icon" href="../favicon.ico" sizes="32x32">
  <style>
${SITE_STYLE}
    h2 { margin: 2rem 0 .5rem; font-size: 1.3rem; }
    h3 { margin: 1.25rem 0 .5rem; font-size: 1.1rem; }
    h4 { margin: 1rem 0 .25rem; }
    small { font-weight: normal; color: var(--muted); }
    section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .25rem 1.25rem 1rem; margin: 0 0 1rem; }
    pre { margin: .5rem 0; padding: .6rem .8rem; background: #1d2430; color: #f1f3f6; border-radius: 6px; overflow-x: auto; }
    pre code { background: none; padding: 0; color: inherit; }
    table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
    th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: .35rem .5rem; }
    td pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    table.events { table-layout: fixed; }
    table.events th:first-child { width: 30%; }
  </style>
</head>
<body>
<main>
  <p><a href="../index.html">Partner API reference</a></p>
  <h1>Sandbox guide</h1>
  <p class="intro">One mock per partner API, at the vendor's production paths, that keeps what your integration creates and
  pushes the vendor's events to your receiver. Nothing here needs vendor credentials or the network.</p>

  <section id="run">
    <h2>Run the sandbox</h2>
    ${shell('npm install --save-dev partner-api-sandbox && npx partner-api-sandbox start')}
    <p>serves the five mocks on 127.0.0.1 until Ctrl-C; <code>--only &lt;ids&gt;</code> serves some. Options:
    <code>--port-base</code> (first mock port; 0 for free ports), <code>--host</code>, <code>--json</code> (one line of URLs for
    scripts), <code>--state-file &lt;path&gt;</code> (keep tenants across restarts), <code>--emit-every &lt;seconds&gt;</code>
    (a random event to every tenant's subscribers), <code>--faults &lt;share&gt;</code>, <code>--remote-callbacks</code>,
    <code>--insecure-tls</code> (self-signed https receivers). <code>npx partner-api-sandbox --help</code> lists the commands:
    <code>start</code>, <code>emit</code>, <code>proxy</code>, <code>check-receiver</code>.</p>
    <p>From a test suite, start it in the test process and assert on both sides of your integration:</p>
    <pre><code class="ts">${escapeHtml(`import { startSandbox } from 'partner-api-sandbox';

const sandbox = await startSandbox({ apis: ['energy-coordination'] }); // free ports
const spark = sandbox.api('energy-coordination').tenant({ token: 'my-team' });
// ... your service subscribes a receiver at sandbox.urls['energy-coordination'] ...
await spark.emit('eventCreated');
const delivery = await spark.waitForDelivery({ webhook: 'eventCreated' });
const requests = await spark.requests(); // what your service sent
await spark.redeliver(delivery.id);
await sandbox.close();`)}</code></pre>
    <p>The project's README has the vitest <code>globalSetup</code> and <code>node:test</code> recipes. From a clone of the
    repository, <code>npm ci && npm start</code> serves the same mocks from the working tree, and this site.</p>
    <table>
      <tr><th>API</th><th>Mock base URL</th><th>Credentials</th><th>Events to emit</th></tr>
      ${ports.join('\n      ')}
    </table>
  </section>

  <section id="tenants">
    <h2>Credentials and tenants</h2>
    <p>The mocks check that credentials are present and well formed, not who sent them: any bearer token, or any Basic user
    and password, is accepted. The token, or the Basic user, is your <em>tenant</em>: each tenant starts from the seeded
    examples and sees only what it created, so teams and test runs sharing one sandbox do not meet. A request without
    credentials gets 401 in the vendor's error envelope, with a <code>WWW-Authenticate</code> challenge.</p>
  </section>
${controlAndFaults(sections, specs)}
${sections.map(apiSection).join('\n')}
</main>
</body>
</html>
`;
}

export function sandboxGuideStep(apis: ApiEntry[], root: string): Step {
  const output = join(docsDir(root), 'sandbox', 'index.html');
  const inputs = apis.flatMap((api) => [bundlePath(root, api.id), codeSamplesPath(root, api.id), join(root, api.specDir, 'sandbox.yaml')]);
  return {
    name: 'docs sandbox guide',
    inputs: [`${root}/redocly.yaml`, ...inputs, `${root}/scripts/steps/sandbox-guide.ts`, `${root}/scripts/steps/docs-index.ts`],
    outputs: [output],
    async run() {
      const specs = new Map<string, Obj>();
      const sections: Section[] = [];
      for (const api of apis) {
        const spec = JSON.parse(readFileSync(bundlePath(root, api.id), 'utf8')) as Obj;
        const { codeSamples } = (await import(pathToFileURL(codeSamplesPath(root, api.id)).href)) as { codeSamples: OperationSample[] };
        specs.set(api.id, spec);
        sections.push(sandboxSection(api, spec, loadDeclaration(join(root, api.specDir, 'sandbox.yaml')), codeSamples));
      }
      mkdirSync(join(docsDir(root), 'sandbox'), { recursive: true });
      writeFileSync(output, sandboxGuideHtml(sections, specs));
    },
  };
}
