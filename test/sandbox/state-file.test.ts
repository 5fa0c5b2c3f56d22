// `npm start -- --state-file <path>` as a user runs it: what partners create is written to the file (after the
// change and at exit), read back by the next start; a corrupt file stops the start naming the file and why.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { startServing, type Serving } from '../../scripts/lib/npm-start.ts';

const directory = mkdtempSync(join(tmpdir(), 'sandbox-state-file-'));
const started: ChildProcess[] = [];

afterAll(() => {
  // Only the processes this file started, by their own handle.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});

function start(stateFile: string): ChildProcess {
  const child = spawn('npm', ['start', '--', '--no-build', '--quiet', '--port-base', '0', '--docs-port', '0', '--state-file', stateFile], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return child;
}

/** Starts the mocks on free ports with the state file; only this file's processes are tracked. */
async function startWithState(stateFile: string): Promise<Serving> {
  const serving = await startServing(['--no-build', '--quiet', '--port-base', '0', '--docs-port', '0', '--state-file', stateFile], { timeoutMs: 60_000 });
  started.push(serving.child);
  return serving;
}

/** Runs a start that must fail: its exit code and stderr. */
function startFailing(stateFile: string): Promise<{ code: number | null; stderr: string }> {
  const child = start(stateFile);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolveExit, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not exit within 60 s:\n${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveExit({ code, stderr });
    });
  });
}

function stop({ child }: Serving): Promise<number | null> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop(child.exitCode);
    child.once('exit', (code) => resolveStop(code));
    child.kill('SIGTERM');
  });
}

const VTN_TOKEN = 'state-file-team';
const BAJIE_AUTH = `Basic ${Buffer.from('state-file-agent:secret').toString('base64')}`;
const REDEX_APP = '347847fa-68c0-4418-9119-08dc3993455a';

