// A published text may point a reader at a file only if that file is in the repository: a copy of a vendor page
// or a notes file kept elsewhere is a source nobody outside can open.
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../scripts/lib/apis.ts';

/** The files git tracks in this checkout. */
export const trackedFiles = (): string[] =>
  execFileSync('git', ['ls-files'], { cwd: projectRoot, encoding: 'utf8' }).split('\n').filter(Boolean);

/** Things that look like file names or paths: `FACTS.md`, `shared/sources/x.txt`, `specs/redex/NOTES.md`. */
const FILE_NAME = /(?<![\w/.-])((?:\.{1,2}\/)?[\w.-]+(?:\/[\w.-]+)*\.(?:md|txt|ya?ml|json|ts|js|html))(?![\w/])/g;

/** The file names in `text` that no tracked file of the repository has, as a path or as a final path part. */
export function fileNamesOutsideRepository(text: string, trackedFiles: string[]): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(FILE_NAME)) {
    const name = match[1]!;
    // A URL's path is the web's business, not the repository's.
    const before = text.slice(Math.max(0, match.index! - 200), match.index!);
    if (/https?:\/\/\S*$/.test(before)) continue;
    const path = name.replace(/^(\.{1,2}\/)+/, '');
    const known = trackedFiles.some((file) => file === path || file.endsWith(`/${path}`));
    if (!known) names.add(name);
  }
  return [...names];
}
