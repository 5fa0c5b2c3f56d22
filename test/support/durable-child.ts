// A child process for the kill -9 tests: one API's real mock with the durable store (the entry function the
// start code uses) on a free loopback port. Prints {"origin": "..."} once it listens; the test kills it with
// SIGKILL. Usage: durable-child.ts <api-id> <state-file> [retry delays in ms, comma-separated]
// DURABLE_COMPACT_BYTES makes compactions frequent, so a kill can land during one.
import { openDurableStore } from '../../mocks/sandbox/durable-store.ts';
import { startMock } from './mock.ts';

const [api, stateFile, delays] = process.argv.slice(2);
if (!api || !stateFile) throw new Error('usage: durable-child.ts <api-id> <state-file> [retry delays ms]');
const durable = openDurableStore(stateFile, {
  compactBytes: process.env.DURABLE_COMPACT_BYTES ? Number(process.env.DURABLE_COMPACT_BYTES) : undefined,
  onError: (error) => console.error(error.message),
});
const mock = await startMock(api, { retryDelaysMs: delays ? delays.split(',').map(Number) : undefined, attemptTimeoutMs: 2000 });
durable.attach([[api, mock.server]]);
console.log(JSON.stringify({ origin: mock.origin }));
