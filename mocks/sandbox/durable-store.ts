// `--state-file <path>`: the sandbox's durable, embedded store. Two files:
//   <path>          a snapshot, today's state file format (older files load as they are), plus the delivery logs
//                   and `journalSeq`, the last journal entry it holds;
//   <path>.journal  an append-only journal, one JSON line per change (`{"s":seq,"a":api,"c":change}`).
// A change is appended and fsynced before the mock answers 2xx (writes that arrive together share one fsync), so
// a write costs the change, not the whole state. When the journal outgrows the snapshot it is compacted: a new
// snapshot (temporary file, fsync, rename), then the journal emptied; entries up to `journalSeq` are skipped on
// load, so a crash between the two loses and repeats nothing. A torn last line (a kill during the append) was
// never acknowledged and is cut off.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DELIVERY_LOG_LIMIT, type DeliveryRecord } from './deliveries.ts';
import { loadStateSnapshot, STATE_FILE_FORMAT, type StateSnapshot } from './state-file.ts';
import type { ChangeSink, SandboxStore, StoreChange, StoreHealth, TenantState } from './store.ts';

/** What the durable store needs of a running mock: its store and its deliveries. */
export interface DurableSandbox {
  state: { store: SandboxStore };
  deliveries: { restore(saved: Record<string, DeliveryRecord[]>): void; snapshot(): Record<string, DeliveryRecord[]> };
}

export interface DurableStoreOptions {
  /** Compact once the journal is larger than this and than the last snapshot (default 1 MiB). */
  compactBytes?: number;
  onError?: (error: Error) => void;
}

interface JournalEntry {
  s: number;
  a: string;
  c: StoreChange;
}

function apply(snapshot: StateSnapshot, api: string, change: StoreChange) {
  const tenants = (snapshot.apis[api] ??= {});
  const logs = (snapshot.deliveries[api] ??= {});
  const tenant = (): TenantState => (tenants[change.tenant] ??= {});
  switch (change.op) {
    case 'tenant':
      tenants[change.tenant] = change.state;
      break;
    case 'add':
      (tenant()[change.collection] ??= []).push(change.stored);
      break;
    case 'set':
      (tenant()[change.collection] ??= [])[change.index] = change.stored;
      break;
    case 'remove':
      tenant()[change.collection]?.splice(change.index, 1);
      break;
    case 'drop':
      delete tenants[change.tenant];
      delete logs[change.tenant];
      break;
    case 'delivery': {
      const log = (logs[change.tenant] ??= []);
      log.unshift(change.record);
      if (log.length > DELIVERY_LOG_LIMIT) log.length = DELIVERY_LOG_LIMIT;
      break;
    }
    case 'attempt': {
      const record = logs[change.tenant]?.find((candidate) => candidate.id === change.id);
      if (!record) break;
      record.attempts.push(change.attempt);
      record.state = change.state;
      if (change.nextAttemptAt) record.nextAttemptAt = change.nextAttemptAt;
      else delete record.nextAttemptAt;
      break;
    }
    case 'deliveries-cleared':
      delete logs[change.tenant];
      break;
  }
}

/** The snapshot with every journal entry after it applied; cuts a torn last line off the journal. */
function load(path: string): { snapshot: StateSnapshot; seq: number; journalBytes: number; snapshotBytes: number } {
  const snapshot = loadStateSnapshot(path);
  const journalPath = `${path}.journal`;
  let seq = snapshot.journalSeq;
  let journalBytes = 0;
  if (existsSync(journalPath)) {
    const text = readFileSync(journalPath, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) truncateSync(journalPath, Buffer.byteLength(text.slice(0, complete)));
    journalBytes = Buffer.byteLength(text.slice(0, complete));
    text
      .slice(0, complete)
      .split('\n')
      .forEach((line, index) => {
        if (line === '') return;
        let entry: JournalEntry;
        try {
          entry = JSON.parse(line);
        } catch (error) {
          throw new Error(`${journalPath}: line ${index + 1} is not valid JSON (${(error as Error).message})`);
        }
        if (!Number.isSafeInteger(entry?.s) || typeof entry.a !== 'string' || !entry.c || typeof entry.c.op !== 'string') {
          throw new Error(`${journalPath}: line ${index + 1} is not a journal entry ({"s":seq,"a":api,"c":change})`);
        }
        if (entry.s <= snapshot.journalSeq) return;
        apply(snapshot, entry.a, entry.c);
        seq = Math.max(seq, entry.s);
      });
  }
  const snapshotBytes = existsSync(path) ? readFileSync(path).length : 0;
  return { snapshot, seq, journalBytes, snapshotBytes };
}

