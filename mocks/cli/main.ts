#!/usr/bin/env node
// The bin of the package: `npx partner-api-sandbox <command>`.
import { exitWhenFlushed } from './args.ts';
import { runCli } from './run.ts';

exitWhenFlushed(await runCli(process.argv.slice(2)));
