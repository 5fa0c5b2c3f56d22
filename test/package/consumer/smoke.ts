// @ts-nocheck -- checked (strictly, without this line) by test/package/package.test.ts in a consumer project: its imports resolve only there.
// The package test's consumer: imports every subpath from the installed tarball, calls one operation per API
// against the mocks, and parses valid and invalid webhooks of every pushing API; run(config) returns a report.
// Type-checked strictly with moduleResolution nodenext and bundler, then compiled and run by run.mjs.
import * as bajie from 'partner-api-contracts/bajie-charging';
import * as spark from 'partner-api-contracts/energy-coordination';
import * as hanchuess from 'partner-api-contracts/hanchuess';
import * as vtn from 'partner-api-contracts/openadr3-vtn';
import * as redex from 'partner-api-contracts/redex';
import type { components as RedexComponents, operations as RedexOperations, paths as RedexPaths } from 'partner-api-contracts/redex';
import type { webhooks as BajieWebhooks } from 'partner-api-contracts/bajie-charging';

export interface Config {
  /** Mock base URL per API id. */
  baseUrls: Record<string, string>;
  /** Raw webhook bodies (and the Energy Coordination signature) by name. */
  fixtures: Record<string, string>;
  secret: string;
}
type Report = Record<string, unknown>;

// Types only: each subpath exports paths, components, operations (and webhooks where the API has them).
const redexPath: keyof RedexPaths = '/public/v2/device-applications/{deviceApplicationId}/devices';
const redexOperation: keyof RedexOperations = 'listDeviceApplicationDevices';
const bajieWebhook: keyof BajieWebhooks = 'cabinetEventPush';
const meta: RedexComponents['schemas'] extends object ? true : false = true;

export async function run({ baseUrls, fixtures, secret }: Config): Promise<Report> {
  const report: Report = { types: [redexPath, redexOperation, bajieWebhook, meta] };
  await calls(baseUrls, report);
  await webhooks(fixtures, secret, report);
  return report;
}

function servers(): Report {
  return {
    hanchuess: hanchuess.servers[0].url,
    'openadr3-vtn': vtn.defaultBaseUrl,
    'bajie-charging': bajie.servers[0].url,
    'energy-coordination': spark.servers[0].url,
    redex: redex.servers[0].url,
  };
}

async function calls(baseUrls: Record<string, string>, report: Report): Promise<void> {
  report.servers = servers();
  const redexClient = redex.createClient({ baseUrl: baseUrls.redex!, auth: { token: 'test-token' } });
  const devices = await redexClient.GET('/public/v2/device-applications/{deviceApplicationId}/devices', {
    params: { path: { deviceApplicationId: '347847fa-68c0-4418-9119-08dc3993455a' }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
  });
  const firstDevice = devices.data?.Data[0];
  report.redex = { status: devices.response.status, installation: firstDevice?.InstallationName };

  const bajieClient = bajie.createClient({ baseUrl: baseUrls['bajie-charging']!, auth: { username: 'agent', password: 'secret' } });
  const config = await bajieClient.GET('/cabinet/eventPush/config/get');
  report['bajie-charging'] = { status: config.response.status, pushUrl: config.data?.data.pushUrl };

  const hanchuessClient = hanchuess.createClient({
    baseUrl: baseUrls.hanchuess!,
    auth: { token: async () => 'test-token' },
    headers: { 'X-Consumer': 'package-test' },
    fetch: (input) => fetch(input),
  });
  const listed = await hanchuessClient.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
  report.hanchuess = { status: listed.response.status };

  const vtnClient = vtn.createClient({ baseUrl: baseUrls['openadr3-vtn']!, auth: { token: 'test-token' } });
  const subscriptions = await vtnClient.GET('/subscriptions', { params: { query: { programID: 'object-999' } } });
  report['openadr3-vtn'] = { status: subscriptions.response.status, count: subscriptions.data?.length };

  const sparkClient = spark.createClient({ baseUrl: baseUrls['energy-coordination']!, auth: { token: 'test-token' } });
  const events = await sparkClient.GET('/events');
  report['energy-coordination'] = { status: events.response.status, count: events.data?.length };
}

async function outcome(parse: () => Promise<unknown>): Promise<string> {
  try {
    await parse();
    return 'ok';
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

async function webhooks(fixtures: Record<string, string>, secret: string, report: Report): Promise<void> {
  const push = await bajie.parseCabinetEventPush(fixtures.bajie!);
  let described: string;
  if (push instanceof bajie.UnknownWebhookEvent) throw new Error(`a listed event came back as unknown: ${push.eventType}`);
  switch (push.event) {
    case 'BATTERY_ABNORMAL_WARNING':
      described = `abnormal ${push.eventData?.abnormalBatteryId ?? '?'}`;
      break;
    default:
      described = push.event;
  }
  const delivery = await hanchuess.parseEventDelivery(fixtures.hanchuess!);
  const notification = await vtn.parseSubscriptionNotification(fixtures.vtn!, undefined, { strict: true });
  const spark1 = await spark.parseWebhook(fixtures.spark!, { 'X-Payload-Signature': fixtures.sparkSignature! }, { secret, strict: true });
  // A vendor's new event type reaches the handler as an UnknownWebhookEvent (tolerant reader), unless strict.
  const flooded = JSON.stringify({ agentAccount: 'admins', event: 'CABINET_FLOODED' });
  const unknown = await bajie.parseCabinetEventPush(flooded);
  report.webhooks = {
    bajie: described,
    hanchuess: delivery.data.map((event) => (event instanceof hanchuess.UnknownWebhookEvent ? `unknown ${event.eventType}` : event.type)),
    unknown: unknown instanceof bajie.UnknownWebhookEvent ? `${unknown.kind} ${unknown.webhook} ${unknown.eventType}` : unknown.event,
    unknownStrict: await outcome(() => bajie.parseCabinetEventPush(flooded, undefined, { strict: true })),
    vtn: `${notification.operation} ${notification.objectType}`,
    spark: spark1.operationType,
    invalid: {
      bajie: await outcome(() => bajie.parseCabinetEventPush(fixtures.bajieInvalid!)),
      hanchuess: await outcome(() => hanchuess.parseEventDelivery('{"timestamp":"2024-06-05T03:20:00Z"}')),
      vtn: await outcome(() => vtn.parseSubscriptionNotification('[]')),
      sparkWrongSignature: await outcome(() => spark.parseEventCreated(fixtures.spark!, { 'x-payload-signature': 'AAAA' }, { secret })),
      sparkMissingSignature: await outcome(() => spark.parseEventCreated(fixtures.spark!, {}, { secret })),
    },
    errorClass: new bajie.WebhookValidationError('w', 'f', 'type', 'must be integer') instanceof bajie.WebhookError,
  };
}
