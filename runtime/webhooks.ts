// The hand-written half of every generated webhook receiver: raw body in, validated payload out. Each
// generated/<api>/webhooks.ts only supplies its webhooks' names, validators (Ajv standalone code, generated at
// build time) and signature scheme. No Node-only API: WebCrypto, TextEncoder and atob work on edge runtimes too.

/** One Ajv error, as the generated standalone validators report it. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A generated validator: true when the payload matches the webhook's request body schema. */
export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

/** The body exactly as received: the signature is computed over these bytes, so pass them before any parsing. */
export type RawBody = string | Uint8Array | ArrayBuffer;

/** A Fetch `Headers`, or a plain object such as Node's `req.headers` (names are matched case-insensitively). */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | readonly string[] | undefined>;

export interface WebhookReceiverOptions {
  /**
   * The shared secret of the subscription. When set, a delivery whose signature header is missing or does not
   * match the body is rejected with a WebhookSignatureError. When unset, the signature is not checked.
   */
  secret?: string;
}

/** Describes one webhook to the runtime; written by the pipeline into generated/<api>/webhooks.ts. */
export interface WebhookDescriptor {
  /** The key under the spec's `webhooks`, e.g. `cabinetEventPush`. */
  name: string;
  validate: ValidateFunction;
  signature?: { header: string; algorithm: 'HMAC-SHA256'; encoding: 'base64' };
}

