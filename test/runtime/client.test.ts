// The client options of every subpath: auth headers, token providers, base URL, and errors naming the option; then
// retries, timeouts and pages against real loopback servers that misbehave as partners do.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { createFinalURL, createQuerySerializer, defaultPathSerializer } from 'openapi-fetch';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient as createBasicClient } from '../../generated/bajie-charging/client.ts';
import { createClient as createBearerClient, defaultBaseUrl } from '../../generated/redex/client.ts';
import * as bajie from '../../generated/bajie-charging/index.ts';
import * as hanchuess from '../../generated/hanchuess/index.ts';
import * as redex from '../../generated/redex/index.ts';
import * as spark from '../../generated/energy-coordination/index.ts';
import * as vtn from '../../generated/openadr3-vtn/index.ts';
import { retryAfterMs } from '../../runtime/client.ts';

/** A fetch that records the request and answers 200 with an empty JSON object (the documented `fetch` option). */
function recordingFetch() {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { requests, fetch };
}

const devices = ['/public/v2/device-applications/{deviceApplicationId}/devices', { params: { path: { deviceApplicationId: '347847fa-68c0-4418-9119-08dc3993455a' } } }] as const;

describe('createClient', () => {
  it('defaults to the spec first server and sends a fixed bearer token', async () => {
    const { requests, fetch } = recordingFetch();
    await createBearerClient({ auth: { token: 'fixed' }, fetch }).GET(...devices);
    expect(requests[0]!.url.startsWith(`${defaultBaseUrl}/public/v2/`)).toBe(true);
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer fixed');
  });

  it('calls a token provider before every request', async () => {
    const { requests, fetch } = recordingFetch();
    let issued = 0;
    const client = createBearerClient({ baseUrl: 'http://127.0.0.1:9/', auth: { token: async () => `token-${++issued}` }, fetch, headers: { 'x-trace': 'abc' } });
    await client.GET(...devices);
    await client.GET(...devices);
    expect(requests.map((request) => request.headers.get('Authorization'))).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(requests[0]!.headers.get('x-trace')).toBe('abc');
    expect(requests[0]!.url.startsWith('http://127.0.0.1:9/public/v2/')).toBe(true);
  });

  it('encodes Basic credentials as UTF-8 base64', async () => {
    const { requests, fetch } = recordingFetch();
    await createBasicClient({ auth: { username: 'agent', password: 'pässword' }, fetch }).GET('/cabinet/eventPush/config/get');
    const encoded = requests[0]!.headers.get('Authorization')!.replace(/^Basic /, '');
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('agent:pässword');
  });

  it('rejects missing or malformed auth with an error naming the option', () => {
    // @ts-expect-error auth is required
    expect(() => createBearerClient({})).toThrow(/options\.auth is required: \{ token \}/);
    // @ts-expect-error a Basic API needs username and password
    expect(() => createBasicClient({ auth: { token: 'x' } })).toThrow(/options\.auth\.username must be a string/);
    expect(() => createBearerClient({ auth: { token: '' } })).toThrow(/options\.auth\.token is empty/);
  });

  it('surfaces a provider that returns no token as a failed request naming the option', async () => {
    const client = createBearerClient({ auth: { token: () => '' }, fetch: recordingFetch().fetch });
    await expect(client.GET(...devices)).rejects.toThrow(/options\.auth\.token provider returned no token/);
  });
});


const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise((done) => (server.closeAllConnections(), server.close(done))))));

/** A real server on a free loopback port; `answer` sees each request with its body and its number from 1. */
async function partner(answer: (request: IncomingMessage, reply: ServerResponse, body: string, count: number) => void) {
  let count = 0;
  const server = createServer((request, reply) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => answer(request, reply, Buffer.concat(chunks).toString('utf8'), ++count));
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: () => count };
}

