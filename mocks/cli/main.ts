#!/usr/bin/env node
// The bin of the package: `npx partner-api-sandbox <command>`.
import { runCli } from './run.ts';

process.exitCode = await runCli(process.argv.slice(2));
