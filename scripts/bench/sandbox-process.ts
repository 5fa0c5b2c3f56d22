// The five mocks in one process, nothing else (no build, no reference site), for the memory benchmark:
//   node --import tsx scripts/bench/sandbox-process.ts <port-base>
// Prints `ready` once every mock listens.
import { startSandbox } from '../../mocks/start-sandbox.ts';
import { repositoryCatalogue } from '../lib/sandbox-catalogue.ts';

await startSandbox({ portBase: Number(process.argv[2]), catalogue: repositoryCatalogue() });
console.log('ready');
process.on('SIGTERM', () => process.exit(0));
