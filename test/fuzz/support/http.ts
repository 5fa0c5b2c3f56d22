// A request as data (a "recipe": small to print as a counterexample, even for a 1 MiB body) and a raw sender on
// node:http that can put any byte into the path, the headers and the body. Strings in `path` and `headers` are
// Latin-1 byte strings: each char is one byte on the wire, so UTF-8 or invalid bytes go through unvalidated.
import http from 'node:http';

export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; hex: string }
  /** `base` (an object) with `field` set to `length` copies of `unit`. */
  | { kind: 'huge'; base: unknown; field: string; unit: string; length: number }
  /** A JSON object of about `bytes` bytes. */
  | { kind: 'oversize'; bytes: number };

export interface Recipe {
  /** What the request tries: valid, wrong-method, credentials, ... */
  kind: string;
  /** The operation it was derived from (`GET /events/{eventId}`), or what it aims at. */
  target: string;
  method: string;
  /** Path and query as sent (Latin-1 byte string). */
  url: string;
  headers: Record<string, string>;
  body?: BodySpec;
  note?: string;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The UTF-8 bytes of `text` as a Latin-1 string (one char per byte), for raw paths and headers. */
export const utf8AsLatin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

export function bodyBytes(body: BodySpec | undefined): Buffer | undefined {
  if (!body) return undefined;
  switch (body.kind) {
    case 'json':
      return Buffer.from(JSON.stringify(body.value) ?? '', 'utf8');
    case 'text':
      return Buffer.from(body.text, 'utf8');
    case 'bytes':
      return Buffer.from(body.hex, 'hex');
    case 'huge': {
      const base = body.base && typeof body.base === 'object' && !Array.isArray(body.base) ? body.base : {};
      return Buffer.from(JSON.stringify({ ...base, [body.field]: body.unit.repeat(body.length) }), 'utf8');
    }
    case 'oversize':
      return Buffer.from(JSON.stringify({ pad: 'x'.repeat(Math.max(0, body.bytes - 10)) }), 'utf8');
  }
}

/** Sends one request on a fresh connection; resolves the answer, or `dropped` naming how the connection ended. */
export function send(origin: string, recipe: Recipe, timeoutMs = 15_000): Promise<Answer | { dropped: string }> {
  const { hostname, port } = new URL(origin);
  const payload = bodyBytes(recipe.body);
  const headers: Record<string, string> = { ...recipe.headers };
  if (payload && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) headers['content-length'] = String(payload.length);
  return new Promise((resolveSend) => {
    let settled = false;
    const done = (result: Answer | { dropped: string }) => {
      if (!settled) (settled = true), resolveSend(result);
    };
    let request: http.ClientRequest;
    try {
      request = http.request({ host: hostname, port: Number(port), method: recipe.method, path: recipe.url, headers, agent: false, insecureHTTPParser: false });
    } catch (error) {
      // The recipe itself is unsendable (a test bug, not a server fault): fail loudly.
      throw new Error(`cannot send ${recipe.method} ${JSON.stringify(recipe.url)}: ${(error as Error).message}`);
    }
    request.setTimeout(timeoutMs, () => {
      done({ dropped: `no answer within ${timeoutMs} ms` });
      request.destroy();
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error) => done({ dropped: `response aborted: ${error.message}` }));
      response.on('aborted', () => done({ dropped: 'response aborted' }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A server may answer early (413) and close while the body is still being written: that answer counts.
      done({ dropped: `${error.code ?? ''} ${error.message}`.trim() });
    });
    request.end(payload);
  });
}
