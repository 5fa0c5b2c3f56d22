// Safe callbacks: with --remote-callbacks a delivery target is resolved once, refused when any address is not
// public (loopback excepted), and connected to at the checked address only. The resolver and connector are
// injected: the "public" hosts here are names the test resolves, and every byte goes to a loopback receiver.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress, createCallbackGuard, pinnedConnector, type CheckedTarget, type Connector, type Resolver } from '../../mocks/sandbox/callback-guard.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

const table: [address: string, kind: ReturnType<typeof classifyAddress>][] = [
  ['93.184.216.34', 'public'],
  ['8.8.8.8', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'public'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.254', 'carrier-grade NAT'],
  ['100.128.0.1', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fec0::1', 'private'],
  ['2001:db8::1', 'reserved'],
  ['2606:4700::1111', 'public'],
  // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are judged by the IPv4 address inside.
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:100.64.1.1', 'carrier-grade NAT'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:224.0.0.1', 'multicast'],
  ['::ffff:93.184.216.34', 'public'],
  ['::10.0.0.1', 'private'],
  ['64:ff9b::169.254.169.254', 'link-local'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::192.168.0.1', 'private'],
  ['64:ff9b::93.184.216.34', 'public'],
  ['64:ff9b:1::1', 'private'],
  ['2002:a9fe:a9fe::1', 'link-local'],
  ['2002:5db8:d822::1', 'public'],
];

describe('classifyAddress', () => {
  it.each(table)('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

// Seeded and bounded: FUZZ_SEED=<n> replays a run; the seed is printed when the property fails.
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);

describe('embedded IPv4 forms', () => {
  it(`an IPv4 address and its IPv4-mapped, NAT64 and IPv4-compatible forms are classified alike (FUZZ_SEED=${SEED})`, () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    const property = fc.property(octet, octet, octet, octet, (a, b, c, d) => {
      const dotted = `${a}.${b}.${c}.${d}`;
      const kind = classifyAddress(dotted);
      for (const form of [`::ffff:${dotted}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `64:ff9b::${dotted}`, `64:ff9b::${hex(a, b)}:${hex(c, d)}`]) {
        if (classifyAddress(form) !== kind) throw new Error(`${form} is ${classifyAddress(form)}, ${dotted} is ${kind}`);
      }
      // The deprecated IPv4-compatible form, except where it collides with :: and ::1.
      if (a + b + c > 0 || d > 1) expect(classifyAddress(`::${dotted}`)).toBe(kind);
    });
    const details = fc.check(property, { seed: SEED, numRuns: 2000 });
    if (details.failed) throw new Error(`replay with FUZZ_SEED=${SEED} (fast-check seed ${details.seed}, path ${details.counterexamplePath}): ${fc.defaultReportMessage(details)}`);
  });
});

describe('the callback guard', () => {
  const names: Record<string, string[]> = {
    'partner.test': ['93.184.216.34'],
    'dual.partner.test': ['93.184.216.34', '2606:4700::1111'],
    'metadata.partner.test': ['169.254.169.254'],
    'sneaky.partner.test': ['93.184.216.34', '10.0.0.7'],
    'mapped.partner.test': ['::ffff:169.254.169.254'],
    'nat64.partner.test': ['64:ff9b::a9fe:a9fe'],
    'cgnat.partner.test': ['100.64.0.1'],
    'multicast.partner.test': ['224.0.0.251'],
    'zero.partner.test': ['0.0.0.0'],
    'loop.partner.test': ['127.0.0.1'],
  };
  const resolve: Resolver = async (hostname) => {
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const remote = createCallbackGuard({ allowRemote: true, resolve });
  const local = createCallbackGuard({ allowRemote: false, resolve });

  const verdicts: [url: string, allowed: boolean, reason?: RegExp][] = [
    ['https://partner.test/hook', true],
    ['https://dual.partner.test/hook', true],
    ['http://loop.partner.test:8080/hook', true],
    ['http://127.0.0.1:9/hook', true],
    ['http://[::1]:9/hook', true],
    ['http://localhost:9/hook', true],
    ['https://metadata.partner.test/latest/meta-data', false, /resolves to 169\.254\.169\.254, a link-local address/],
    ['http://169.254.169.254/latest/meta-data', false, /169\.254\.169\.254, a link-local address/],
    ['https://sneaky.partner.test/hook', false, /resolves to 10\.0\.0\.7, a private address/],
    ['https://mapped.partner.test/hook', false, /::ffff:169\.254\.169\.254, a link-local address/],
    ['https://nat64.partner.test/hook', false, /64:ff9b::a9fe:a9fe, a link-local address/],
    ['https://cgnat.partner.test/hook', false, /carrier-grade NAT/],
    ['https://multicast.partner.test/hook', false, /multicast/],
    ['https://zero.partner.test/hook', false, /unspecified/],
    ['http://[::ffff:a9fe:a9fe]/hook', false, /link-local/],
    ['http://[fd00::1]:8080/hook', false, /private/],
    ['http://0x7f.0.0.1:9/hook', true],
    ['http://2852039166/hook', false, /169\.254\.169\.254, a link-local address/],
    ['https://nowhere.partner.test/hook', false, /nowhere\.partner\.test does not resolve \(ENOTFOUND\)/],
  ];
  it.each(verdicts)('with --remote-callbacks %s allowed: %s', async (url, allowed, reason) => {
    const verdict = await remote(new URL(url));
    expect(verdict.ok).toBe(allowed);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason!);
  });

  it('without --remote-callbacks only loopback passes, named or literal', async () => {
    expect((await local(new URL('http://localhost:9/x'))).ok).toBe(true);
    expect((await local(new URL('http://127.0.0.1:9/x'))).ok).toBe(true);
    expect(await local(new URL('https://partner.test/x'))).toEqual({ ok: false, reason: 'partner.test is not loopback (start with --remote-callbacks to allow)' });
    expect((await local(new URL('http://10.0.0.1/x'))).ok).toBe(false);
  });
});

describe('deliveries through the guard (--remote-callbacks)', () => {
  let receiver: Server;
  let receiverPort: number;
  const received: { host: string | undefined; path: string | undefined }[] = [];
  const lookups: string[] = [];
  const connections: { host: string; addresses: string[] }[] = [];
  let mock: RunningMock;
  // A name that answers a public address first and a private one after (DNS rebinding).
  let rebindAnswers = 0;

  const resolve: Resolver = async (hostname) => {
    lookups.push(hostname);
    if (hostname === 'hooks.partner.test') return [{ address: '93.184.216.34', family: 4 }];
    if (hostname === 'metadata.partner.test') return [{ address: '169.254.169.254', family: 4 }];
    if (hostname === 'rebind.partner.test') return [{ address: rebindAnswers++ === 0 ? '93.184.216.34' : '10.0.0.7', family: 4 }];
    throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  };
  // Records the address the guard handed over, then sends the same request to the loopback receiver, through the
  // real connector (pinned lookup included): nothing leaves loopback.
  const connector: Connector = (target, request, options) => {
    connections.push({ host: target.url.hostname, addresses: target.addresses.map(({ address }) => address) });
    const local: CheckedTarget = { url: new URL(`${target.url.pathname}${target.url.search}`, `http://${target.url.hostname}:${receiverPort}`), addresses: [{ address: '127.0.0.1', family: 4 }] };
    return pinnedConnector(local, request, options);
  };

  beforeAll(async () => {
    receiver = createServer((request, reply) => {
      received.push({ host: request.headers.host, path: request.url });
      request.resume();
      request.on('end', () => reply.writeHead(204).end());
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    receiverPort = (receiver.address() as AddressInfo).port;
    mock = await startMock('energy-coordination', { allowRemoteCallbacks: true, callbackResolver: resolve, callbackConnector: connector, retryDelaysMs: [20, 20], attemptTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await mock.close();
    await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
  });

  const auth = { authorization: 'Bearer guard-team', 'content-type': 'application/json' };
  const subscribe = (webhookUrl: string) =>
    fetch(`${mock.origin}/energy-coordination/v1/subscriptions`, { method: 'POST', headers: auth, body: JSON.stringify({ webhookUrl, webhookSecret: 'k', operationTypes: ['Create'] }) });

  it('delivers to a public name at the checked address, refuses a metadata address without connecting, and a rebinding name gets one lookup per attempt', async () => {
    expect((await subscribe('http://hooks.partner.test/events')).status).toBe(200);
    expect((await subscribe('http://metadata.partner.test/latest/meta-data')).status).toBe(200);
    expect((await subscribe('http://rebind.partner.test/events')).status).toBe(200);
    const answer = (await (await fetch(`${mock.origin}/_sandbox/events`, { method: 'POST', headers: auth, body: JSON.stringify({ webhook: 'eventCreated' }) })).json()) as {
      url: string;
      status: number | null;
      error: string | null;
    }[];
    const byUrl = Object.fromEntries(answer.map((result) => [result.url, result]));
    expect(byUrl['http://hooks.partner.test/events']).toMatchObject({ status: 204, error: null });
    expect(byUrl['http://metadata.partner.test/latest/meta-data']).toMatchObject({
      status: null,
      error: 'refused: metadata.partner.test resolves to 169.254.169.254, a link-local address',
    });
    expect(byUrl['http://rebind.partner.test/events']).toMatchObject({ status: 204, error: null });
    // The connector was handed the checked public address; the metadata host was never connected to.
    expect(connections).toEqual(
      expect.arrayContaining([
        { host: 'hooks.partner.test', addresses: ['93.184.216.34'] },
        { host: 'rebind.partner.test', addresses: ['93.184.216.34'] },
      ]),
    );
    expect(connections.map((connection) => connection.host)).not.toContain('metadata.partner.test');
    expect(received.map((entry) => entry.path).sort()).toEqual(['/events', '/events']);
    expect(lookups.filter((name) => name === 'rebind.partner.test')).toHaveLength(1);
    // The refusal is in the delivery log, not retried.
    const log = (await (await fetch(`${mock.origin}/_sandbox/deliveries`, { headers: auth })).json()) as { url: string; state: string; attempts: { error: string | null }[] }[];
    const refused = log.find((record) => record.url.includes('metadata'))!;
    expect(refused.state).toBe('failed');
    expect(refused.attempts).toHaveLength(1);
    expect(refused.attempts[0]!.error).toMatch(/^refused: /);

    // The next event: the rebinding name now answers a private address, and is refused before any connection.
    const before = connections.length;
    const again = (await (await fetch(`${mock.origin}/_sandbox/events`, { method: 'POST', headers: auth, body: JSON.stringify({ webhook: 'eventCreated' }) })).json()) as { url: string; error: string | null }[];
    expect(again.find((result) => result.url === 'http://rebind.partner.test/events')!.error).toBe('refused: rebind.partner.test resolves to 10.0.0.7, a private address');
    expect(connections.slice(before).map((connection) => connection.host)).toEqual(['hooks.partner.test']);
  });
});
