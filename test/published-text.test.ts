// What the reference site publishes from each spec: every body carries an explicit, realistic example (nothing
// for Redoc to make up, no type names as values), every source it cites is one a reader can open, and the
// metadata agrees with package.json. The printed placeholders of a document stay contract fixtures only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../scripts/lib/apis.ts';
import { bundledSpec } from './support/contract.ts';
import { bodiesWithoutExample, placeholdersIn } from './support/example-audit.ts';
import { fileNamesOutsideRepository, trackedFiles } from './support/published-sources.ts';

const apis = loadApis();
const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
const tracked = trackedFiles();

/** Every string in the bundle that a reader sees as prose: descriptions, summaries, titles. */
function proseOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => proseOf(item, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'description' || key === 'summary' || key === 'title') && typeof value === 'string') out.push(value);
      else proseOf(value, out);
    }
  }
  return out;
}

describe.each(apis.map((api) => [api.id, api] as const))('%s as published', (id, api) => {
  const spec = bundledSpec(id) as Record<string, any>;

  it('gives every request, response, callback and webhook body an explicit example', () => {
    expect(bodiesWithoutExample(spec)).toEqual([]);
  });

  it('holds no placeholder value in any example (type names, Redoc inventions, 0 for "a number")', () => {
    const found = placeholdersIn(spec).map((p) => `${p.example}${p.at ? ` at ${p.at}` : ''}: ${JSON.stringify(p.value)} is ${p.reason}`);
    expect(found).toEqual([]);
  });

  it('names no file outside the repository, in the spec or in the notes shown as "About this contract"', () => {
    const notes = readFileSync(join(projectRoot, api.specDir, 'NOTES.md'), 'utf8');
    const texts = [...proseOf(spec).map((text) => ['the spec', text] as const), ['NOTES.md', notes] as const];
    const outside = texts.flatMap(([where, text]) => fileNamesOutsideRepository(text, tracked).map((name) => `${where}: ${name}`));
    expect(outside).toEqual([]);
  });

  it("states package.json's license, and a contact that names nothing invented", () => {
    expect(spec.info.license).toEqual({ name: packageJson.license });
    expect(spec.info.contact ?? {}).not.toHaveProperty('url');
    expect(spec.info.contact ?? {}).not.toHaveProperty('email');
  });
});

describe('the audits themselves', () => {
  const spec = {
    paths: {
      '/things': {
        post: {
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          responses: {
            '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' }, examples: { one: { $ref: '#/components/examples/Thing' } } } } },
            '204': { description: 'no body' },
          },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          properties: { name: { type: 'string' }, level: { type: 'number' }, code: { type: 'integer', const: 0 }, errors: { type: 'object', additionalProperties: { type: 'array' } } },
        },
      },
      examples: { Thing: { value: { name: 'string', level: 0, code: 0, errors: { property1: ['too long'] } } } },
    },
  };

  it('finds a body without an example and leaves a body-less response alone', () => {
    expect(bodiesWithoutExample(spec)).toEqual(['POST /things request application/json']);
  });

  it('finds type names, invented keys and a 0 for "a number", and accepts a 0 the schema names', () => {
    const found = placeholdersIn(spec).map((p) => `${p.at} ${p.reason}`);
    expect(found).toEqual(['/name a type name, not a value', '/level 0 standing for "a number"', '/errors/property1 a property name Redoc invents']);
  });

  it('finds a file name that is not in the repository, and accepts one that is', () => {
    expect(fileNamesOutsideRepository('see FACTS.md and `shared/sources/x.txt`, and specs/redex/NOTES.md', tracked)).toEqual([
      'FACTS.md',
      'shared/sources/x.txt',
    ]);
  });
});
