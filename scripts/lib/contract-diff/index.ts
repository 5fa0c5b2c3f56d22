// Contract evolution: bundle every spec at a git ref and in the working tree with the pinned Redocly CLI,
// compare the bundles (policy.ts), and the release gate on top: breaking changes since the latest v* tag need a
// major version (a minor one while at 0.x).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadApis, selectApis, type ApiEntry } from '../apis.ts';
import { execTool, toolOutputTail } from '../exec.ts';
import { classifyChanges, type Change, type Level } from './policy.ts';

export type { Change, Level } from './policy.ts';

type Json = Record<string, any>;

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function tryGit(root: string, args: string[]): string | undefined {
  try {
    return git(root, args);
  } catch {
    return undefined;
  }
}

/** The highest `v*` tag reachable from HEAD (by version order), or undefined when the clone has none. */
export function latestReleaseTag(root: string): string | undefined {
  const tags = tryGit(root, ['tag', '--list', 'v*', '--merged', 'HEAD', '--sort=-v:refname']);
  return tags?.split('\n').find((tag) => /^v\d+\.\d+\.\d+/.test(tag));
}

export interface BaseRef {
  /** What was asked for or chosen: a tag, a ref, or the first commit's hash. */
  ref: string;
  sha: string;
  /** Why this base: `--base`, `latest v* tag`, `first commit (no v* tag)`. */
  reason: string;
}

export function resolveBase(root: string, base?: string): BaseRef {
  if (base) {
    const sha = tryGit(root, ['rev-parse', '--verify', `${base}^{commit}`]);
    if (!sha) throw new Error(`--base ${base}: not a commit in this repository`);
    return { ref: base, sha, reason: '--base' };
  }
  const tag = latestReleaseTag(root);
  if (tag) return { ref: tag, sha: git(root, ['rev-parse', `${tag}^{commit}`]), reason: 'latest v* tag' };
  const first = git(root, ['rev-list', '--max-parents=0', 'HEAD']).split('\n').pop()!;
  return { ref: first.slice(0, 12), sha: first, reason: 'first commit (no v* tag)' };
}

async function redoclyBundle(cwd: string, target: string, out: string, config?: string): Promise<Json> {
  const args = ['bundle', target, '--output', out, ...(config ? ['--config', config] : [])];
  const result = await execTool('redocly', args, cwd);
  if (result.code !== 0) throw new Error(`redocly bundle ${target} (in ${cwd}) failed:\n${toolOutputTail(result)}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Json;
}

/** Runs `task` over `items` with at most `limit` at a time (each bundle is a Redocly process; CI has two cores). */
async function pool<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!);
      }
    }),
  );
  return results;
}

/**
 * The bundle of each API's spec as it was at commit `sha` (undefined where the API did not exist yet). The files
 * come from `git archive` into a temporary folder; bundles are cached per commit in `.cache/contract-diff/`.
 */
export async function bundlesAtCommit(root: string, sha: string, apis: ApiEntry[]): Promise<Map<string, Json | undefined>> {
  const cacheDir = join(root, '.cache', 'contract-diff', sha);
  const bundles = new Map<string, Json | undefined>();
  const missing = apis.filter((api) => {
    const cached = join(cacheDir, `${api.id}.json`);
    if (!existsSync(cached)) return true;
    const text = readFileSync(cached, 'utf8');
    bundles.set(api.id, text === 'null\n' ? undefined : (JSON.parse(text) as Json));
    return false;
  });
  if (missing.length === 0) return bundles;
  const scratch = mkdtempSync(join(tmpdir(), 'contract-base-'));
  try {
    const present = tryGit(root, ['ls-tree', '--name-only', sha, '--', 'redocly.yaml', 'specs'])?.split('\n').filter(Boolean) ?? [];
    if (present.length > 0) {
      const tar = execFileSync('git', ['archive', '--format=tar', sha, '--', ...present], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
      execFileSync('tar', ['-x', '-C', scratch], { input: tar });
    }
    const configFile = join(scratch, 'redocly.yaml');
    const registry = existsSync(configFile) ? ((parse(readFileSync(configFile, 'utf8')) as { apis?: Record<string, { root?: string }> })?.apis ?? {}) : {};
    await pool(missing, 2, async (api) => {
      // The base's own registry names the root; a base from before redocly.yaml had the API uses today's root.
      const specRoot = registry[api.id]?.root ?? api.root;
      let bundle: Json | undefined;
      if (existsSync(join(scratch, specRoot))) {
        bundle = await redoclyBundle(scratch, specRoot, join(scratch, `${api.id}.bundle.json`), existsSync(configFile) ? configFile : undefined);
      }
      bundles.set(api.id, bundle);
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(join(cacheDir, `${api.id}.json`), JSON.stringify(bundle ?? null) + '\n');
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return bundles;
}

/** The bundle of each API's spec as it is in the working tree (bundled afresh: generated/ may be stale). */
export async function bundlesInWorkingTree(root: string, apis: ApiEntry[]): Promise<Map<string, Json>> {
  const scratch = mkdtempSync(join(tmpdir(), 'contract-head-'));
  try {
    const bundles = await pool(apis, 2, (api) => redoclyBundle(root, api.id, join(scratch, `${api.id}.json`)));
    return new Map(apis.map((api, index) => [api.id, bundles[index]!]));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface ApiDiff {
  id: string;
  /** `compared`, or `new` when the API is not in the base. */
  status: 'compared' | 'new';
  changes: Change[];
}

export interface DiffReport {
  base: BaseRef;
  apis: ApiDiff[];
}

export const countLevel = (changes: readonly Change[], level: Level) => changes.filter((change) => change.level === level).length;
export const breakingChanges = (report: DiffReport) => report.apis.flatMap((api) => api.changes.filter((change) => change.level === 'breaking').map((change) => ({ api: api.id, ...change })));

/** Compares each API's spec at the base ref with the working tree. */
export async function contractDiff(options: { root: string; base?: string; ids?: string[] }): Promise<DiffReport> {
  const apis = selectApis(loadApis(options.root), options.ids ?? []);
  const base = resolveBase(options.root, options.base);
  const [before, after] = await Promise.all([bundlesAtCommit(options.root, base.sha, apis), bundlesInWorkingTree(options.root, apis)]);
  return {
    base,
    apis: apis.map((api) => {
      const old = before.get(api.id);
      if (!old) return { id: api.id, status: 'new', changes: [] };
      return { id: api.id, status: 'compared', changes: classifyChanges(old, after.get(api.id)!) };
    }),
  };
}

const clip = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? '' : text.length > 100 ? `${text.slice(0, 97)}...` : text;
};

/** One line per change: level, what, where, before/after. */
export function formatChange(change: Change): string {
  const values = change.before !== undefined || change.after !== undefined ? `  [${clip(change.before) || '-'} -> ${clip(change.after) || '-'}]` : '';
  return `${change.level.toUpperCase().padEnd(12)} ${change.message}\n${' '.repeat(13)}at ${change.location}${values}`;
}

export function formatReport(report: DiffReport, options: { annotations?: boolean } = {}): string {
  const lines = [`contract-diff against ${report.base.ref} (${report.base.reason}, ${report.base.sha.slice(0, 12)})`];
  for (const api of report.apis) {
    if (api.status === 'new') {
      lines.push('', `${api.id}: new API (not in ${report.base.ref})`);
      continue;
    }
    const counts = (['breaking', 'non-breaking', 'annotation'] as const).map((level) => `${countLevel(api.changes, level)} ${level}`).join(', ');
    lines.push('', `${api.id}: ${api.changes.length === 0 ? 'no changes' : counts}`);
    for (const change of api.changes) {
      if (change.level === 'annotation' && !options.annotations) continue;
      lines.push(`  ${formatChange(change).replace(/\n/g, '\n  ')}`);
    }
    const hidden = countLevel(api.changes, 'annotation');
    if (hidden > 0 && !options.annotations) lines.push(`  (${hidden} annotation-only change${hidden === 1 ? '' : 's'}: descriptions, examples; --annotations lists them)`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The release gate

const parseVersion = (version: string) => {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a semantic version: ${version}`);
  return match.slice(1, 4).map(Number) as [number, number, number];
};

