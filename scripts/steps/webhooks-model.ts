// What a bundled spec says about its webhooks, read from its top-level `webhooks` map: one receiver per webhook
// operation with a JSON request body. Shared by the validators step (Ajv standalone code) and the webhooks step
// (typed parse functions), so neither names an API.
import { resolveLocalRef } from '../lib/openapi-json.ts';
import { StepError } from '../lib/steps.ts';

export interface WebhookSignature {
  /** The header carrying the signature, as the spec spells it. */
  header: string;
  algorithm: 'HMAC-SHA256';
  encoding: 'base64';
}

export interface WebhookModel {
  /** The key under `webhooks`, e.g. `eventDelivery`. */
  key: string;
  method: string;
  operationId?: string;
  summary?: string;
  /** PascalCase name used for exports: parse<Name>, validate<Name>, <Name>Payload. */
  name: string;
  /** JSON pointer (with leading #) to the request body schema inside the bundle. */
  schemaPointer: string;
  signature?: WebhookSignature;
}

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: unknown[];
  requestBody?: unknown;
}

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Follows local `$ref`s to the object they name; returns it and the pointer it lives at. */
function deref(spec: Json, value: unknown, pointer: string, file: string): { value: Json; pointer: string } {
  try {
    const resolved = resolveLocalRef(spec, value);
    return { value: resolved.value as Json, pointer: resolved.pointer ?? pointer };
  } catch (error) {
    throw new StepError(file, `${pointer}: ${(error as Error).message}`);
  }
}

function pascalCase(key: string): string {
  return key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * A header parameter with `x-signature: { algorithm: HMAC-SHA256 }` and `schema.contentEncoding: base64` is
 * verified by the receivers. A header named like a signature without that declaration fails the build rather
 * than letting deliveries through unchecked.
 */
function signatureOf(spec: Json, operation: Operation, pointer: string, file: string): WebhookSignature | undefined {
  const headers = (operation.parameters ?? [])
    .map((parameter, index) => deref(spec, parameter, `${pointer}/parameters/${index}`, file).value)
    .filter((parameter) => parameter.in === 'header' && (parameter['x-signature'] || /signature/i.test(String(parameter.name))));
  if (headers.length === 0) return undefined;
  const [header] = headers;
  const declared = (header!['x-signature'] ?? {}) as Json;
  const schema = (header!.schema ?? {}) as Json;
  if (headers.length > 1 || declared.algorithm !== 'HMAC-SHA256' || schema.contentEncoding !== 'base64') {
    throw new StepError(
      file,
      `${pointer}: header ${String(header!.name)} looks like a signature; declare it with x-signature: { algorithm: HMAC-SHA256 } and schema.contentEncoding: base64 (the only scheme the receivers verify), one per webhook`,
    );
  }
  return { header: String(header!.name), algorithm: 'HMAC-SHA256', encoding: 'base64' };
}

/** Every webhook operation of the bundle with an application/json request body, in spec order. */
export function webhooksOf(spec: Json, file: string): WebhookModel[] {
  const webhooks = (spec.webhooks ?? {}) as Record<string, Json>;
  const models: WebhookModel[] = [];
  for (const [key, pathItemOrRef] of Object.entries(webhooks)) {
    const { value: pathItem, pointer: itemPointer } = deref(spec, pathItemOrRef, `#/webhooks/${escapePointer(key)}`, file);
    const methods = METHODS.filter((method) => pathItem[method]);
    for (const method of methods) {
      const operation = pathItem[method] as Operation;
      const opPointer = `${itemPointer}/${method}`;
      if (!operation.requestBody) continue;
      const { value: body, pointer: bodyPointer } = deref(spec, operation.requestBody, `${opPointer}/requestBody`, file);
      const content = (body.content ?? {}) as Record<string, Json>;
      if (!content['application/json']?.schema) continue;
      const suffix = methods.length > 1 ? pascalCase(method) : '';
      models.push({
        key,
        method,
        ...(operation.operationId ? { operationId: operation.operationId } : {}),
        ...(operation.summary ? { summary: operation.summary } : {}),
        name: pascalCase(key) + suffix,
        schemaPointer: `${bodyPointer}/content/${escapePointer('application/json')}/schema`,
        ...(() => {
          const signature = signatureOf(spec, operation, opPointer, file);
          return signature ? { signature } : {};
        })(),
      });
    }
  }
  const names = models.map((model) => model.name);
  const clash = names.find((name, index) => names.indexOf(name) !== index);
  if (clash) throw new StepError(file, `two webhooks map to the same export name ${clash}; rename one of the webhook keys`);
  return models;
}
