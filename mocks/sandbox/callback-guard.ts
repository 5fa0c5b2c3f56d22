// Where a delivery may go. Without --remote-callbacks only loopback hosts; with it, any host whose every address
// is public (or loopback): a name is resolved once, each address is classified, and the connection goes to the
// addresses that were checked (a pinned `lookup`), so a second DNS answer (rebinding) cannot swap in another.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { sendOnce, type OutboundOptions, type OutboundRequest, type OutboundResult } from './outbound.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name stands for (the default asks the system resolver, as a connection would). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** A delivery target that passed the guard: the URL and the addresses to connect to, and no others. */
export interface CheckedTarget {
  url: URL;
  addresses: ResolvedAddress[];
}

/** Sends one attempt to a checked target (the status, or why none). Injected by tests, which send nothing outside loopback. */
export type Connector = (target: CheckedTarget, request: OutboundRequest, options: Omit<OutboundOptions, 'lookup'>) => Promise<OutboundResult>;

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Range = [prefix: number[], bits: number, kind: Exclude<AddressClass, 'public'>];

// IPv4 ranges by first octets and prefix length (RFC 6890 special-purpose registry, the parts a callback must avoid).
const IPV4_RANGES: Range[] = [
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'carrier-grade NAT'],
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'],
  [[192, 0, 2], 24, 'reserved'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'reserved'],
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'],
];

// IPv6 ranges by leading bytes; the forms that embed an IPv4 address are classified by that address instead.
const IPV6_RANGES: Range[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'],
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'],
  [[0xfc], 7, 'private'],
  [[0xfe, 0xc0], 10, 'private'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xff], 8, 'multicast'],
];

function inRange(bytes: number[], [prefix, bits]: Range): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (`::` expanded, a dotted IPv4 tail read), or undefined when not one. */
function ipv6Bytes(address: string): number[] | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(bare) !== 6) return undefined;
  let text = bare;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + `${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groupsOf = (part: string | undefined) => (part ? part.split(':').filter((group) => group !== '') : []);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function classifyIpv4(bytes: number[]): AddressClass {
  if (bytes.every((byte) => byte === 255)) return 'reserved';
  return IPV4_RANGES.find((range) => inRange(bytes, range))?.[2] ?? 'public';
}

/** What kind of address this is: `public`, `loopback`, or why a callback must not go there. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return classifyIpv4(ipv4Bytes(bare));
  const bytes = ipv6Bytes(bare);
  if (!bytes) throw new Error(`not an IP address: ${address}`);
  const zeros = (count: number) => bytes.slice(0, count).every((byte) => byte === 0);
  if (zeros(16)) return 'unspecified';
  if (zeros(15) && bytes[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d: the IPv4 address decides.
  if ((zeros(10) && bytes[10] === 0xff && bytes[11] === 0xff) || zeros(12) || inRange(bytes, [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96, 'private'])) {
    return classifyIpv4(bytes.slice(12));
  }
  // 6to4 (2002:a.b.c.d::/48) carries an IPv4 address in bytes 2 to 5.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) {
    const embedded = classifyIpv4(bytes.slice(2, 6));
    if (embedded !== 'public') return embedded;
  }
  return IPV6_RANGES.find((range) => inRange(bytes, range))?.[2] ?? 'public';
}

const isLocalhostName = (hostname: string) => hostname === 'localhost' || hostname.endsWith('.localhost');

/** The system resolver, every address of the name, in the order the system gives them. */
export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

export interface GuardOptions {
  /** Any public host as well as loopback (--remote-callbacks); otherwise loopback only. */
  allowRemote?: boolean;
  resolve?: Resolver;
}

export type GuardVerdict = { ok: true; target: CheckedTarget } | { ok: false; reason: string };

/** Checks a delivery URL; a refusal's reason names the host and why (it is logged, and nothing is connected). */
export function createCallbackGuard(options: GuardOptions = {}) {
  const resolve = options.resolve ?? systemResolver;
  return async function check(url: URL): Promise<GuardVerdict> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const literal = isIP(hostname);
    // RFC 6761: localhost names are loopback without asking DNS.
    const lexicallyLoopback = isLocalhostName(hostname) || (literal !== 0 && classifyAddress(hostname) === 'loopback');
    if (!options.allowRemote && !lexicallyLoopback) {
      return { ok: false, reason: `${url.hostname} is not loopback (start with --remote-callbacks to allow)` };
    }
    let addresses: ResolvedAddress[];
    if (literal) addresses = [{ address: hostname, family: literal as 4 | 6 }];
    else if (isLocalhostName(hostname)) addresses = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    else {
      try {
        addresses = await resolve(hostname);
      } catch (error) {
        return { ok: false, reason: `${url.hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
      }
      if (addresses.length === 0) return { ok: false, reason: `${url.hostname} does not resolve (no address)` };
    }
    // Any one forbidden address refuses the host: a connection could otherwise land on it.
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind !== 'public' && kind !== 'loopback') return { ok: false, reason: `${url.hostname} resolves to ${address}, a ${kind} address` };
      if (kind !== 'loopback' && !options.allowRemote) return { ok: false, reason: `${url.hostname} resolves to ${address}, which is not loopback` };
    }
    return { ok: true, target: { url, addresses } };
  };
}

export type CallbackGuard = ReturnType<typeof createCallbackGuard>;

/** A `lookup` for node:net, node:http and node:https that answers only the checked addresses: no second lookup. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, addresses.map(({ address, family }) => ({ address, family })));
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as LookupFunction;
}

/** The real connector: sandbox/outbound.ts (node:http or node:https by the scheme), to the checked addresses only. */
export const pinnedConnector: Connector = (target, request, options) => sendOnce(target.url, request, { ...options, lookup: pinnedLookup(target.addresses) });
