// generated/ must be exactly what `npm run generate` writes from the specs: regenerate into a temp folder
// (no cache) and compare byte for byte.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/lib/apis.ts';
import { build } from '../scripts/build.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('generated/ is up to date with specs/', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'drift-'));
    await build({ only: 'generate', outRoot: scratch, cache: false, log: () => {} });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has the same files', () => {
    // Two empty folders would be equal too: the generator must have written something.
    expect(filesUnder(join(scratch, 'generated')).length).toBeGreaterThan(0);
    expect(filesUnder(join(projectRoot, 'generated'))).toEqual(filesUnder(join(scratch, 'generated')));
  });

  it('has the same bytes in every file (run `npm run generate` and commit if this fails)', () => {
    for (const file of filesUnder(join(scratch, 'generated'))) {
      const committed = readFileSync(join(projectRoot, 'generated', file), 'utf8');
      const fresh = readFileSync(join(scratch, 'generated', file), 'utf8');
      expect(committed, `generated/${file} is stale`).toBe(fresh);
    }
  });
});
