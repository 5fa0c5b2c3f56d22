// One direction of imports: the pipeline (scripts/) may use the sandbox package (mocks/), never the reverse, and
// the sandbox reaches outside mocks/ only for the generated API table.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';

function sources(dir: string): string[] {
  return readdirSync(join(projectRoot, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.parentPath.includes('node_modules') && !entry.parentPath.includes(`${join('mocks', 'dist')}`))
    .map((entry) => join(entry.parentPath, entry.name));
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => relative(projectRoot, resolve(dirname(file), match[1]!)));
}

describe('import direction', () => {
  it('nothing under mocks/ imports the pipeline, the tests or the client runtime', () => {
    const outside = sources('mocks').flatMap((file) =>
      relativeImports(file)
        .filter((target) => !target.startsWith('mocks/') && target !== 'generated/sandbox-apis.ts' && target !== 'mocks/package.json')
        .map((target) => `${relative(projectRoot, file)} -> ${target}`),
    );
    expect(outside).toEqual([]);
  });

  it('the pipeline reaches into the sandbox only through its shared modules, its catalogue and its command line', () => {
    const allowed = /^mocks\/(shared\/|catalogue\.ts$|cli\/run\.ts$|start-sandbox\.ts$|index\.ts$)/;
    const reaches = sources('scripts').flatMap((file) =>
      relativeImports(file)
        .filter((target) => target.startsWith('mocks/') && !allowed.test(target))
        .map((target) => `${relative(projectRoot, file)} -> ${target}`),
    );
    expect(reaches).toEqual([]);
  });
});
