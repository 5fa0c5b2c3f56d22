// The five mocks in one process, nothing else (no build, no reference site), for the memory benchmark:
//   node --import tsx scripts/bench/sandbox-process.ts <port-base>
// Prints `ready` once every mock listens.
import { join } from 'node:path';
import { loadApis, projectRoot } from '../lib/apis.ts';
import { createPrismMock } from '../../mocks/prism-server.ts';

const portBase = Number(process.argv[2]);
await Promise.all(
  loadApis().map(async (api, index) => {
    const server = await createPrismMock({
      specPath: join(projectRoot, 'generated', api.id, 'openapi.json'),
      declarationPath: join(projectRoot, api.specDir, 'sandbox.yaml'),
    });
    await new Promise<void>((listening) => server.listen(portBase + index, '127.0.0.1', listening));
  }),
);
console.log('ready');
process.on('SIGTERM', () => process.exit(0));