function fsyncDirectory(path: string) {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

/** Writes the snapshot atomically and durably: temporary file, fsync, rename, fsync of the directory. */
function writeSnapshot(path: string, snapshot: StateSnapshot): number {
  const text = JSON.stringify({ format: STATE_FILE_FORMAT, journalSeq: snapshot.journalSeq, apis: snapshot.apis, deliveries: snapshot.deliveries }, null, 2) + '\n';
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  fsyncDirectory(path);
  return Buffer.byteLength(text);
}

/**
 * Opens the state file (snapshot and journal) and reads it at once, so a corrupt file stops the start before
 * anything listens, naming the file and the reason. `attach` then restores every mock's state and delivery log
 * (pending retries resume) and routes their changes to the journal; `close` compacts and closes.
 */
export function openDurableStore(path: string, options: DurableStoreOptions = {}) {
  const journalPath = `${path}.journal`;
  const loaded = load(path);
  const saved = loaded.snapshot;
  const minimumCompactBytes = options.compactBytes ?? 1024 * 1024;
  let seq = loaded.seq;
  let journalBytes = loaded.journalBytes;
  let snapshotBytes = loaded.snapshotBytes;
  const sandboxes = new Map<string, DurableSandbox>();
  let handle: FileHandle | undefined;
  let pending: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  let failure: Error | undefined;
  let closed = false;

  function currentSnapshot(): StateSnapshot {
    const apis = { ...saved.apis };
    const deliveries = { ...saved.deliveries };
    for (const [id, sandbox] of sandboxes) {
      apis[id] = sandbox.state.store.snapshot();
      deliveries[id] = sandbox.deliveries.snapshot();
    }
    return { apis, deliveries, journalSeq: seq };
  }

  function compact() {
    snapshotBytes = writeSnapshot(path, currentSnapshot());
    truncateSync(journalPath, 0);
    journalBytes = 0;
  }

  async function writePending() {
    if (pending.length === 0) return;
    const batch = pending.join('');
    pending = [];
    try {
      if (!handle) {
        handle = await open(journalPath, 'a');
        // A journal created now must itself survive a crash: its directory entry too.
        fsyncDirectory(journalPath);
      }
      await handle.write(batch);
      await handle.datasync();
      journalBytes += Buffer.byteLength(batch);
      if (journalBytes > Math.max(minimumCompactBytes, snapshotBytes)) compact();
    } catch (error) {
      failure = new Error(`${path}: cannot write the state file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      options.onError?.(failure);
      throw failure;
    }
  }

  /** A promise for everything written so far: the write under way, or the next one, which takes all pending lines. */
  function flushed(): Promise<void> {
    if (failure) return Promise.reject(failure);
    if (pending.length === 0) return inFlight;
    if (!queued) {
      const next = inFlight.catch(() => undefined).then(() => ((queued = undefined), writePending()));
      next.catch(() => undefined);
      queued = inFlight = next;
    }
    return queued;
  }

  const health = (): StoreHealth => (failure ? { ok: false, reason: failure.message } : closed ? { ok: false, reason: `${path}: the state file is closed` } : { ok: true });

  function sinkFor(api: string): ChangeSink {
    return {
      write(change) {
        if (closed) return;
        pending.push(JSON.stringify({ s: ++seq, a: api, c: change } satisfies JournalEntry) + '\n');
        void flushed().catch(() => undefined);
      },
      flushed,
      health,
    };
  }

  return {
    path,
    /** Tenants found in the file, across APIs. */
    tenantCount: Object.values(saved.apis).reduce((count, tenants) => count + Object.keys(tenants).length, 0),

    /** Restores each mock (API id -> its sandbox) and keeps its changes from now on. */
    attach(mocks: Iterable<[string, { sandbox: DurableSandbox }]>) {
      for (const [id, { sandbox }] of mocks) {
        sandboxes.set(id, sandbox);
        if (saved.apis[id]) sandbox.state.store.restore(saved.apis[id]);
        sandbox.state.store.persistTo(sinkFor(id));
        if (saved.deliveries[id]) sandbox.deliveries.restore(saved.deliveries[id]);
      }
    },

    health,

    /** Writes what is pending, compacts into the snapshot and closes the journal; synchronous, for exit paths. */
    closeSync() {
      if (closed) return;
      closed = true;
      try {
        compact();
      } catch (error) {
        options.onError?.(new Error(`${path}: cannot write the state file (${(error as Error).message})`));
      }
      pending = [];
      const journal = handle;
      handle = undefined;
      void journal?.close().catch(() => undefined);
    },
  };
}

export type DurableStore = ReturnType<typeof openDurableStore>;
