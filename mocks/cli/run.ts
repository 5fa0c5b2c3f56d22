// The `partner-api-sandbox` command: one subcommand per tool. A usage problem prints the reason and the usage and
// exits 2; any other failure prints the reason (naming the file or port) and exits 1.
import { readFileSync } from 'node:fs';
import { shippedCatalogue, UsageError } from '../catalogue.ts';
import type { CliContext } from './args.ts';
import { CHECK_RECEIVER_USAGE, runCheckReceiver } from './check-receiver.ts';
import { EMIT_USAGE, runEmit } from './emit.ts';
import { PROXY_USAGE, runProxy } from './proxy.ts';
import { runStart, START_USAGE, type StartHooks } from './start.ts';

// The repository's scripts end the same way the package's bin does.
export { exitWhenFlushed } from './args.ts';

const COMMANDS = {
  start: { usage: START_USAGE, run: runStart, summary: 'serve the mocks (ports 4010-4014) until Ctrl-C' },
  emit: { usage: EMIT_USAGE, run: runEmit, summary: 'make a running mock push a webhook, or redeliver one' },
  proxy: { usage: PROXY_USAGE, run: runProxy, summary: 'a validating proxy to the real vendor' },
  'check-receiver': { usage: CHECK_RECEIVER_USAGE, run: runCheckReceiver, summary: "check your webhook receiver against the vendor's deliveries" },
} as const;

type Command = keyof typeof COMMANDS;

export function version(): string {
  // dist/cli.js and cli/run.ts both sit one level below the package's package.json.
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function overview(invocation: string): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    `usage: ${invocation} <command> [options]`,
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    `${invocation} <command> --help shows a command's options; --version prints the version.`,
  ].join('\n');
}

export interface RunOptions extends Partial<CliContext> {
  /** The repository adds its reference site to `start`. */
  startHooks?: StartHooks;
}

/** Runs one command line; resolves to the exit code. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const invocation = 'partner-api-sandbox';
  const commandOf = options.command ?? ((command: string) => `${invocation} ${command}`);
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') return out(version()), 0;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out)(overview(invocation));
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name as Command];
  if (!command) {
    err(`${invocation}: unknown command "${name}"\n${overview(invocation)}`);
    return 2;
  }
  try {
    let catalogue = options.catalogue;
    const context: CliContext = {
      // Read when a command needs it, so --help and usage errors work whatever state the files are in.
      get catalogue() {
        return (catalogue ??= shippedCatalogue());
      },
      command: commandOf,
      out,
      err,
    };
    return await (name === 'start' ? runStart(rest, context, options.startHooks) : command.run(rest, context));
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${commandOf(name)}: ${error.message}\nusage: ${commandOf(name)} ${command.usage}`);
      return 2;
    }
    err(`${commandOf(name)}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
