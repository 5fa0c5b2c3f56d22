// How a vendor signs its webhook deliveries, read from the bundle rather than written per API: a header parameter
// of the webhook operation declared with `x-signature: { algorithm: HMAC-SHA256 }` and `schema.contentEncoding:
// base64` (Energy Coordination's X-Payload-Signature). The receivers in runtime/webhooks.ts verify exactly this,
// so whatever signs here (receiver check, sandbox deliveries) is accepted by them.
import { createHmac } from 'node:crypto';
import { resolveLocalRef } from './openapi-json.ts';

/** The one signature scheme the specs declare and the receivers verify. */
export interface SignatureDeclaration {
  /** The header carrying the signature, as the spec spells it (`X-Payload-Signature`). */
  header: string;
  algorithm: 'HMAC-SHA256';
  encoding: 'base64';
  /** What the spec says keys the HMAC (`x-signature.key`, e.g. `webhookSecret`), when it says. */
  key?: string;
}

/** Anything that carries a webhook's signature declaration, e.g. a `Webhook` from webhook-payloads.ts. */
export interface SignedWebhook {
  signature?: SignatureDeclaration;
}

type Json = Record<string, unknown>;

/**
 * The signature declaration of a webhook operation (an operation object under the bundle's `webhooks`), or
 * undefined when the vendor does not sign. `spec` resolves `$ref`ed parameters. Throws when a header is declared
 * with `x-signature` in a scheme nothing here can produce, so a delivery is never sent unsigned by mistake.
 */
export function readSignature(spec: unknown, operation: unknown): SignatureDeclaration | undefined {
  const parameters = ((operation as Json | undefined)?.parameters ?? []) as unknown[];
  for (const parameterOrRef of parameters) {
    const parameter = resolveLocalRef(spec, parameterOrRef).value as Json;
    if (parameter?.in !== 'header' || !parameter['x-signature']) continue;
    const declared = parameter['x-signature'] as Json;
    const schema = (parameter.schema ?? {}) as Json;
    if (declared.algorithm !== 'HMAC-SHA256' || schema.contentEncoding !== 'base64') {
      throw new Error(
        `header ${String(parameter.name)}: x-signature ${JSON.stringify(declared)} with contentEncoding ${String(schema.contentEncoding)} is not supported (only HMAC-SHA256, base64)`,
      );
    }
    return {
      header: String(parameter.name),
      algorithm: 'HMAC-SHA256',
      encoding: 'base64',
      ...(typeof declared.key === 'string' ? { key: declared.key } : {}),
    };
  }
  return undefined;
}

/** The signature value of `rawBody` (the exact bytes sent): Base64 of HMAC-SHA256 keyed with `secret`. */
export function sign(signature: SignatureDeclaration, rawBody: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/**
 * The headers that sign one delivery of `webhookOperation`, e.g. `{ 'X-Payload-Signature': '...' }`; `{}` when the
 * vendor does not sign that webhook. Sign the exact bytes you send: re-serializing the body breaks the signature.
 */
export function signatureHeaders(webhookOperation: SignedWebhook, rawBody: string | Uint8Array, secret: string): Record<string, string> {
  const { signature } = webhookOperation;
  if (!signature) return {};
  if (!secret) throw new Error(`${signature.header}: a non-empty secret is needed to sign (${signature.key ?? 'the shared secret'})`);
  return { [signature.header]: sign(signature, rawBody, secret) };
}
