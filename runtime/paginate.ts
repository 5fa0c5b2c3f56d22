// Walking a paged list operation: which operations page, and how, is declared in the spec (`x-pagination`) and
// handed over by the generated client; nothing here names an API. Only the generated clients of APIs with paged
// operations import this module, so the others do not carry it.
import type { FetchResponse } from 'openapi-fetch';
import type { CallInit, TypedClient } from './client.js';

/** How one operation pages, as `x-pagination` declares it. Pointers are JSON pointers into the answer's body. */
export type PageRule =
  | { method: string; style: 'page'; page: string; items: string; totalPages?: string }
  | { method: string; style: 'offset'; offset: string; limit: string; items: string; defaultLimit?: number };

export interface PageOptions {
  /** Stop with an error beyond this many pages instead of looping on a vendor that never ends (default 1000). */
  maxPages?: number;
}

/** `for await (const item of iterator)` walks the items of every page; `iterator.pages()` the whole pages. */
export interface PageIterator<Item, Page> extends AsyncIterable<Item> {
  pages(): AsyncIterable<Page>;
}

/** A page answered non-2xx, repeated the previous one, or went past `maxPages`. */
export class PaginationError extends Error {
  override name = 'PaginationError';
  constructor(
    message: string,
    /** The page's number in this walk, from 1. */
    readonly page: number,
    /** The answer of that page, when it was one. */
    readonly response?: Response,
    /** Its body as the typed `error` would carry it. */
    readonly error?: unknown,
  ) {
    super(message);
  }
}

/** The success body of a paged operation. */
export type PageBody<Paths, Path extends keyof Paths, Method extends keyof Paths[Path]> = NonNullable<
  FetchResponse<Paths[Path][Method] & Record<string | number, any>, {}, `${string}/${string}`>['data']
>;

type PagesOf<Paths> = { [Path in keyof Paths]?: { method: keyof Paths[Path]; item: unknown } };
type PageArgs<Init> = undefined extends Init ? [init?: Exclude<Init, undefined> & PageOptions] : [init: Init & PageOptions];

type MethodOf<Paths, Pages, Path extends keyof Paths & keyof Pages> = NonNullable<Pages[Path]> extends { method: infer Method } ? Method & keyof Paths[Path] : never;

export interface PagedClient<Paths, Pages extends PagesOf<Paths>> extends TypedClient<Paths> {
  /** Every item of a paged list operation across its pages (an async iterable), or its whole pages with `.pages()`. */
  paginate<Path extends keyof Pages & keyof Paths>(
    path: Path,
    ...init: PageArgs<CallInit<Paths[Path], MethodOf<Paths, Pages, Path>>>
  ): PageIterator<NonNullable<Pages[Path]> extends { item: infer Item } ? Item : never, PageBody<Paths, Path, MethodOf<Paths, Pages, Path>>>;
}

function at(body: unknown, pointer: string): unknown {
  let node = body;
  for (const token of pointer.split('/').slice(1)) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return node;
}

type Caller = (path: string, init: Record<string, any>) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/** Adds `paginate` to a generated client for the operations `rules` lists. */
export function withPages<Paths, Pages extends PagesOf<Paths>>(client: TypedClient<Paths>, rules: Record<string, PageRule>): PagedClient<Paths, Pages> {
  function paginate(path: string, init: Record<string, any> & PageOptions = {}) {
    const rule = rules[path];
    if (!rule) throw new TypeError(`paginate: ${path} is not a paged operation; these are: ${Object.keys(rules).join(', ')}`);
    const { maxPages = 1000, ...callInit } = init;
    const send = (client as unknown as Record<string, Caller>)[rule.method]!;

    async function* pages(): AsyncGenerator<unknown> {
      const query: Record<string, unknown> = { ...(callInit.params?.query ?? {}) };
      const parameter = rule!.style === 'page' ? rule!.page : rule!.offset;
      let position = Number(query[parameter] ?? (rule!.style === 'page' ? 1 : 0));
      let limit = rule!.style === 'offset' ? ((query[rule!.limit] as number | undefined) ?? rule!.defaultLimit) : undefined;
      let previous: string | undefined;
      for (let count = 1; ; count++) {
        const where = `${rule!.method} ${path} page ${count} (${parameter}=${position})`;
        if (count > maxPages) throw new PaginationError(`${where}: more than ${maxPages} pages (maxPages); stopped instead of paging on`, count);
        const { data, error, response } = await send(path, { ...callInit, params: { ...callInit.params, query: { ...query, [parameter]: position } } });
        if (!response.ok) {
          throw new PaginationError(`${where} answered ${response.status}: ${JSON.stringify(error)?.slice(0, 500)}`, count, response, error);
        }
        const items = at(data, rule!.items);
        if (!Array.isArray(items)) throw new PaginationError(`${where}: the answer has no item list at ${rule!.items || '(the body)'}`, count, response);
        const fingerprint = JSON.stringify(items);
        if (items.length > 0 && fingerprint === previous) {
          throw new PaginationError(`${where} repeats the previous page: the API did not move on with ${parameter}`, count, response);
        }
        previous = fingerprint;
        yield data;
        if (items.length === 0) return;
        if (rule!.style === 'page') {
          const totalPages = rule!.totalPages === undefined ? undefined : at(data, rule!.totalPages);
          if (typeof totalPages === 'number' && position >= totalPages) return;
          position += 1;
        } else {
          // Without a limit asked or declared, the first page's length is what the API gives.
          limit ??= items.length;
          if (items.length < limit) return;
          position += items.length;
        }
      }
    }

    return {
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* at(page, rule.items) as unknown[];
      },
    };
  }
  return Object.assign(client, { paginate }) as unknown as PagedClient<Paths, Pages>;
}
