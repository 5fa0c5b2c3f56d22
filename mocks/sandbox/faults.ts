// Fault injection, a sandbox extension no vendor has (after WireMock's named faults): `Prefer: delay=<ms>` answers
// late, `Prefer: fault=<500-599>` or `fault=429` answers that status in the vendor's envelope (429 with
// `Retry-After`, 1 s unless `Prefer: retry-after=<seconds>` says), `Prefer: fault=reset` drops the connection.
// `--faults <share>` injects a random one of these into that share of requests.

export const MAX_DELAY_MS = 60_000;

export interface Fault {
  delayMs: number;
  /** A 5xx status or 429 to answer, or 'reset' to destroy the socket. */
  fault?: number | 'reset';
  /** Headers of the fault's answer (`Retry-After`). */
  headers?: Record<string, string>;
  /** Why the request is rejected instead (a malformed preference), for a 400. */
  invalid?: string;
  /** The Prefer header without our tokens, for Prism (`code=`, `example=`, `dynamic=`). */
  remainingPrefer?: string;
}

const RANDOM_FAULTS: (number | 'reset')[] = [500, 502, 503, 504, 'reset'];

/** Splits `Prefer` into our tokens (delay, fault) and the rest, which Prism reads. */
export function faultOf(prefer: string | string[] | undefined, randomShare = 0, random: () => number = Math.random): Fault {
  const result: Fault = { delayMs: 0 };
  const rest: string[] = [];
  let retryAfter: string | undefined;
  for (const token of (Array.isArray(prefer) ? prefer.join(',') : prefer ?? '').split(/[,;]/)) {
    const [rawName, ...valueParts] = token.split('=');
    const name = rawName!.trim().toLowerCase();
    const value = valueParts.join('=').trim().replace(/^"|"$/g, '');
    if (name === 'delay') {
      const ms = Number(value);
      if (!/^\d+$/.test(value) || ms > MAX_DELAY_MS) result.invalid = `header.Prefer: delay must be a whole number of milliseconds from 0 to ${MAX_DELAY_MS}`;
      else result.delayMs = ms;
    } else if (name === 'fault') {
      if (value === 'reset') result.fault = 'reset';
      else if (/^(5\d\d|429)$/.test(value)) result.fault = Number(value);
      else result.invalid = 'header.Prefer: fault must be a status from 500 to 599, 429, or reset';
    } else if (name === 'retry-after') {
      if (!/^\d{1,5}$/.test(value)) result.invalid = 'header.Prefer: retry-after must be whole seconds';
      else retryAfter = value;
    } else if (token.trim()) rest.push(token.trim());
  }
  if (result.fault === 429 || (retryAfter !== undefined && typeof result.fault === 'number')) result.headers = { 'Retry-After': retryAfter ?? '1' };
  if (rest.length) result.remainingPrefer = rest.join(', ');
  if (result.fault === undefined && !result.invalid && randomShare > 0 && random() < randomShare) {
    result.fault = RANDOM_FAULTS[Math.floor(random() * RANDOM_FAULTS.length)];
  }
  return result;
}
