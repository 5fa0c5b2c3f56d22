// Writes generated/<api>/webhooks.ts: one typed, validating parse<Name>(rawBody, headers?) per webhook of the
// bundle's top-level `webhooks`, and parseWebhook for a URL that receives all of them. The work is done by
// runtime/webhooks.ts with the validators of generated/<api>/webhook-validators.js. APIs without webhooks get no file.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import type { Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { webhooksOf, type WebhookModel } from './webhooks-model.ts';

export const webhooksTsPath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'webhooks.ts');

const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const comment = (text: string) => text.replace(/\*\//g, '*\\/');

const pathType = (path: readonly string[]) => `[${path.map(quote).join(', ')}]`;

function receiver(model: WebhookModel): string {
  const signed = Boolean(model.signature);
  const what = `the \`${model.key}\` webhook (${model.method.toUpperCase()}${model.operationId ? ` ${model.operationId}` : ''})`;
  const checks = signed
    ? `\n * With \`options.secret\`, first checks ${model.signature!.header} (Base64 HMAC-SHA256 of the raw body) and throws\n * WebhookSignatureError when it is missing or wrong.`
    : '';
  const event = model.eventType;
  const eventWhere = event ? [...event.objectPath.map((step) => (step === '[]' ? '[]' : `.${step}`)), `.${event.field}`].join('').replace(/^\./, '') : '';
  const tolerance = event
    ? `\n * An event whose \`${eventWhere}\` the spec does not list comes back as an UnknownWebhookEvent carrying it as received\n * (the rest of the payload validated); with \`{ strict: true }\` it is rejected like any invalid payload.`
    : '';
  const received = event
    ? `/** What parse${model.name} returns: the payload, with an event of a type the spec does not list as an UnknownWebhookEvent. */
export type ${model.name}Received = WithUnknownEvents<${model.name}Payload, ${pathType(event.objectPath)}>;
`
    : `/** What parse${model.name} returns (this webhook declares no x-event-type, so it is always the payload). */
export type ${model.name}Received = ${model.name}Payload;
`;
  const descriptor = [
    `  name: ${quote(model.key)},`,
    `  validate: validate${model.name},`,
    ...(signed ? [`  signature: { header: ${quote(model.signature!.header)}, algorithm: ${quote(model.signature!.algorithm)}, encoding: ${quote(model.signature!.encoding)} },`] : []),
    ...(event
      ? [`  eventType: { path: ${pathType(event.objectPath)}, field: ${quote(event.field)}, known: ${JSON.stringify(event.values)}, envelope: envelope${model.name} },`]
      : []),
  ];
  return `/** The request body of ${what}${model.summary ? `: ${comment(model.summary)}` : ''}. */
export type ${model.name}Payload = NonNullable<NonNullable<webhooks[${quote(model.key)}][${quote(model.method)}]>['requestBody']>['content']['application/json'];

${received}
const ${model.name}Webhook: WebhookDescriptor = {
${descriptor.join('\n')}
};

/**
 * Parses and validates the raw body of ${what} against the spec's schema.${checks}${tolerance}
 * Throws WebhookParseError for a body that is not JSON and WebhookValidationError naming the field and the reason.
 */
export function parse${model.name}(rawBody: RawBody, headers: WebhookHeaders | undefined, options: StrictWebhookReceiverOptions): Promise<${model.name}Payload>;
export function parse${model.name}(rawBody: RawBody, headers?: WebhookHeaders, options?: WebhookReceiverOptions): Promise<${model.name}Received>;
export function parse${model.name}(rawBody: RawBody, headers?: WebhookHeaders, options: WebhookReceiverOptions = {}): Promise<${model.name}Received> {
  return receiveWebhook<${model.name}Received>([${model.name}Webhook], rawBody, headers, options);
}
`;
}

export function webhooksStep(api: ApiEntry, root: string, outRoot: string): Step {
  const input = bundlePath(outRoot, api.id);
  const output = webhooksTsPath(outRoot, api.id);
  const hasWebhooks = existsSync(input) && webhooksOf(JSON.parse(readFileSync(input, 'utf8')), api.root).length > 0;
  return {
    name: `webhooks ${api.id}`,
    inputs: [input, `${root}/scripts/steps/webhooks.ts`, `${root}/scripts/steps/webhooks-model.ts`],
    outputs: hasWebhooks ? [output] : [],
    async run() {
      const models = webhooksOf(JSON.parse(readFileSync(input, 'utf8')), api.root);
      if (models.length === 0) {
        rmSync(output, { force: true });
        return;
      }
      const anyTolerant = models.some((model) => model.eventType);
      const runtimeTypes = ['RawBody', 'StrictWebhookReceiverOptions', 'WebhookDescriptor', 'WebhookHeaders', 'WebhookReceiverOptions', ...(anyTolerant ? ['WithUnknownEvents'] : [])];
      const validators = models.flatMap((model) => [`validate${model.name}`, ...(model.eventType ? [`envelope${model.name}`] : [])]);
      const source = `// Generated by scripts/steps/webhooks.ts from ${api.root}. Do not edit.
import type { webhooks } from './schema.js';
import { ${validators.join(', ')} } from './webhook-validators.js';
import { receiveWebhook, ${runtimeTypes.map((name) => `type ${name}`).join(', ')} } from '../../runtime/webhooks.js';

export { UnknownWebhookEvent, WebhookError, WebhookParseError, WebhookSignatureError, WebhookValidationError } from '../../runtime/webhooks.js';
export type { RawBody, StrictWebhookReceiverOptions, WebhookHeaders, WebhookReceiverOptions } from '../../runtime/webhooks.js';

${models.map(receiver).join('\n')}
/** The request body of any of this API's webhooks. */
export type WebhookPayload = ${models.map((model) => `${model.name}Payload`).join(' | ')};

/** What parseWebhook returns: any of the webhooks' payloads, with events of unlisted types as UnknownWebhookEvents. */
export type WebhookReceived = ${models.map((model) => `${model.name}Received`).join(' | ')};

/** The keys of the spec's \`webhooks\`. */
export const webhookNames = [${models.map((model) => quote(model.key)).join(', ')}] as const;

/**
 * Parses the raw body of any of this API's webhooks (one URL receiving all of them): the payload is validated
 * against each webhook's schema in turn and returned as the first it matches; failing all, the first whose
 * envelope it matches with an unlisted event type makes it an UnknownWebhookEvent (unless \`{ strict: true }\`).
 */
export function parseWebhook(rawBody: RawBody, headers: WebhookHeaders | undefined, options: StrictWebhookReceiverOptions): Promise<WebhookPayload>;
export function parseWebhook(rawBody: RawBody, headers?: WebhookHeaders, options?: WebhookReceiverOptions): Promise<WebhookReceived>;
export function parseWebhook(rawBody: RawBody, headers?: WebhookHeaders, options: WebhookReceiverOptions = {}): Promise<WebhookReceived> {
  return receiveWebhook<WebhookReceived>([${models.map((model) => `${model.name}Webhook`).join(', ')}], rawBody, headers, options);
}
`;
      writeFileSync(output, source);
    },
  };
}
