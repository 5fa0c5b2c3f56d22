// Send times in pushed events. A vendor stamps some fields when it sends (HanChuESS's batch and event `timestamp`,
// Spark's `modificationDateTime`); the examples carry fixed past times that receivers guarding against replays
// would reject. `stamp` in a delivery declaration names those fields, per webhook, as pointers (`*` steps into
// every array item) with the time's format: `$now` (ISO 8601, UTC) or `$now(YYYY-MM-DD HH:mm:ss)` (UTC).
import { pointerTokens } from '../shared/openapi-json.ts';

const FORMAT = /^\$now(?:\((.+)\))?$/;
const TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS/g;

/** Checks a declaration's `stamp` map; the message names the pointer. */
export function checkStamp(stamp: unknown, where: string): Record<string, string> {
  if (stamp === undefined) return {};
  if (!stamp || typeof stamp !== 'object' || Array.isArray(stamp)) throw new Error(`${where}: must map JSON pointers to $now or $now(<format>)`);
  for (const [pointer, format] of Object.entries(stamp)) {
    if (!pointer.startsWith('/')) throw new Error(`${where}.${pointer}: not a JSON pointer (starts with /)`);
    if (typeof format !== 'string' || !FORMAT.test(format)) throw new Error(`${where}.${pointer}: must be $now or $now(<format>), e.g. $now(YYYY-MM-DD HH:mm:ss)`);
  }
  return stamp as Record<string, string>;
}

export function formatTime(time: Date, format: string): string {
  const pattern = FORMAT.exec(format)?.[1];
  if (!pattern) return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const parts: Record<string, string> = {
    YYYY: pad(time.getUTCFullYear(), 4),
    MM: pad(time.getUTCMonth() + 1),
    DD: pad(time.getUTCDate()),
    HH: pad(time.getUTCHours()),
    mm: pad(time.getUTCMinutes()),
    ss: pad(time.getUTCSeconds()),
    SSS: pad(time.getUTCMilliseconds(), 3),
  };
  return pattern.replace(TOKENS, (token) => parts[token]!);
}

/** Every concrete path (tokens) a pointer with `*` names in a document, where the parent exists. */
function concretePaths(document: unknown, tokens: string[]): string[][] {
  let paths: { path: string[]; node: unknown }[] = [{ path: [], node: document }];
  for (const [index, token] of tokens.entries()) {
    const last = index === tokens.length - 1;
    paths = paths.flatMap(({ path, node }) => {
      if (token === '*') return Array.isArray(node) ? node.map((child, at) => ({ path: [...path, String(at)], node: child })) : [];
      if (!node || typeof node !== 'object') return [];
      const child = (node as Record<string, unknown>)[token];
      return last || child !== undefined ? [{ path: [...path, token], node: child }] : [];
    });
  }
  return paths.map(({ path }) => path);
}

const hasValueAt = (document: unknown, path: string[]) =>
  path.reduce<unknown>((node, token) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined), document) !== undefined;

/**
 * Sets each stamped field the payload holds to `time`, unless the trigger's own payload (`overrides`) set it.
 * Only fields present in the payload are stamped: an event without that field stays without it.
 */
export function stampPayload(payload: unknown, stamp: Record<string, string>, time: Date, overrides: unknown): unknown {
  for (const [pointer, format] of Object.entries(stamp)) {
    for (const path of concretePaths(payload, pointerTokens(pointer))) {
      if (hasValueAt(overrides, path)) continue;
      const parent = path.slice(0, -1).reduce<any>((node, token) => node[token], payload);
      const key = path[path.length - 1]!;
      if (parent && typeof parent === 'object' && parent[key] !== undefined) parent[key] = formatTime(time, format);
    }
  }
  return payload;
}
