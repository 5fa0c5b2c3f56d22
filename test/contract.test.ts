// Every document sample validates against the schema of the place it belongs; every negative fixture fails
// with exactly the keyword and path it names, so it cannot pass for the wrong reason.
import { describe, expect, it } from 'vitest';
import { loadApis } from '../scripts/lib/apis.ts';
import { validatorFor } from './support/contract.ts';
import { apisWithFixtures, negativeFixtures, positiveFixtures, valueAt } from './support/fixtures.ts';

const apis = loadApis().map((api) => api.id);

describe('fixture folders', () => {
  it('exist for every API in redocly.yaml and for no other', () => {
    expect(apisWithFixtures()).toEqual([...apis].sort());
  });
});

describe.each(apis)('%s', (api) => {
  const positives = positiveFixtures(api);
  const negatives = negativeFixtures(api);

  it('has document samples and broken-constraint fixtures', () => {
    expect(positives.length).toBeGreaterThan(0);
    expect(negatives.length).toBeGreaterThan(0);
  });

  it.each(positives.map((fixture) => [fixture.file, fixture] as const))('sample %s is valid', (_name, fixture) => {
    const validate = validatorFor(api, fixture.schema);
    const valid = validate(fixture.data);
    expect(validate.errors ?? [], `${fixture.source}`).toEqual([]);
    expect(valid).toBe(true);
  });

  // The specs leave response objects open (vendors add fields); the document's own samples must still use only
  // documented fields, so removing a field from a spec fails here.
  it.each(positives.map((fixture) => [fixture.file, fixture] as const))('sample %s uses only documented fields', (_name, fixture) => {
    const validate = validatorFor(api, fixture.schema, { closed: true });
    validate(fixture.data);
    expect(validate.errors ?? [], fixture.source).toEqual([]);
  });

  const withDefaults = positives.filter((fixture) => fixture.defaults);
  it.runIf(withDefaults.length > 0).each(withDefaults.map((fixture) => [fixture.file, fixture] as const))(
    'sample %s gets the documented defaults',
    (_name, fixture) => {
      const data = structuredClone(fixture.data);
      expect(validatorFor(api, fixture.schema, { useDefaults: true })(data)).toBe(true);
      for (const [pointer, value] of Object.entries(fixture.defaults!)) {
        expect(valueAt(fixture.data, pointer), `${pointer} is absent from the sample itself`).toBeUndefined();
        expect(valueAt(data, pointer), `default of ${pointer}`).toEqual(value);
      }
    },
  );

  it.each(negatives.map((fixture) => [fixture.file, fixture] as const))('negative %s is rejected for its reason', (_name, fixture) => {
    const validate = validatorFor(api, fixture.schema);
    expect(validate(fixture.data), fixture.constraint).toBe(false);
    const errors = validate.errors ?? [];
    const match = errors.find(
      (error) =>
        error.keyword === fixture.expect.keyword &&
        error.instancePath === fixture.expect.instancePath &&
        Object.entries(fixture.expect.params ?? {}).every(([key, value]) => JSON.stringify(error.params[key]) === JSON.stringify(value)),
    );
    expect(match, `${fixture.constraint}: expected ${JSON.stringify(fixture.expect)}, got ${JSON.stringify(errors)}`).toBeDefined();
  });
});
