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
  /**
   * Reject an event type the spec does not list (WebhookValidationError, `event: must be one of ...`) instead of
   * returning it as an UnknownWebhookEvent. Default false: receivers are tolerant readers, so a vendor adding an
   * event type does not stop ingestion until the next release.
   */
  strict?: boolean;
}

/** Options that make a receiver reject unlisted event types; its result is then the spec's payload type. */
export type StrictWebhookReceiverOptions = WebhookReceiverOptions & { strict: true };

/**
 * An event whose type the spec does not list (the vendor added one), as the tolerant receivers return it: the
 * envelope around it was validated, the event itself was not. Tell it apart with `instanceof UnknownWebhookEvent`
 * (or `kind === 'unknown'`), log or store `raw`, and answer the delivery as usual.
 */
export class UnknownWebhookEvent {
  readonly kind = 'unknown' as const;
  constructor(
    /** The key of the webhook under the spec's `webhooks`, e.g. `cabinetEventPush`. */
    readonly webhook: string,
    /** The event type as received, e.g. `CABINET_FLOODED`. */
    readonly eventType: string,
    /** Where the event type was found, e.g. `event` or `data[2].type`. */
    readonly field: string,
    /** The event as received (parsed JSON, not validated). */
    readonly raw: unknown,
  ) {}
}

/**
 * The payload type `T` in which the object at `Path` (the event; `'[]'` steps into array items) may also be an
 * UnknownWebhookEvent. `WithUnknownEvents<Delivery, []>` is `Delivery | UnknownWebhookEvent`.
 */
export type WithUnknownEvents<T, Path extends readonly string[]> = Path extends readonly []
  ? T | UnknownWebhookEvent
  : Path extends readonly ['[]', ...infer Rest extends readonly string[]]
    ? T extends readonly (infer Item)[]
      ? WithUnknownEvents<Item, Rest>[]
      : T
    : Path extends readonly [infer Key extends string, ...infer Rest extends readonly string[]]
      ? T extends object
        ? { [K in keyof T]: K extends Key ? WithUnknownEvents<T[K], Rest> : T[K] }
        : T
      : T;

