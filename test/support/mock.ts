// Starts one API's real Prism mock (mocks/prism-server.ts) on a free loopback port for a test file.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { createPrismMock } from '../../mocks/prism-server.ts';

export interface RunningMock {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The spec's default baseUrl with only the origin swapped for the mock's, as partner code would do. */
  baseUrlFor(productionBaseUrl: string): string;
  close(): Promise<void>;
}

export async function startMock(api: string): Promise<RunningMock> {
  const entry = loadApis().find((candidate) => candidate.id === api);
  if (!entry) throw new Error(`startMock: unknown API id "${api}"`);
  const server = await createPrismMock({
    specPath: join(projectRoot, 'generated', api, 'openapi.json'),
    declarationPath: join(projectRoot, entry.specDir, 'sandbox.yaml'),
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrlFor: (productionBaseUrl) => origin + new URL(productionBaseUrl).pathname.replace(/\/+$/, ''),
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
