// Starts one API's real Prism mock (mocks/prism-server.ts) on a free loopback port for a test file.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { createPrismMock, type MockOptions, type MockServer } from '../../mocks/prism-server.ts';
import { escapePointerToken, resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { bundledSpec, validatorFor } from './contract.ts';

export interface RunningMock {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The spec's default baseUrl with only the origin swapped for the mock's, as partner code would do. */
  baseUrlFor(productionBaseUrl: string): string;
  /** The server itself (its `.sandbox`: state and deliveries). */
  server: MockServer;
  close(): Promise<void>;
}

/** Options passed through to createPrismMock (ids, clock, retryDelaysMs, ...). */
export type StartOptions = Omit<MockOptions, 'specPath' | 'declarationPath'>;

export async function startMock(api: string, options: StartOptions = {}): Promise<RunningMock> {
  const entry = loadApis().find((candidate) => candidate.id === api);
  if (!entry) throw new Error(`startMock: unknown API id "${api}"`);
  const server = await createPrismMock({
    ...options,
    specPath: join(projectRoot, 'generated', api, 'openapi.json'),
    declarationPath: join(projectRoot, entry.specDir, 'sandbox.yaml'),
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    server,
    baseUrlFor: (productionBaseUrl) => origin + new URL(productionBaseUrl).pathname.replace(/\/+$/, ''),
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

const specs = new Map<string, Record<string, unknown>>();

/**
 * The schema errors of an answer against the spec's response for that operation and status (`[]` when it
 * validates), e.g. `answerErrors('openadr3-vtn', 'get', '/subscriptions/{subscriptionID}', 404, body)`. Throws
 * when the spec documents no JSON schema for that status, so a check cannot pass by having nothing to check.
 */
export function answerErrors(api: string, method: string, path: string, status: number, body: unknown): string[] {
  const spec = (specs.get(api) ?? specs.set(api, bundledSpec(api)).get(api)!) as Record<string, any>;
  const responses = spec.paths?.[path]?.[method.toLowerCase()]?.responses ?? {};
  const code = String(status) in responses ? String(status) : `${String(status)[0]}XX` in responses ? `${String(status)[0]}XX` : undefined;
  if (!code) throw new Error(`${api}: ${method.toUpperCase()} ${path} documents no ${status}`);
  const resolved = resolveLocalRef(spec, responses[code]);
  const base = resolved.pointer ?? `#/paths/${escapePointerToken(path)}/${method.toLowerCase()}/responses/${code}`;
  const mediaType = Object.keys(resolved.value?.content ?? {}).find((type) => /json/i.test(type));
  if (!mediaType || !resolved.value.content[mediaType].schema) throw new Error(`${api}: ${method.toUpperCase()} ${path} ${status} has no JSON schema`);
  const validate = validatorFor(api, `${base}/content/${escapePointerToken(mediaType)}/schema`);
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'}: ${error.message}`);
}