/** Base class of every receiver error; `webhook` names the webhook (or webhooks) being parsed. */
export class WebhookError extends Error {
  constructor(readonly webhook: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The body is not a string or bytes, not UTF-8, or not JSON. */
export class WebhookParseError extends WebhookError {}

/** The signature header is missing, not Base64, or does not match the body and the configured secret. */
export class WebhookSignatureError extends WebhookError {}

/** The payload does not match the spec's schema; the message reads `<field>: <reason>`. */
export class WebhookValidationError extends WebhookError {
  /** Dotted path of the offending field, e.g. `eventData.faultType` or `data[0].type`; `(body)` for the root. */
  readonly field: string;
  /** The JSON Schema keyword that failed, e.g. `type`, `required`, `enum`. */
  readonly keyword: string;
  /** The reason, e.g. `must be integer`. */
  readonly reason: string;

  constructor(webhook: string, field: string, keyword: string, reason: string) {
    super(webhook, `${field}: ${reason}`);
    this.field = field;
    this.keyword = keyword;
    this.reason = reason;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function appendField(path: string, key: string): string {
  if (/^\d+$/.test(key)) return `${path}[${key}]`;
  if (IDENTIFIER.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function fieldOf(error: SchemaError): string {
  let path = error.instancePath
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(appendField, '');
  const extra = error.params.missingProperty ?? error.params.additionalProperty ?? error.params.unevaluatedProperty;
  if (typeof extra === 'string') path = appendField(path, extra);
  return path || '(body)';
}

// The validators are compiled without Ajv's message strings (smaller bundles); the reasons are worded here.
function reasonOf(error: SchemaError): string {
  const { params } = error;
  const list = (values: unknown) => (Array.isArray(values) ? values : [values]).map((value) => JSON.stringify(value)).join(', ');
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
      return 'is required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not allowed';
    case 'type':
      return `must be ${Array.isArray(params.type) ? params.type.join(' or ') : String(params.type)}`;
    case 'enum':
      return `must be one of ${list(params.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'format':
      return `must match format "${String(params.format)}"`;
    case 'pattern':
      return `must match pattern "${String(params.pattern)}"`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'multipleOf':
      return `must be a multiple of ${String(params.multipleOf)}`;
    case 'minLength':
    case 'maxLength':
      return `must have ${error.keyword === 'minLength' ? 'at least' : 'at most'} ${String(params.limit)} characters`;
    case 'minItems':
    case 'maxItems':
      return `must have ${error.keyword === 'minItems' ? 'at least' : 'at most'} ${String(params.limit)} items`;
    case 'minProperties':
    case 'maxProperties':
      return `must have ${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(params.limit)} properties`;
    case 'uniqueItems':
      return `must not have duplicate items (items ${String(params.j)} and ${String(params.i)} are equal)`;
    case 'oneOf':
      return 'must match exactly one of the allowed shapes';
    case 'anyOf':
      return 'must match one of the allowed shapes';
    case 'not':
      return 'must not match the excluded shape';
    case 'false schema':
      return 'is not allowed';
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

const depth = (error: SchemaError) => fieldOf(error).split(/[.[]/).length;

/** The most specific of a failed validation's errors: the deepest field, the first among equals. */
function toValidationError(webhook: string, errors: readonly SchemaError[]): WebhookValidationError {
  const best = errors.reduce((chosen, error) => (depth(error) > depth(chosen) ? error : chosen));
  return new WebhookValidationError(webhook, fieldOf(best), best.keyword, reasonOf(best));
}

function toBytes(webhook: string, rawBody: RawBody): Uint8Array<ArrayBuffer> {
  if (typeof rawBody === 'string') return new TextEncoder().encode(rawBody);
  if (rawBody instanceof ArrayBuffer) return new Uint8Array(rawBody.slice(0));
  if (rawBody instanceof Uint8Array) return new Uint8Array(rawBody);
  throw new WebhookParseError(
    webhook,
    `(body): expected the raw body as a string, Uint8Array or ArrayBuffer, got ${rawBody === null ? 'null' : typeof rawBody} (pass the body before any JSON parsing)`,
  );
}

function headerOf(headers: WebhookHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() === lower) return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const binary = atob(text.trim());
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

async function verifySignature(
  webhook: string,
  signature: NonNullable<WebhookDescriptor['signature']>,
  body: Uint8Array<ArrayBuffer>,
  headers: WebhookHeaders | undefined,
  secret: string,
): Promise<void> {
  const value = headerOf(headers, signature.header);
  if (!value) throw new WebhookSignatureError(webhook, `${signature.header}: is required when a secret is configured, and is missing`);
  const expected = base64Bytes(value);
  if (!expected) throw new WebhookSignatureError(webhook, `${signature.header}: is not Base64`);
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // WebCrypto's verify compares in constant time.
  if (!(await crypto.subtle.verify('HMAC', key, expected, body))) {
    throw new WebhookSignatureError(webhook, `${signature.header}: does not match the body (HMAC-SHA256 with the configured secret)`);
  }
}

function decodeJson(webhook: string, body: Uint8Array<ArrayBuffer>): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebhookParseError(webhook, '(body): is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WebhookParseError(webhook, `(body): is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * Checks the signature (when the webhook has one and a secret is given), parses the JSON and validates it against
 * the first of `candidates` it matches. With several candidates (one URL receiving several webhooks), a payload
 * matching none fails with the most specific error among them.
 */
export async function receiveWebhook<Payload>(
  candidates: readonly WebhookDescriptor[],
  rawBody: RawBody,
  headers?: WebhookHeaders,
  options: WebhookReceiverOptions = {},
): Promise<Payload> {
  const webhook = candidates.map((candidate) => candidate.name).join(' | ');
  const body = toBytes(webhook, rawBody);
  if (options.secret !== undefined) {
    if (typeof options.secret !== 'string' || options.secret === '') {
      throw new TypeError(`${webhook}: options.secret must be a non-empty string when given`);
    }
    const checked = new Set<string>();
    for (const { signature } of candidates) {
      if (signature && !checked.has(signature.header)) {
        checked.add(signature.header);
        await verifySignature(webhook, signature, body, headers, options.secret);
      }
    }
  }
  const payload = decodeJson(webhook, body);
  const failures: SchemaError[] = [];
  for (const candidate of candidates) {
    if (candidate.validate(payload)) return payload as Payload;
    failures.push(...(candidate.validate.errors ?? [{ instancePath: '', keyword: 'schema', params: {}, message: 'does not match the schema' }]));
  }
  throw toValidationError(webhook, failures);
}
