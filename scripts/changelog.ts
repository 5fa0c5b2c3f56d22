// npm run changelog [-- --base <git-ref>] [--version <x.y.z>]
// Writes the contract changes since the last v* tag (else the first commit) into CHANGELOG.md under the new
// version (package.json's, or "Unreleased" while it equals the tagged one), one subsection per API, breaking
// first. Re-running replaces that version's section, so the file can be regenerated as the specs move on.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './lib/apis.ts';
import { renderChangelogSection, upsertChangelogSection } from './lib/contract-diff/changelog.ts';
import { contractDiff, latestReleaseTag } from './lib/contract-diff/index.ts';

try {
  const { values } = parseArgs({ options: { base: { type: 'string' }, version: { type: 'string' }, root: { type: 'string' }, date: { type: 'string' } } });
  const root = values.root ?? projectRoot;
  const report = await contractDiff({ root, ...(values.base ? { base: values.base } : {}) });
  const version = values.version ?? String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  const tag = latestReleaseTag(root);
  const heading = !values.version && tag === `v${version}` ? 'Unreleased' : version;
  const date = values.date ?? new Date().toISOString().slice(0, 10);
  const file = join(root, 'CHANGELOG.md');
  let existing = '';
  try {
    existing = readFileSync(file, 'utf8');
  } catch {
    // first run: the file is created
  }
  writeFileSync(file, upsertChangelogSection(existing, heading, renderChangelogSection(report, heading, date)));
  const counts = report.apis.map((api) => `${api.id} ${api.status === 'new' ? 'new' : api.changes.length}`).join(', ');
  console.log(`CHANGELOG.md: ${heading} against ${report.base.ref} (${report.base.reason}): ${counts}`);
} catch (error) {
  console.error(`changelog: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
