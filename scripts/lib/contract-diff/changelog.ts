// CHANGELOG.md: one `## <version> (<date>)` section per release, one `### <api-id>` subsection per API with its
// contract changes (breaking, then non-breaking, then annotation-only), written by `npm run changelog` and read
// back by the reference site (per API changes on the index page).
import type { DiffReport } from './index.ts';
import type { Change, Level } from './policy.ts';

const PREAMBLE = `# Changelog

Contract changes per release and API, written by \`npm run changelog\` from \`npm run contract-diff\` (breaking
for our users: requests we send must still be accepted, responses and webhooks we receive must still parse).
`;

const LEVELS: { level: Level; title: string }[] = [
  { level: 'breaking', title: 'Breaking' },
  { level: 'non-breaking', title: 'Non-breaking' },
  { level: 'annotation', title: 'Annotation-only' },
];

const escape = (text: string) => text.replace(/\|/g, '\\|');

export function renderChangelogSection(report: DiffReport, heading: string, date: string): string {
  const lines = [`## ${heading} (${date})`, '', `Compared with ${report.base.ref} (${report.base.reason}).`, ''];
  for (const api of report.apis) {
    lines.push(`### ${api.id}`, '');
    if (api.status === 'new') {
      lines.push(`- New API (not in ${report.base.ref}).`, '');
      continue;
    }
    if (api.changes.length === 0) {
      lines.push('- No contract changes.', '');
      continue;
    }
    for (const { level, title } of LEVELS) {
      const changes = api.changes.filter((change) => change.level === level);
      if (changes.length === 0) continue;
      lines.push(`${title}:`, '');
      for (const change of changes) lines.push(`- ${escape(change.message)} (${escape(change.location)})`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** Replaces the section of `heading` in the changelog text, or inserts it above the newest one. */
export function upsertChangelogSection(text: string, heading: string, section: string): string {
  const body = text.trim() ? text : PREAMBLE;
  const sections = [...body.matchAll(/^## (.+?) \(/gm)];
  const own = sections.find((match) => match[1] === heading);
  const block = section.trimEnd() + '\n';
  if (own) {
    const next = sections.find((match) => match.index! > own.index!);
    return body.slice(0, own.index) + block + (next ? '\n' + body.slice(next.index) : '');
  }
  const first = sections[0];
  if (!first) return body.trimEnd() + '\n\n' + block;
  return body.slice(0, first.index) + block + '\n' + body.slice(first.index);
}

export interface ApiChangelogEntry {
  /** `0.2.0`, or `Unreleased`. */
  version: string;
  date: string;
  /** One line per change: `Breaking: removed ... (location)`; or `New API ...` / `No contract changes.` */
  lines: { level: Level | 'note'; text: string }[];
}

/** Reads CHANGELOG.md back into per-API entries, newest first (for the reference site). */
export function parseChangelog(text: string): Map<string, ApiChangelogEntry[]> {
  const byApi = new Map<string, ApiChangelogEntry[]>();
  let entry: { version: string; date: string } | undefined;
  let api: string | undefined;
  let level: Level | 'note' = 'note';
  for (const line of text.split('\n')) {
    const release = /^## (.+?) \((.+?)\)\s*$/.exec(line);
    if (release) {
      entry = { version: release[1]!, date: release[2]! };
      api = undefined;
      continue;
    }
    const apiHeading = /^### (\S+)\s*$/.exec(line);
    if (apiHeading && entry) {
      api = apiHeading[1]!;
      level = 'note';
      const list = byApi.get(api) ?? [];
      list.push({ ...entry, lines: [] });
      byApi.set(api, list);
      continue;
    }
    const title = LEVELS.find((candidate) => line === `${candidate.title}:`);
    if (title) {
      level = title.level;
      continue;
    }
    if (api && line.startsWith('- ')) byApi.get(api)!.at(-1)!.lines.push({ level, text: line.slice(2).replace(/\\\|/g, '|') });
  }
  return byApi;
}

export type { Change };
