// The shared front of every subcommand: options parsed by node:util, and every usage problem thrown as a
// UsageError, which the CLI prints with the subcommand's usage and exits 2 on.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { selectApis, UsageError, type SandboxApiFiles } from '../catalogue.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliContext {
  /** The APIs' files: the package's own, or the repository's working tree. */
  catalogue: SandboxApiFiles[];
  /** How the user runs a command, for usage lines: `partner-api-sandbox emit`, or `npm run emit --` in the repository. */
  command: (name: string) => string;
  /** Lines for stdout and stderr (tests capture them). */
  out: (line: string) => void;
  err: (line: string) => void;
}

export function parse<const O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function apiOf(context: CliContext, id: string | undefined): SandboxApiFiles {
  if (!id) throw new UsageError(`give an API id: ${context.catalogue.map((api) => api.id).join(', ')}`);
  return selectApis(context.catalogue, [id])[0]!;
}

export function seconds(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!(parsed > 0)) throw new UsageError(`--${name} ${value} is not a positive number of seconds`);
  return parsed;
}

export function port(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new UsageError(`--${name} ${value} is not a port number (0 to 65535)`);
  return parsed;
}

/**
 * Resolves when the process is asked to stop: Ctrl-C, SIGTERM, or the parent going away (a script runner that was
 * killed cannot pass the signal on; we notice within 250 ms and stop rather than linger holding the ports).
 */
export function stopRequested(): Promise<string> {
  return new Promise((resolveStop) => {
    const parent = process.ppid;
    const watch = setInterval(() => process.ppid !== parent && done('parent process exited'), 250);
    watch.unref();
    const done = (why: string) => {
      clearInterval(watch);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveStop(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/**
 * Ends the process with `code` once stdout and stderr are written out. A command that is done must not linger
 * because a library left a handle open (a test that starts it, or a script that kills it, would be left waiting).
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}
