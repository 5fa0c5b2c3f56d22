// Reads test/fixtures/<api>/ (positives) and test/fixtures/<api>/negative/ (one broken constraint each).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { pointerTokens } from '../../mocks/shared/openapi-json.ts';

export { valueAt } from '../../mocks/shared/openapi-json.ts';

export interface PositiveFixture {
  file: string;
  source: string;
  schema: string;
  data: unknown;
  /** JSON pointer -> the documented default that validation must fill in when the field is absent. */
  defaults?: Record<string, unknown>;
}

export interface NegativeFixture {
  file: string;
  constraint: string;
  schema: string;
  data: unknown;
  expect: { keyword: string; instancePath: string; params?: Record<string, unknown> };
}

type PatchOperation = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };

export const fixturesRoot = join(projectRoot, 'test', 'fixtures');

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

function jsonFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')).sort() : [];
}

/** RFC 6902 add / replace / remove on a deep copy. */
export function applyPatch(document: unknown, operations: PatchOperation[], file: string): unknown {
  const result = structuredClone(document);
  for (const { op, path, value } of operations) {
    const keys = pointerTokens(path);
    const last = keys.pop();
    if (last === undefined) throw new Error(`${file}: patch path "${path}" points at the whole document`);
    let parent: any = result;
    for (const key of keys) {
      if (parent === null || typeof parent !== 'object' || !(key in parent)) throw new Error(`${file}: patch path "${path}" does not exist`);
      parent = parent[key];
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (op === 'remove') parent.splice(index, 1);
      else if (op === 'add') parent.splice(index, 0, value);
      else parent[index] = value;
    } else if (op === 'remove') {
      if (!(last in parent)) throw new Error(`${file}: cannot remove missing "${path}"`);
      delete parent[last];
    } else {
      if (op === 'replace' && !(last in parent)) throw new Error(`${file}: cannot replace missing "${path}"`);
      parent[last] = value;
    }
  }
  return result;
}

export function apisWithFixtures(): string[] {
  return readdirSync(fixturesRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function positiveFixtures(api: string): PositiveFixture[] {
  const dir = join(fixturesRoot, api);
  return jsonFiles(dir).map((name) => {
    const fixture = readJson(join(dir, name));
    for (const field of ['source', 'schema', 'data']) {
      if (!(field in fixture)) throw new Error(`test/fixtures/${api}/${name}: missing "${field}"`);
    }
    return { file: name, ...fixture };
  });
}

export function negativeFixtures(api: string): NegativeFixture[] {
  const dir = join(fixturesRoot, api, 'negative');
  return jsonFiles(dir).map((name) => {
    const path = `test/fixtures/${api}/negative/${name}`;
    const fixture = readJson(join(dir, name));
    for (const field of ['constraint', 'schema', 'expect']) {
      if (!(field in fixture)) throw new Error(`${path}: missing "${field}"`);
    }
    let data = fixture.data;
    if (fixture.base !== undefined) {
      const base = readJson(join(fixturesRoot, api, fixture.base));
      data = applyPatch(base.data, fixture.patch ?? [], path);
    } else if (!('data' in fixture)) {
      throw new Error(`${path}: needs "data", or "base" with "patch"`);
    }
    return { file: name, constraint: fixture.constraint, schema: fixture.schema, data, expect: fixture.expect };
  });
}
