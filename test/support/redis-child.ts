// A replica for the Redis tests: the sandbox's own start function (what `partner-api-sandbox start --store` runs)
// serving APIs of this working tree on a free loopback port, its tenants in the given Redis. Prints
// {"urls": {...}} once it listens; the test stops it, or kills it with SIGKILL.
// Usage: redis-child.ts <api-id,...> <redis-url> [startSandbox options as JSON: retryDelaysMs, tenantIdleMs, deliveryLeaseMs]
import { startSandbox, type SandboxOptions } from '../../mocks/start-sandbox.ts';
import type { ApiId } from '../../mocks/connect.ts';
import { repositoryCatalogue } from '../../scripts/lib/sandbox-catalogue.ts';

const [apis, store, extra] = process.argv.slice(2);
if (!apis || !store) throw new Error('usage: redis-child.ts <api-id,...> <redis-url> [options JSON]');
const options = (extra ? JSON.parse(extra) : {}) as Pick<SandboxOptions, 'retryDelaysMs' | 'tenantIdleMs' | 'deliveryLeaseMs'>;
const sandbox = await startSandbox({ ...options, apis: apis.split(',') as ApiId[], store, catalogue: repositoryCatalogue(), log: (line) => console.error(line) });
console.log(JSON.stringify({ urls: sandbox.urls }));
process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
