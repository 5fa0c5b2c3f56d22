// The generated RedEx client against the real Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl } from '../../generated/redex/client.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  mock = await startMock('redex');
  client = createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => 'test-token' } });
});
afterAll(() => mock.close());

const deviceApplicationId = '347847fa-68c0-4418-9119-08dc3993455a';
const path = '/public/v2/device-applications/{deviceApplicationId}/devices';

describe('redex client against the mock', () => {
  it('reaches the mock at the origin only: the server has no base path', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(mock.origin);
  });

  it("listDeviceApplicationDevices: the document's request through the client answers the 200 example", async () => {
    const { data, error, response } = await client.GET(path, {
      params: { path: { deviceApplicationId }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    const url = new URL(response.url);
    expect(url.pathname).toBe(`/public/v2/device-applications/${deviceApplicationId}/devices`);
    expect(url.search).toBe('?CurrentPage=1&ItemsPerPage=10');
    expect(data?.StatusCode).toBe(200);
    expect(data?.Message).toBe('Success');
    expect(data?.Data).toHaveLength(1);
    expect(data?.Data[0]?.InstallationName).toBe('Kong Meng San Phor Kark See Monastery');
    expect(data?.Data[0]?.GridConnectionDate).toBe('2022-05-15 00:00:00');
    expect(data?.Data[0]?.Inverters?.[0]?.BrandCode).toBe('HW21');
    expect(data?.Data[0]?.Inverters?.[0]?.InstalledCapacity).toBe(9.9);
    // Meta reflects the request (ItemsPerPage 10) and agrees with Data.
    expect(data?.Meta).toEqual({ CurrentPage: 1, TotalPage: 1, TotalItems: 1, ItemsPerPage: 10 });
    expect(answerErrors('redex', 'get', path, 200, data)).toEqual([]);
  });

  it('without paging parameters the spec defaults apply (CurrentPage 1, ItemsPerPage 100)', async () => {
    const { data, response } = await client.GET(path, { params: { path: { deviceApplicationId } } });
    expect(response.status).toBe(200);
    expect(data?.Meta).toEqual({ CurrentPage: 1, TotalPage: 1, TotalItems: 1, ItemsPerPage: 100 });
    // A page past the end is empty, with the same counts.
    const past = await client.GET(path, { params: { path: { deviceApplicationId }, query: { CurrentPage: 2, ItemsPerPage: 10 } } });
    expect(past.data?.Data).toEqual([]);
    expect(past.data?.Meta).toEqual({ CurrentPage: 2, TotalPage: 1, TotalItems: 1, ItemsPerPage: 10 });
  });

  it("an unknown device application answers the spec's 404 in the RedEx envelope, in the document's words", async () => {
    const unknown = 'bfa462c1-7e98-4f7b-8521-08dc7920a5f2';
    const { data, error, response } = await client.GET(path, {
      params: { path: { deviceApplicationId: unknown }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toEqual({ Data: null, Meta: null, Errors: null, StatusCode: 404, Message: `The Device Application ID: ${unknown} does not exist.` });
    expect(answerErrors('redex', 'get', path, 404, error)).toEqual([]);
  });

  it("the document's curl request with raw fetch, only the origin swapped, answers the 200 example", async () => {
    // curl -X 'GET' 'https://uat-api.redex.eco/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?CurrentPage=1&ItemsPerPage=10'
    //   -H 'Authorization: Bearer <access_token>' -H 'accept: application/json'
    const production = new URL(
      'https://uat-api.redex.eco/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?CurrentPage=1&ItemsPerPage=10',
    );
    const response = await fetch(`${mock.origin}${production.pathname}${production.search}`, {
      headers: { Authorization: 'Bearer <access_token>', accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.Data[0].Id).toBe(deviceApplicationId);
    expect(body.Data[0].InstallationName).toBe('Kong Meng San Phor Kark See Monastery');
    expect(body.Data[0].PercentageRenewable).toBe(45.55);
    expect(body).toMatchObject({ Errors: null, StatusCode: 200, Message: 'Success' });
  });

  it('ItemsPerPage=5 comes back as a typed 400 in the RedEx envelope naming ItemsPerPage', async () => {
    // The types accept any number (JSON Schema ranges are not types), so this call type-checks.
    const { data, error, response } = await client.GET(path, {
      params: { path: { deviceApplicationId }, query: { CurrentPage: 1, ItemsPerPage: 5 } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ Data: null, Meta: null, Errors: null, StatusCode: 400 });
    expect(error?.Message).toBe('Invalid request: query.ItemsPerPage: Request query parameter ItemsPerPage must be >= 10');
  });

  it('a deviceApplicationId that is not a uuid comes back as a 400 in the envelope', async () => {
    const { error, response } = await client.GET(path, {
      params: { path: { deviceApplicationId: 'not-a-uuid' }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
    });
    expect(response.status).toBe(400);
    expect(error?.StatusCode).toBe(400);
    // Prism lower-cases parameter names; the mock restores the spec's spelling.
    expect(error?.Message).toMatch(/^Invalid request: path\.deviceApplicationId: .*deviceApplicationId must match format "uuid"/);
  });

  it('a request without a bearer token gets 401 in the envelope', async () => {
    const response = await fetch(`${mock.origin}/public/v2/device-applications/${deviceApplicationId}/devices`);
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body).toMatchObject({ Data: null, Meta: null, Errors: null, StatusCode: 401 });
    expect(body.Message).toMatch(/^Unauthorized/);
  });

  it("Prefer: code=404 answers the document's 404 example as a typed error", async () => {
    const { data, error, response } = await client.GET(path, {
      params: { path: { deviceApplicationId } },
      headers: { Prefer: 'code=404' },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toEqual({
      Data: null,
      Meta: null,
      Errors: null,
      StatusCode: 404,
      Message: 'The Device Application ID: bfa462c1-7e98-4f7b-8521-08dc7920a5f2 does not exist.',
    });
  });

});
