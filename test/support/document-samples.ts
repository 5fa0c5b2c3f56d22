// Samples the vendor documents print, written out here exactly as printed: a fresh sandbox tenant must hold them,
// so the tests compare the mock's seeded state with these rather than with the spec the mock reads.

/** The VTN subscription the Switchmarket page prints for every operation. */
export const vtnDocumentSubscription = {
  id: 'object-999',
  createdDateTime: '2023-06-15T09:30:00Z',
  modificationDateTime: '2023-06-15T09:30:00Z',
  objectType: 'SUBSCRIPTION' as const,
  clientName: 'VEN-999',
  programID: 'object-999',
  objectOperations: [
    {
      objects: ['EVENT' as const],
      operations: ['POST' as const],
      callbackUrl: 'https://myserver.com/send/callback/here',
      bearerToken: 'NCEJGI9E8ER9802UT9HUG',
    },
  ],
  targets: [{ type: 'PRICE', values: [0.17] }],
};

/**
 * The subscriptions of HanChuESS's list example (their `data`), as the mock answers them (the secret is never
 * shown): illustrative, under the document's ids RD*****ZrWO (its update example), 72PX****j6j (its delete example)
 * and 72PX****6j (its test example).
 */
export const hanchuessDocumentSubscription = {
  oem: 'H03Z****SY37',
  subscriptionId: 'RD*****ZrWO',
  webhookUrl: 'https://partner.tech/api/callback',
  events: ['inverter:data:telemetry', 'hanchuess:subscription:test'],
  version: '1.0.0',
  status: 'inactive',
  createAt: '2025-03-01T11:25:02Z',
  devices: ['H01****G1H', 'H02****D6C'],
};
export const hanchuessSecondSubscription = {
  oem: 'H03Z****SY37',
  subscriptionId: '72PX****j6j',
  webhookUrl: 'https://partner.tech/api/hanchuess/battery',
  events: ['battery:data:telemetry', 'hanchuess:subscription:test'],
  version: '1.0.0',
  status: 'active',
  lastSuccessfulMessage: '2025-03-01T12:08:59Z',
  createAt: '2025-02-27T09:14:37Z',
  devices: ['H02****D6C'],
};
export const hanchuessThirdSubscription = {
  oem: 'H03Z****SY37',
  subscriptionId: '72PX****6j',
  webhookUrl: 'https://partner.tech/api/hanchuess/inverter-actions',
  events: ['inverter:action:schedule', 'inverter:action:command', 'hanchuess:subscription:test'],
  version: '1.0.0',
  status: 'inactive',
  lastSuccessfulMessage: '2025-02-20T17:41:06Z',
  createAt: '2025-02-12T08:03:51Z',
  devices: ['H01****G1H'],
};
/** Every subscription a fresh HanChuESS sandbox tenant holds, in list order. */
export const hanchuessSeededSubscriptions = [hanchuessDocumentSubscription, hanchuessSecondSubscription, hanchuessThirdSubscription];
