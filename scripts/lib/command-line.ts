// The shared front of the conformance tools: parse the arguments, and on any usage problem print
// `<tool>: <reason>` and the usage line and exit 2, so every tool reports bad input the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadApis, selectApis, type ApiEntry } from './apis.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export function commandLine<const O extends Options>(tool: string, usage: string, options: O) {
  const fail = (message: string): never => {
    console.error(`${tool}: ${message}\n${usage}`);
    process.exit(2);
  };
  let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: O }>> | undefined;
  try {
    parsed = parseArgs({ allowPositionals: true, options });
  } catch (error) {
    fail((error as Error).message);
  }
  /** The API of an id from redocly.yaml; an unknown id is a usage problem. */
  const api = (id: string): ApiEntry => {
    try {
      return selectApis(loadApis(), [id])[0]!;
    } catch (error) {
      return fail((error as Error).message);
    }
  };
  /** A number of seconds above 0 for the option `name`. */
  const seconds = (name: string, value: string | undefined): number => {
    const parsedSeconds = Number(value);
    return parsedSeconds > 0 ? parsedSeconds : fail(`--${name} ${value} is not a positive number of seconds`);
  };
  return { values: parsed!.values, positionals: parsed!.positionals, fail, api, seconds };
}