const json = (reply: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  reply.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('URLs', () => {
  // Seeded and bounded: FUZZ_SEED=<n> replays a run; the seed is printed when the property fails.
  const SEED = Number(process.env.FUZZ_SEED ?? 20_261_207);

  it("are built as openapi-fetch's default serializers build them, for any path and query values", async () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }).filter((key) => /^\w+$/.test(key)), fc.string(), { maxKeys: 2 }));
    const property = fc.asyncProperty(value, fc.dictionary(fc.constantFrom('skip', 'limit', 'programID', 'targetValues'), value), async (id, query) => {
      const { requests, fetch } = recordingFetch();
      const client = vtn.createClient({ baseUrl: 'http://127.0.0.1:9', auth: { token: 't' }, fetch });
      const params = { path: { subscriptionID: id }, query };
      await client.GET('/subscriptions/{subscriptionID}', { params } as never);
      const expected = createFinalURL('/subscriptions/{subscriptionID}', { baseUrl: 'http://127.0.0.1:9', params, querySerializer: createQuerySerializer(), pathSerializer: defaultPathSerializer });
      expect(requests[0]!.url).toBe(new Request(expected).url);
    });
    const details = await fc.check(property, { seed: SEED, numRuns: 300 });
    if (details.failed) throw new Error(`URL property failed (replay with FUZZ_SEED=${SEED}; fast-check seed ${details.seed}, path ${details.counterexamplePath})\n${fc.defaultReportMessage(details)}`);
  });
});

