// Tenants: the sandbox keeps state per credential (bearer token, or Basic user), so two partner teams sharing
// one mock never see each other's objects; a reset puts back the seed for the caller only. And concurrency:
// 50 creates at once give 50 distinct ids, all listed afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMock, type RunningMock } from '../support/mock.ts';
import { hanchuessSeededSubscriptions } from '../support/document-samples.ts';

const seededHanchuessIds = hanchuessSeededSubscriptions.map((subscription) => subscription.subscriptionId);

type Api = 'hanchuess' | 'openadr3-vtn' | 'bajie-charging' | 'energy-coordination' | 'redex';
type Json = Record<string, any>;

const mocks = new Map<Api, RunningMock>();
const APIS: Api[] = ['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex'];
beforeAll(async () => {
  await Promise.all(APIS.map(async (api) => mocks.set(api, await startMock(api))));
});
afterAll(() => Promise.all([...mocks.values()].map((mock) => mock.close())));

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, password = 'secret') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function request(api: Api, authorization: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(mocks.get(api)!.origin + path, {
    method,
    headers: { Authorization: authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const REDEX_APP = '347847fa-68c0-4418-9119-08dc3993455a';
const REDEX_NEW_APP = '0b9d3c1e-2f4a-4c6b-8d7e-9f0a1b2c3d4e';

/**
 * Per API: a change a partner makes (answering a marker that identifies it), and what the partner sees through
 * the API itself (a list of markers). Between them they cover a create, or the one update Bajie has.
 */
const cases: Record<Api, { credentials: [string, string]; change: (auth: string, marker: string) => Promise<void>; view: (auth: string) => Promise<string[]> }> = {
  hanchuess: {
    credentials: [bearer('team-a'), bearer('team-b')],
    change: async (auth, marker) => {
      const answer = await request('hanchuess', auth, 'POST', '/portal/v1/oem/subscribe', {
        oem: 'H03Z****SY37',
        webhookUrl: `https://partner.tech/${marker}`,
        secret: 's',
        devices: [],
      });
      expect(answer.status).toBe(200);
    },
    view: async (auth) => {
      const answer = await request('hanchuess', auth, 'POST', '/portal/v1/oem/subscriptions', { oem: 'H03Z****SY37' });
      return answer.body.devices.map((entry: Json) => entry.data.webhookUrl.replace('https://partner.tech/', ''));
    },
  },
  'openadr3-vtn': {
    credentials: [bearer('team-a'), bearer('team-b')],
    change: async (auth, marker) => {
      const answer = await request('openadr3-vtn', auth, 'POST', '/api/openadr/v1/subscriptions', {
        clientName: marker,
        programID: 'program-1',
        objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }],
      });
      expect(answer.status).toBe(201);
    },
    view: async (auth) => (await request('openadr3-vtn', auth, 'GET', '/api/openadr/v1/subscriptions')).body.map((item: Json) => item.clientName),
  },
  'bajie-charging': {
    // Two Basic users; the password is not part of the tenant.
    credentials: [basic('agent-a'), basic('agent-b')],
    change: async (auth, marker) => {
      const answer = await request('bajie-charging', auth, 'POST', '/cdb-open-api/v1/cabinet/eventPush/config', { pushUrl: `https://receiving.push.com/${marker}` });
      expect(answer.status).toBe(200);
    },
    view: async (auth) => [(await request('bajie-charging', auth, 'GET', '/cdb-open-api/v1/cabinet/eventPush/config/get')).body.data.pushUrl.replace('https://receiving.push.com/', '')],
  },
  'energy-coordination': {
    credentials: [bearer('team-a'), bearer('team-b')],
    change: async (auth, marker) => {
      const answer = await request('energy-coordination', auth, 'POST', '/energy-coordination/v1/resources', { userId: 'u', resourceId: marker });
      expect(answer.status).toBe(200);
    },
    view: async (auth) => (await request('energy-coordination', auth, 'GET', '/energy-coordination/v1/resources')).body.map((item: Json) => item.resourceId),
  },
  redex: {
    credentials: [bearer('team-a'), bearer('team-b')],
    // RedEx has no write operation: a partner loads devices through the control API.
    change: async (auth, marker) => {
      const { body: state } = await request('redex', auth, 'GET', '/_sandbox/state');
      const seed = state.devices[REDEX_APP][0];
      const devices = { ...state.devices, [REDEX_NEW_APP]: [...(state.devices[REDEX_NEW_APP] ?? []), { ...seed, InstallationName: marker }] };
      expect((await request('redex', auth, 'PUT', '/_sandbox/state', { devices })).status).toBe(200);
    },
    view: async (auth) => {
      const names: string[] = [];
      for (const application of [REDEX_APP, REDEX_NEW_APP]) {
        const answer = await request('redex', auth, 'GET', `/public/v2/device-applications/${application}/devices?CurrentPage=1&ItemsPerPage=100`);
        if (answer.status === 200) names.push(...answer.body.Data.map((device: Json) => device.InstallationName));
        else expect(answer.status).toBe(404);
      }
      return names;
    },
  },
};

describe.each(APIS)('%s: tenants', (api) => {
  const { credentials, change, view } = cases[api];
  const [teamA, teamB] = credentials;

  it("two credentials never see each other's objects; a reset restores the seed for the caller only", async () => {
    const seed = await view(teamA);
    expect(await view(teamB)).toEqual(seed);
    const seedState = (await request(api, teamA, 'GET', '/_sandbox/state')).body;

    await change(teamA, 'made-by-a');
    await change(teamB, 'made-by-b');
    const seenByA = await view(teamA);
    const seenByB = await view(teamB);
    expect(seenByA).toContain('made-by-a');
    expect(seenByA).not.toContain('made-by-b');
    expect(seenByB).toContain('made-by-b');
    expect(seenByB).not.toContain('made-by-a');
    // The control API shows each caller its own state too.
    expect(JSON.stringify((await request(api, teamA, 'GET', '/_sandbox/state')).body)).not.toContain('made-by-b');
    expect(JSON.stringify((await request(api, teamB, 'GET', '/_sandbox/state')).body)).not.toContain('made-by-a');

    const reset = await request(api, teamA, 'POST', '/_sandbox/reset');
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual(seedState);
    expect(await view(teamA)).toEqual(seed);
    expect(await view(teamB)).toEqual(seenByB);
  });
});

describe('concurrency', () => {
  const creates: { api: Api; path: string; list: string; body: (index: number) => Json; idOf: (answer: Json) => string; listed: (answer: any) => string[] }[] = [
    {
      api: 'openadr3-vtn',
      path: '/api/openadr/v1/subscriptions',
      list: '/api/openadr/v1/subscriptions?limit=50&skip=1',
      body: (index) => ({ clientName: `VEN-${index}`, programID: 'program-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }] }),
      idOf: (answer) => answer.id,
      listed: (answer) => answer.map((item: Json) => item.id),
    },
    {
      api: 'energy-coordination',
      path: '/energy-coordination/v1/subscriptions',
      list: '/energy-coordination/v1/subscriptions',
      body: (index) => ({ webhookUrl: `https://partner.example/${index}` }),
      idOf: (answer) => answer.id,
      listed: (answer) => answer.map((item: Json) => item.id).filter((id: string) => id !== '3d8f6a21-c4b9-4e57-a013-7e2b5c9d1f86'),
    },
    {
      api: 'hanchuess',
      path: '/portal/v1/oem/subscribe',
      list: '/portal/v1/oem/subscriptions',
      body: (index) => ({ oem: 'H03Z****SY37', webhookUrl: `https://partner.tech/${index}`, secret: 's', devices: [] }),
      idOf: (answer) => answer.data.subscriptionId,
      listed: (answer) => answer.devices.map((entry: Json) => entry.data.subscriptionId).filter((id: string) => !seededHanchuessIds.includes(id)),
    },
  ];

  it.each(creates)('$api: 50 concurrent creates give 50 distinct ids, all listed afterwards', async ({ api, path, list, body, idOf, listed }) => {
    const auth = bearer(`concurrent-${api}`);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, index) => request(api, auth, 'POST', path, body(index))));
    expect(answers.map((answer) => answer.status).filter((status) => status >= 300)).toEqual([]);
    const ids = answers.map((answer) => idOf(answer.body));
    expect(new Set(ids).size).toBe(50);
    // The VTN lists at most 50 at a time: skip the seed to see exactly the 50 created.
    const listAnswer = api === 'hanchuess' ? await request(api, auth, 'POST', list, { oem: 'H03Z****SY37' }) : await request(api, auth, 'GET', list);
    expect(listAnswer.status).toBe(200);
    expect(new Set(listed(listAnswer.body))).toEqual(new Set(ids));
    expect(listed(listAnswer.body)).toHaveLength(50);
  });
});