/** Whether `current` moved past `released` far enough for a breaking change: the major, or the minor while at 0.x. */
export function allowsBreaking(released: string, current: string): boolean {
  const [rMajor, rMinor] = parseVersion(released);
  const [cMajor, cMinor] = parseVersion(current);
  if (cMajor !== rMajor) return cMajor > rMajor;
  return rMajor === 0 && cMinor > rMinor;
}

/** The smallest version a breaking change needs after `released`. */
export function nextBreakingVersion(released: string): string {
  const [major, minor] = parseVersion(released);
  return major === 0 ? `0.${minor + 1}.0` : `${major + 1}.0.0`;
}

export interface GateResult {
  ok: boolean;
  /** What to print: why it passed, or each breaking change and the fix. */
  message: string;
  tag?: string;
  report?: DiffReport;
}

export async function releaseGate(root: string): Promise<GateResult> {
  const tag = latestReleaseTag(root);
  if (!tag) {
    return {
      ok: true,
      message: 'breaking-change gate: no v* tag in this clone (a release is tagged vX.Y.Z; CI may clone without tags), so there is no release to compare with; passing',
    };
  }
  const released = tryGit(root, ['show', `${tag}:package.json`]);
  const releasedVersion = released ? String((JSON.parse(released) as { version?: string }).version ?? tag) : tag;
  const current = String((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  const report = await contractDiff({ root, base: tag });
  const breaking = breakingChanges(report);
  if (breaking.length === 0) return { ok: true, tag, report, message: `breaking-change gate: no breaking change since ${tag}` };
  if (allowsBreaking(releasedVersion, current)) {
    return { ok: true, tag, report, message: `breaking-change gate: ${breaking.length} breaking change(s) since ${tag}, released as ${releasedVersion}; package.json is at ${current}, a new major (minor while 0.x): allowed` };
  }
  const list = breaking.map((change) => `  ${change.api}: ${change.message}\n      at ${change.location}`).join('\n');
  return {
    ok: false,
    tag,
    report,
    message:
      `breaking-change gate: ${breaking.length} breaking change(s) since ${tag} (version ${releasedVersion}), but package.json is still at ${current}:\n${list}\n` +
      `Fix: either undo the change in specs/ (if the vendor did not really make it), or release it as a breaking version: ` +
      `set "version" in package.json to ${nextBreakingVersion(releasedVersion)} (a new major; the minor while at 0.x) and run \`npm run changelog\`. ` +
      '`npm run contract-diff` lists every change.',
  };
}
