// A request journal entry as the request path records it: the raw pieces the request arrived with, kept as they
// are, and the entry's fields (time as ISO text, path, query, headers without credentials) built only when
// something reads them: most entries are dropped unread, and building each one cost as much as answering.
import { journalHeaders, type JournalEntry } from './journal.ts';
import { queryOf, targetOf } from './transport.ts';

type RequestHeaders = Record<string, string | string[] | undefined>;

export interface RequestPieces {
  /** Milliseconds since the epoch when the request was answered. */
  time: number;
  method: string;
  /** The request target as received (path and query). */
  url: string;
  /** The request's headers as Node parsed them (credentials are left out when the entry is built). */
  headers: RequestHeaders;
  body: unknown;
  status: number;
  operationId: string | null;
  problems: string[];
}

/** Its raw pieces are private (#): a spread or JSON.stringify of it never carries the request's credentials. */
export class PendingEntry implements JournalEntry {
  readonly method: string;
  readonly body: unknown;
  readonly status: number;
  readonly operationId: string | null;
  readonly problems: string[];
  /** An estimate of the entry's size as JSON, from the raw pieces (the journal's byte budget). */
  readonly approximateSize: number;
  readonly #time: number;
  readonly #url: string;
  #requestHeaders: RequestHeaders | undefined;
  #built: { path: string; query: Record<string, string | string[]> } | undefined;
  #builtHeaders: Record<string, string> | undefined;

  constructor(pieces: RequestPieces) {
    this.#time = pieces.time;
    this.method = pieces.method;
    this.#url = pieces.url;
    this.#requestHeaders = pieces.headers;
    this.body = pieces.body;
    this.status = pieces.status;
    this.operationId = pieces.operationId;
    this.problems = pieces.problems;
    let headerChars = 2;
    for (const name in pieces.headers) headerChars += name.length + String(pieces.headers[name]).length + 6;
    this.approximateSize = 256 + (pieces.body === null ? 4 : JSON.stringify(pieces.body ?? null).length) + headerChars + pieces.url.length;
  }

  get at(): string {
    return new Date(this.#time).toISOString();
  }

  get path(): string {
    return this.#target().path;
  }

  get query(): Record<string, string | string[]> {
    return this.#target().query;
  }

  get headers(): Record<string, string> {
    if (!this.#builtHeaders) {
      this.#builtHeaders = journalHeaders(this.#requestHeaders ?? {});
      this.#requestHeaders = undefined;
    }
    return this.#builtHeaders;
  }

  /** The entry as plain data (what the journal lists and `JSON.stringify` writes). */
  toJSON(): JournalEntry {
    const { at, method, path, query, headers, body, status, operationId, problems } = this;
    return { at, method, path, query, headers, body, status, operationId, problems };
  }

  #target() {
    if (!this.#built) {
      const target = targetOf(this.#url);
      this.#built = { path: target.path, query: queryOf(target.search) };
    }
    return this.#built;
  }
}
