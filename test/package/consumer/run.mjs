// Runs the compiled consumer with the config given as JSON in argv[2] and prints its report.
import { run } from './build/smoke.js';

console.log(JSON.stringify(await run(JSON.parse(process.argv[2]))));
