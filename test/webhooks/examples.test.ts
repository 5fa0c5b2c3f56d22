// Every example the specs give for a webhook body parses with that webhook's generated receiver, and a payload
// missing one of the body's required fields is rejected naming that field. Data-driven over the bundles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { webhooksOf } from '../../scripts/steps/webhooks-model.ts';
import { WebhookValidationError } from '../../runtime/webhooks.ts';

type Json = Record<string, any>;
const resolve = (spec: Json, node: Json): Json => resolveLocalRef(spec, node).value;

const pushing = loadApis().flatMap((api) => {
  const spec = JSON.parse(readFileSync(join(projectRoot, 'generated', api.id, 'openapi.json'), 'utf8')) as Json;
  return webhooksOf(spec, api.root).map((model) => {
    const body = resolve(spec, spec.webhooks[model.key][model.method].requestBody);
    const media = body.content['application/json'];
    const examples = Object.entries((media.examples ?? {}) as Json).map(([name, example]) => [name, resolve(spec, example).value] as const);
    const schema = resolve(spec, media.schema);
    const required: string[] = schema.required ?? schema.allOf?.flatMap((part: Json) => resolve(spec, part).required ?? []) ?? [];
    return { api: api.id, model, examples, required };
  });
});

describe('webhook receivers accept the specs\' examples', () => {
  it('covers the four pushing APIs', () => {
    expect([...new Set(pushing.map((each) => each.api))].sort()).toEqual(['bajie-charging', 'energy-coordination', 'hanchuess', 'openadr3-vtn']);
  });

  for (const { api, model, examples, required } of pushing) {
    const load = async () => (await import(`../../generated/${api}/webhooks.ts`)) as Record<string, (raw: unknown, headers?: unknown) => Promise<unknown>>;

    it(`${api} ${model.key}: has examples`, () => expect(examples.length).toBeGreaterThan(0));

    for (const [name, value] of examples) {
      it(`${api} parse${model.name}: example ${name} parses to itself`, async () => {
        const parse = (await load())[`parse${model.name}`]!;
        expect(await parse(JSON.stringify(value))).toEqual(value);
        expect(await parse(new TextEncoder().encode(JSON.stringify(value)))).toEqual(value);
      });
    }

    for (const field of required) {
      it(`${api} parse${model.name}: a body without ${field} throws naming ${field}`, async () => {
        const parse = (await load())[`parse${model.name}`]!;
        const { [field]: _dropped, ...rest } = examples[0]![1] as Json;
        const error = await parse(JSON.stringify(rest)).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(WebhookValidationError);
        expect(error).toMatchObject({ field, keyword: 'required', message: `${field}: is required`, webhook: model.key });
      });
    }

    it(`${api} parse${model.name}: a body that is not JSON throws a WebhookParseError`, async () => {
      const parse = (await load())[`parse${model.name}`]!;
      await expect(parse('{"oops"')).rejects.toThrow(/^\(body\): is not JSON/);
      await expect(parse({ already: 'parsed' })).rejects.toThrow(/raw body/);
    });
  }
});
