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

/** The subscription of HanChuESS's list sample (its `data`), as the mock answers it (the secret is never shown). */
export const hanchuessDocumentSubscription = {
  oem: 'H03Z****SY37',
  subscriptionId: 'RD*****ZrWO',
  webhookUrl: 'https://partner.tech/api/callback',
  events: ['*'],
  version: '1.0.0',
  status: 'inactive',
  devices: ['H01****G1H', 'H02****D6C'],
};