/** Describes one webhook to the runtime; written by the pipeline into generated/<api>/webhooks.ts. */
export interface WebhookDescriptor {
  /** The key under the spec's `webhooks`, e.g. `cabinetEventPush`. */
  name: string;
  validate: ValidateFunction;
  signature?: { header: string; algorithm: 'HMAC-SHA256'; encoding: 'base64' };
  /** Where the payload names its event type (x-event-type in the spec), for the tolerant receivers. */
  eventType?: {
    /** Path from the root to the event object; `'[]'` steps into array items. */
    path: readonly string[];
    field: string;
    /** The event types the spec lists. */
    known: readonly unknown[];
    /** The payload schema with the event type open and the event-specific data unchecked. */
    envelope: ValidateFunction;
  };
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

/**
 * How specific an error is: the deeper its field the better; at equal depth, a `const`/`enum` mismatch ranks
 * lower, since in a oneOf it usually only says "this is the other variant" (a discriminator such as
 * `payloadType`), while the variant that matches the discriminator names the real fault.
 */
const rank = (error: SchemaError) => fieldOf(error).split(/[.[]/).length * 2 + (error.keyword === 'const' || error.keyword === 'enum' ? 0 : 1);

/** The most specific of a failed validation's errors: the highest rank, the first among equals. */
function toValidationError(webhook: string, errors: readonly SchemaError[]): WebhookValidationError {
  const best = errors.reduce((chosen, error) => (rank(error) > rank(chosen) ? error : chosen));
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

interface EventSlot {
  /** The array or object holding the event, and its index or key there (undefined for the root). */
  holder?: unknown[] | Record<string, unknown>;
  key?: number | string;
  event: unknown;
  where: string;
}

/** The events at `path` in a payload (the root when the path is empty), with where each one sits. */
function eventsAt(payload: unknown, path: readonly string[], where = ''): EventSlot[] {
  if (path.length === 0) return [{ event: payload, where }];
  const [step, ...rest] = path;
  if (step === '[]') {
    if (!Array.isArray(payload)) return [];
    return payload.flatMap((item, index) =>
      rest.length === 0 ? [{ holder: payload, key: index, event: item, where: `${where}[${index}]` }] : eventsAt(item, rest, `${where}[${index}]`),
    );
  }
  if (!payload || typeof payload !== 'object' || !(step! in payload)) return [];
  const value = (payload as Record<string, unknown>)[step!];
  const next = appendField(where, step!);
  return rest.length === 0 ? [{ holder: payload as Record<string, unknown>, key: step!, event: value, where: next }] : eventsAt(value, rest, next);
}

const isUnlisted = (event: unknown, field: string, known: readonly unknown[]) =>
  !!event && typeof event === 'object' && field in event && !known.includes((event as Record<string, unknown>)[field]);

/** Maps an error of the copy without the unknown events back to the payload's own array indexes. */
function remapErrors(errors: readonly SchemaError[], copy: unknown, removed: Map<unknown[], number[]>): SchemaError[] {
  return errors.map((error) => {
    let node: unknown = copy;
    const tokens = error.instancePath.split('/').slice(1).map((token) => {
      const current = node;
      node = current && typeof current === 'object' ? (current as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      const gone = Array.isArray(current) ? removed.get(current) : undefined;
      if (!gone || !/^\d+$/.test(token)) return token;
      let index = Number(token);
      for (const removedIndex of gone) if (removedIndex <= index) index++;
      return String(index);
    });
    return { ...error, instancePath: tokens.length ? `/${tokens.join('/')}` : '' };
  });
}

type Tolerated = { value: unknown } | { errors: SchemaError[] } | undefined;

/**
 * The tolerant reading of a payload that failed validation: when it names event types the spec does not list
 * and its envelope is valid, those events become UnknownWebhookEvents. Events in an array are replaced one by
 * one; the rest of the payload (known events included) must then pass the full schema. Returns the errors that
 * explain the failure better than the unlisted type when it has unlisted types but fails otherwise, and
 * undefined when it has none.
 */
function tolerate(candidate: WebhookDescriptor, payload: unknown): Tolerated {
  const eventType = candidate.eventType;
  if (!eventType) return undefined;
  const unknown = eventsAt(payload, eventType.path).filter((slot) => isUnlisted(slot.event, eventType.field, eventType.known));
  if (unknown.length === 0) return undefined;
  if (!eventType.envelope(payload)) return { errors: eventType.envelope.errors ?? [] };
  const toUnknown = (slot: EventSlot) =>
    new UnknownWebhookEvent(candidate.name, String((slot.event as Record<string, unknown>)[eventType.field]), appendField(slot.where, eventType.field), slot.event);
  if (eventType.path.length === 0) return { value: toUnknown(unknown[0]!) };
  if (unknown.every((slot) => Array.isArray(slot.holder))) {
    // Without the unknown events, what is left must be valid in full: a bad known event is still an error.
    const copy = structuredClone(payload);
    const removed = new Map<unknown[], number[]>();
    const slots = eventsAt(copy, eventType.path).filter((slot) => isUnlisted(slot.event, eventType.field, eventType.known));
    for (const slot of slots) removed.set(slot.holder as unknown[], [...(removed.get(slot.holder as unknown[]) ?? []), slot.key as number]);
    for (const slot of slots.reverse()) (slot.holder as unknown[]).splice(slot.key as number, 1);
    if (!candidate.validate(copy)) return { errors: remapErrors(candidate.validate.errors ?? [], copy, removed) };
  }
  for (const slot of unknown) (slot.holder as Record<string | number, unknown>)[slot.key!] = toUnknown(slot);
  return { value: payload };
}

/**
 * Checks the signature (when the webhook has one and a secret is given), parses the JSON and validates it against
 * the first of `candidates` it matches. With several candidates (one URL receiving several webhooks), a payload
 * matching none fails with the most specific error among them. Unless `options.strict`, a payload whose only
 * fault is an event type the spec does not list comes back with that event as an UnknownWebhookEvent.
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
  if (options.strict !== true) {
    // Errors of the envelope (or of the known events) explain a failure better than the unlisted event type.
    const explained: SchemaError[] = [];
    for (const candidate of candidates) {
      const tolerated = tolerate(candidate, payload);
      if (tolerated && 'value' in tolerated) return tolerated.value as Payload;
      if (tolerated) explained.push(...tolerated.errors);
    }
    if (explained.length > 0) throw toValidationError(webhook, explained);
  }
  throw toValidationError(webhook, failures);
}
