// Runs pipeline steps with one progress line each, and skips a step whose inputs and outputs are unchanged
// since its last success (content hashes kept in .cache/pipeline-state.json).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface Step {
  /** Shown in the progress line, e.g. "bundle hanchuess". */
  name: string;
  /** Files and folders whose content decides whether the step must run again. */
  inputs: string[];
  /** Files the step writes; a missing or edited output makes the step run again. */
  outputs: string[];
  run: () => Promise<void>;
}

export class StepError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}

export function hashFiles(paths: string[], base: string): string {
  const hash = createHash('sha256');
  for (const file of paths.flatMap(listFiles)) {
    hash.update(relative(base, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

interface StepState {
  inputs: string;
  outputs: string;
}

export class StepRunner {
  private state: Record<string, StepState>;
  private readonly statePath: string;
  readonly results: { name: string; outcome: 'ran' | 'skipped'; ms: number }[] = [];

  constructor(private readonly base: string, private readonly useCache: boolean, private readonly log = console.log) {
    this.statePath = join(base, '.cache', 'pipeline-state.json');
    this.state = useCache && existsSync(this.statePath) ? JSON.parse(readFileSync(this.statePath, 'utf8')) : {};
  }

  async run(step: Step): Promise<void> {
    const started = performance.now();
    const inputHash = hashFiles(step.inputs, this.base);
    const previous = this.state[step.name];
    const outputsPresent = step.outputs.every((file) => existsSync(file));
    if (this.useCache && previous?.inputs === inputHash && outputsPresent && previous.outputs === hashFiles(step.outputs, this.base)) {
      this.report(step.name, 'skipped', started, 'unchanged');
      return;
    }
    try {
      await step.run();
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      const reason = error instanceof Error ? error.message : String(error);
      this.log(`✖ ${step.name.padEnd(32)} ${String(ms).padStart(6)} ms  ${reason}`);
      throw error;
    }
    this.state[step.name] = { inputs: inputHash, outputs: hashFiles(step.outputs, this.base) };
    this.report(step.name, 'ran', started, 'ok');
  }

  private report(name: string, outcome: 'ran' | 'skipped', started: number, note: string) {
    const ms = Math.round(performance.now() - started);
    this.results.push({ name, outcome, ms });
    this.log(`${outcome === 'ran' ? '✔' : '↷'} ${name.padEnd(32)} ${String(ms).padStart(6)} ms  ${note}`);
  }

  save() {
    if (!this.useCache) return;
    mkdirSync(dirname(this.statePath), { recursive: true });
    writeFileSync(this.statePath, JSON.stringify(this.state, null, 2) + '\n');
  }
}
