// The HTTP edge of a mock: request targets that may not decode, bodies that may be too large or not UTF-8,
// header values that must stay Latin-1. Nothing here throws at the caller; every problem becomes a value.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much, an oversized body is no longer drained but the connection closed after the 413. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export interface Target {
  path: string;
  /** The raw query string without `?`. */
  search: string;
  /** Why the target cannot be used (malformed percent-encoding), for a 400. */
  invalid?: string;
}

/** Splits the request target without `new URL` (which would fold `//x` into a host) and checks its encoding. */
export function targetOf(rawUrl: string | undefined): Target {
  let url = rawUrl ?? '/';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
  const hashAt = url.indexOf('#');
  if (hashAt >= 0) url = url.slice(0, hashAt);
  const queryAt = url.indexOf('?');
  const path = queryAt >= 0 ? url.slice(0, queryAt) : url;
  const search = queryAt >= 0 ? url.slice(queryAt + 1) : '';
  const target: Target = { path: path.startsWith('/') ? path : `/${path}`, search };
  try {
    decodeURIComponent(path);
  } catch {
    target.invalid = `path: ${JSON.stringify(path)} has a malformed percent-encoding`;
    return target;
  }
  for (const pair of search.split('&')) {
    try {
      decodeURIComponent(pair.replace(/\+/g, ' '));
    } catch {
      target.invalid = `query: ${JSON.stringify(pair)} has a malformed percent-encoding`;
      break;
    }
  }
  return target;
}

/** The query as Prism takes it: one string per name, or every value when the name repeats. */
export function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  if (!search) return query;
  const searchParams = new URLSearchParams(search);
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

export type BodyResult = { kind: 'none' } | { kind: 'body'; bytes: Buffer } | { kind: 'too-large'; drained: boolean } | { kind: 'aborted' };

/** Reads the body up to MAX_BODY_BYTES; beyond it keeps draining (so the 413 reaches the client) up to a cap. */
export function readBody(request: IncomingMessage): Promise<BodyResult> {
  const declared = request.headers['content-length'];
  if (declared === '0' || (declared === undefined && request.headers['transfer-encoding'] === undefined)) {
    return Promise.resolve({ kind: 'none' });
  }
  return new Promise((resolveBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (!settled) (settled = true), resolveBody(result);
    };
    if (declared !== undefined && Number(declared) > MAX_DRAIN_BYTES) {
      request.resume();
      return settle({ kind: 'too-large', drained: false });
    }
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) settle({ kind: 'too-large', drained: false });
    });
    request.on('end', () => settle(size > MAX_BODY_BYTES ? { kind: 'too-large', drained: true } : { kind: 'body', bytes: Buffer.concat(chunks) }));
    request.on('error', () => settle({ kind: 'aborted' }));
    request.on('close', () => settle(size > MAX_BODY_BYTES ? { kind: 'too-large', drained: false } : { kind: 'aborted' }));
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBody(bytes: Buffer | undefined, contentType: string | undefined): { body: unknown; invalid?: string } {
  if (bytes === undefined) return { body: undefined };
  const isJson = /^\s*application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType ?? '');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { body: bytes.toString('latin1'), invalid: isJson ? 'body: is not valid UTF-8' : undefined };
  }
  if (!isJson) return { body: text };
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return { body: text, invalid: `body: is not valid JSON (${(error as Error).message})` };
  }
}

const UNSAFE_HEADER_CHARS = /[^\x20-\x7e]/;

/** A header value that Node accepts: characters outside printable ASCII written as \uXXXX. */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The bytes an answer's body is written as: JSON, unless it is text of a media type that is not JSON. */
export function payloadOf(body: unknown, contentType: string): string {
  return body === undefined ? '' : typeof body === 'string' && !/json/i.test(contentType) ? body : JSON.stringify(body);
}

export function send(reply: ServerResponse, status: number, headers: Record<string, string | number>, body: unknown) {
  if (reply.headersSent || reply.destroyed) return;
  let contentType = '';
  for (const name in headers) {
    const value = headers[name]!;
    if (typeof value === 'string' && name.length === 12 && name.toLowerCase() === 'content-type') contentType = value;
  }
  sendPayload(reply, status, headers, payloadOf(body, contentType));
}

/** Writes an answer whose body is already serialized; returns its length in bytes. */
export function sendPayload(reply: ServerResponse, status: number, headers: Record<string, string | number>, payload: string): number {
  if (reply.headersSent || reply.destroyed) return 0;
  const safe: Record<string, string | number> = {};
  for (const name in headers) {
    const value = headers[name]!;
    safe[name] = typeof value === 'string' && UNSAFE_HEADER_CHARS.test(value) ? headerSafe(value) : value;
  }
  const length = Buffer.byteLength(payload);
  safe['content-length'] = length;
  reply.writeHead(status, safe);
  reply.end(payload);
  return length;
}