// The two tests run at once: each npm start is a few seconds of Node start-up on a busy machine.
describe.concurrent('npm start --state-file', () => {
  it('writes what partners create to the file, and the next start serves it back', async () => {
    const stateFile = join(directory, 'round-trip.json');
    const first = await startWithState(stateFile);
    expect(first.output()).toContain(`State file: ${stateFile} (0 tenant(s) loaded)`);
    const vtn = first.origins.get('openadr3-vtn')!;
    const bajie = first.origins.get('bajie-charging')!;
    const redex = first.origins.get('redex')!;

    const created = await fetch(`${vtn}/api/openadr/v1/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${VTN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientName: 'KEPT', programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }] }),
    });
    expect(created.status).toBe(201);
    const subscription = await created.json();
    expect((await fetch(`${vtn}/api/openadr/v1/subscriptions/object-999`, { method: 'DELETE', headers: { Authorization: `Bearer ${VTN_TOKEN}` } })).status).toBe(200);
    const config = { pushUrl: 'https://receiving.push.com/kept', eventSubscriptions: [{ event: 'CABINET_ONLINE', pushUrl: '', enable: false }] };
    const set = await fetch(`${bajie}/cdb-open-api/v1/cabinet/eventPush/config`, {
      method: 'POST',
      headers: { Authorization: BAJIE_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(config),
    });
    expect(set.status).toBe(200);
    const { devices: seeded } = await (await fetch(`${redex}/_sandbox/state`, { headers: { Authorization: 'Bearer redex-team' } })).json();
    const devices = { [REDEX_APP]: Array.from({ length: 11 }, (_, index) => ({ ...seeded[REDEX_APP][0], InstallationName: `Kept ${index}` })) };
    const put = await fetch(`${redex}/_sandbox/state`, { method: 'PUT', headers: { Authorization: 'Bearer redex-team', 'content-type': 'application/json' }, body: JSON.stringify({ devices }) });
    expect(put.status).toBe(200);

    // In the journal beside the file before each change was answered: no waiting.
    const journal = readFileSync(`${stateFile}.journal`, 'utf8');
    for (const written of ['"KEPT"', 'Kept 10', 'receiving.push.com/kept']) expect(journal).toContain(written);
    expect(journal.trim().split('\n').every((line) => JSON.parse(line).c.op)).toBe(true);

    expect(await stop(first)).toBe(0);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.format).toBe('partner-api-contracts/sandbox-state@1');
    expect(saved.apis['openadr3-vtn'][`bearer:${VTN_TOKEN}`].subscriptions).toEqual([{ item: subscription }]);
    expect(saved.apis['bajie-charging']['basic:state-file-agent'].pushConfig).toEqual([{ item: config }]);
    expect(saved.apis.redex['bearer:redex-team'].devices).toHaveLength(11);
    expect(readFileSync(stateFile, 'utf8').endsWith('\n')).toBe(true);
    // At exit the journal is compacted into the file.
    expect(readFileSync(`${stateFile}.journal`, 'utf8')).toBe('');

    const second = await startWithState(stateFile);
    try {
      expect(second.output()).toMatch(new RegExp(`State file: .*round-trip\\.json \\([1-9]\\d* tenant\\(s\\) loaded\\)`));
      const list = await fetch(`${second.origins.get('openadr3-vtn')}/api/openadr/v1/subscriptions`, { headers: { Authorization: `Bearer ${VTN_TOKEN}` } });
      expect(await list.json()).toEqual([subscription]);
      const read = await fetch(`${second.origins.get('openadr3-vtn')}/api/openadr/v1/subscriptions/${subscription.id}`, { headers: { Authorization: `Bearer ${VTN_TOKEN}` } });
      expect(await read.json()).toEqual(subscription);
      const got = await fetch(`${second.origins.get('bajie-charging')}/cdb-open-api/v1/cabinet/eventPush/config/get`, { headers: { Authorization: BAJIE_AUTH } });
      expect((await got.json()).data).toEqual(config);
      const page = await fetch(`${second.origins.get('redex')}/public/v2/device-applications/${REDEX_APP}/devices?CurrentPage=2&ItemsPerPage=10`, {
        headers: { Authorization: 'Bearer redex-team' },
      });
      const body = await page.json();
      expect(body.Data.map((device: { InstallationName: string }) => device.InstallationName)).toEqual(['Kept 10']);
      expect(body.Meta).toEqual({ CurrentPage: 2, ItemsPerPage: 10, TotalItems: 11, TotalPage: 2 });
      // Another tenant still starts from the seed.
      const other = await fetch(`${second.origins.get('openadr3-vtn')}/api/openadr/v1/subscriptions`, { headers: { Authorization: 'Bearer someone-else' } });
      expect((await other.json()).map((item: { id: string }) => item.id)).toEqual(['object-999']);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });

  const corrupt: [string, string, RegExp][] = [
    ['invalid JSON', '{"format": "partner-api-contracts/sandbox-state@1", "apis": {', /the state file is not valid JSON/],
    ['another format', JSON.stringify({ format: 'something-else@2', apis: {} }), /format must be "partner-api-contracts\/sandbox-state@1" \(found "something-else@2"\)/],
    ['a collection that is not a list', JSON.stringify({ format: 'partner-api-contracts/sandbox-state@1', apis: { redex: { 'bearer:t': { devices: {} } } } }), /apis\.redex\.bearer:t\.devices must be a list/],
  ];

  it('a corrupt file (invalid JSON, another format, a collection that is not a list) stops the start with exit 1, naming the file and the reason', async () => {
    const results = await Promise.all(
      corrupt.map(async ([name, contents, reason]) => {
        const stateFile = join(directory, `${name.replace(/\W+/g, '-')}.json`);
        writeFileSync(stateFile, contents);
        return { name, stateFile, contents, reason, ...(await startFailing(stateFile)) };
      }),
    );
    for (const { name, stateFile, contents, reason, code, stderr } of results) {
      expect({ name, code }).toEqual({ name, code: 1 });
      expect(stderr, name).toContain(stateFile);
      expect(stderr, name).toMatch(reason);
      // The file is left as it was: never overwritten, never dropped.
      expect(readFileSync(stateFile, 'utf8'), name).toBe(contents);
    }
  });
});