describe('what every subpath exports', () => {
  it('TimeoutError everywhere, clientCredentials on the Bearer APIs, paginate and PaginationError on the paged ones', () => {
    for (const module of [bajie, hanchuess, redex, spark, vtn]) expect(module.TimeoutError).toBe(redex.TimeoutError);
    for (const module of [hanchuess, redex, spark, vtn]) expect(typeof module.clientCredentials).toBe('function');
    expect('clientCredentials' in bajie).toBe(false);
    expect([redex, vtn].map((module) => typeof module.PaginationError)).toEqual(['function', 'function']);
    expect(['PaginationError' in hanchuess, 'PaginationError' in spark, 'PaginationError' in bajie]).toEqual([false, false, false]);
    expect('paginate' in hanchuess.createClient({ auth: { token: 't' } })).toBe(false);
  });

  it('paginate and retry are typed from the spec', () => {
    const client = redex.createClient({ auth: { token: 't' } });
    // @ts-expect-error paginate only takes paged paths (a RedEx device list needs its deviceApplicationId too)
    expect(() => client.paginate('/not/paged')).toThrow(/is not a paged operation; these are: \/public\/v2\/device-applications\/\{deviceApplicationId\}\/devices/);
    // @ts-expect-error retry is { attempts?, maxDelayMs? } or false
    void (() => client.GET('/public/v2/device-applications/{deviceApplicationId}/devices', { params: { path: { deviceApplicationId: 'x' } }, retry: 3 }));
    // @ts-expect-error the VTN create is not a paged operation
    void (() => vtn.createClient({ auth: { token: 't' } }).paginate('/subscriptions/{subscriptionID}'));
    // @ts-expect-error Bajie has no paged operation, so no paginate
    void bajie.createClient({ auth: { username: 'u', password: 'p' } }).paginate;
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds and as an HTTP date', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(retryAfterMs(new Response(null, { headers: { 'Retry-After': '3' } }), now)).toBe(3000);
    expect(retryAfterMs(new Response(null, { headers: { 'Retry-After': 'Mon, 07 Dec 2026 10:00:02 GMT' } }), now)).toBe(2000);
    expect(retryAfterMs(new Response(null, { headers: { 'Retry-After': 'soon' } }), now)).toBeUndefined();
  });

  it('retries a PUT with its body intact after a dropped connection and a 504, and stops at attempts', async () => {
    const bodies: string[] = [];
    const server = await partner((request, reply, body, count) => {
      bodies.push(body);
      if (count === 1) return void request.socket.destroy();
      if (count === 2) return json(reply, 504, { title: 'Gateway Timeout', status: 504 });
      json(reply, 200, { ...JSON.parse(body), id: 'r1' });
    });
    const client = vtn.createClient({ baseUrl: server.origin, auth: { token: 't' }, retry: { maxDelayMs: 10 } });
    const resource = { clientName: 'VEN-1', programID: 'p', objectOperations: [{ objects: ['EVENT' as const], operations: ['POST' as const], callbackUrl: 'https://partner.example/cb' }] };
    const { data, response } = await client.PUT('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'r1' } }, body: resource });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: 'r1' });
    expect(bodies.map((body) => JSON.parse(body))).toEqual([resource, resource, resource]);

    const always503 = await partner((_request, reply) => json(reply, 503, { title: 'Service Unavailable', status: 503 }));
    const failing = spark.createClient({ baseUrl: always503.origin, auth: { token: 't' }, retry: { attempts: 3, maxDelayMs: 5 } });
    expect((await failing.GET('/events')).response.status).toBe(503);
    expect(always503.count()).toBe(4);
  });

  it('does not retry a 400 or a 501', async () => {
    const server = await partner((_request, reply, _body, count) => json(reply, count === 1 ? 400 : 501, { title: 'no', status: 400 }));
    const client = spark.createClient({ baseUrl: server.origin, auth: { token: 't' }, retry: { maxDelayMs: 5 } });
    expect((await client.GET('/events')).response.status).toBe(400);
    expect((await client.GET('/events')).response.status).toBe(501);
    expect(server.count()).toBe(2);
  });
});

describe('answers', () => {
  it('an empty 2xx JSON body, with content-length 0 or chunked, is no data rather than a parse error', async () => {
    const server = await partner((_request, reply, _body, count) => {
      if (count === 1) return void reply.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' }).end();
      reply.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      reply.end();
    });
    const client = spark.createClient({ baseUrl: server.origin, auth: { token: 't' }, retry: false });
    const lengthZero = await client.GET('/events');
    const chunked = await client.GET('/events');
    expect([lengthZero.response.headers.get('content-length'), chunked.response.headers.get('transfer-encoding')]).toEqual(['0', 'chunked']);
    expect([lengthZero.response.status, lengthZero.data, lengthZero.error]).toEqual([200, undefined, undefined]);
    expect([chunked.response.status, chunked.data, chunked.error]).toEqual([200, undefined, undefined]);
  });
});

describe('pages from a vendor that misbehaves', () => {
  const path = '/public/v2/device-applications/{deviceApplicationId}/devices';
  const params = { path: { deviceApplicationId: 'app' }, query: { ItemsPerPage: 10 } };
  const page = (number: number, total: number) => ({ Data: [{ InstallationName: `device on page ${number}` }], Meta: { CurrentPage: number, TotalPage: total, TotalItems: total, ItemsPerPage: 10 }, Errors: null, StatusCode: 200, Message: 'Success' });
  const drain = async (iterable: AsyncIterable<unknown>) => {
    const seen: unknown[] = [];
    for await (const item of iterable) seen.push(item);
    return seen;
  };

  it('stops with an error when the vendor repeats a page', async () => {
    const server = await partner((_request, reply) => json(reply, 200, page(1, 5)));
    const client = redex.createClient({ baseUrl: server.origin, auth: { token: 't' } });
    const failure = await drain(client.paginate(path, { params })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(redex.PaginationError);
    expect((failure as Error).message).toBe(`GET ${path} page 2 (CurrentPage=2) repeats the previous page: the API did not move on with CurrentPage`);
    expect(server.count()).toBe(2);
  });

  it('stops with an error past maxPages instead of paging on forever', async () => {
    const server = await partner((request, reply) => {
      const current = Number(new URL(request.url!, 'http://x').searchParams.get('CurrentPage'));
      json(reply, 200, page(current, 1_000_000));
    });
    const client = redex.createClient({ baseUrl: server.origin, auth: { token: 't' } });
    const failure = await drain(client.paginate(path, { params, maxPages: 4 })).catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/page 5 \(CurrentPage=5\): more than 4 pages \(maxPages\)/);
    expect(server.count()).toBe(4);
  });

  it('stops after Meta.TotalPage even when the vendor would answer more', async () => {
    const server = await partner((request, reply) => {
      const current = Number(new URL(request.url!, 'http://x').searchParams.get('CurrentPage'));
      json(reply, 200, page(current, 2));
    });
    const client = redex.createClient({ baseUrl: server.origin, auth: { token: 't' } });
    expect(await drain(client.paginate(path, { params }))).toEqual([{ InstallationName: 'device on page 1' }, { InstallationName: 'device on page 2' }]);
    expect(server.count()).toBe(2);
  });
});

describe('retry and timeoutMs options', () => {
  it('reject bad values per client and per call, naming the option and the reason', async () => {
    expect(() => vtn.createClient({ auth: { token: 't' }, timeoutMs: -1 })).toThrow('createClient: options.timeoutMs must be a number of milliseconds, 0 or more (0: no limit)');
    expect(() => vtn.createClient({ auth: { token: 't' }, retry: { attempts: 1.5 } })).toThrow('createClient: options.retry.attempts must be a whole number, 0 or more');
    // @ts-expect-error retry is an object or false
    expect(() => vtn.createClient({ auth: { token: 't' }, retry: true })).toThrow('createClient: options.retry must be false or { attempts?, maxDelayMs? }');
    const client = vtn.createClient({ auth: { token: 't' }, fetch: recordingFetch().fetch });
    await expect(client.GET('/subscriptions', { retry: { maxDelayMs: -5 } })).rejects.toThrow('GET /subscriptions: options.retry.maxDelayMs must be a number of milliseconds, 0 or more');
  });
});

describe('clientCredentials', () => {
  it('checks its options, naming the field', () => {
    expect(() => vtn.clientCredentials({ tokenUrl: 'not a url', clientId: 'a', clientSecret: 'b' })).toThrow('clientCredentials: options.tokenUrl must be an absolute URL');
    expect(() => vtn.clientCredentials({ tokenUrl: 'http://127.0.0.1:9/token', clientId: '', clientSecret: 'b' })).toThrow('clientCredentials: options.clientId must be a non-empty string');
    // @ts-expect-error only the two RFC 6749 client authentication methods of a secret
    expect(() => vtn.clientCredentials({ tokenUrl: 'http://127.0.0.1:9/token', clientId: 'a', clientSecret: 'b', authMethod: 'private_key_jwt' })).toThrow(/options\.authMethod must be client_secret_basic or client_secret_post/);
  });

  it('sends Basic with form-encoded credentials, and names the token URL when the answer is not a token', async () => {
    const seen: { authorization?: string; body: string }[] = [];
    const server = await partner((request, reply, body, count) => {
      seen.push({ authorization: request.headers.authorization, body });
      if (count === 1) return json(reply, 200, { token_type: 'Bearer' });
      reply.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    });
    const tokenUrl = `${server.origin}/oauth/token`;
    const provider = vtn.clientCredentials({ tokenUrl, clientId: 'ven 1', clientSecret: 'p@ss:word', scope: 'read' });
    await expect(provider()).rejects.toThrow(`token request to ${tokenUrl} answered 200 without an access_token`);
    const failure = await Promise.resolve(provider()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(vtn.OAuthError);
    expect((failure as Error).message).toBe(`token request to ${tokenUrl} answered 502 (no OAuth error code)`);
    expect(failure).toMatchObject({ tokenUrl, status: 502, error: undefined });
    expect(seen).toHaveLength(2);
    expect(Buffer.from(seen[0]!.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('ven+1:p%40ss%3Aword');
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ grant_type: 'client_credentials', scope: 'read' });
  });
});
