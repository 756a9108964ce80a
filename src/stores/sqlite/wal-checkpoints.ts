import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** How a store's checkpoints run; tests shorten both. */
export interface WalCheckpointTuning {
  /** How often the file is checkpointed. Default 200 ms. */
  intervalMs?: number;
  /**
   * The most the WAL may hold before the store's writes are held off for a moment (a RESTART
   * checkpoint) so that it starts over at the beginning of its file; the file so stays near this
   * size under any load. Default 64 MiB.
   */
  walLimitBytes?: number;
}

const DEFAULTS = { intervalMs: 200, walLimitBytes: 64 * 1024 * 1024 } as const;
/** SQLite's own default, given back to a store whose checkpoints stopped. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** What the thread (wal-checkpoint-worker.mjs) answers: a file closed, or its checkpoints failed. */
interface ThreadMessage {
  op: 'closed' | 'failed';
  id: number;
}

interface CheckpointedFile {
  database: BetterSqlite3.Database;
  /** Set by the first stop. */
  closing?: Promise<void>;
  closed?: () => void;
}

interface CheckpointThread {
  worker: Worker;
  files: Map<number, CheckpointedFile>;
}

let thread: CheckpointThread | undefined;
let nextId = 1;

/**
 * Moves a SQLite store's WAL checkpoints off the event loop. By default SQLite checkpoints on the
 * connection whose commit takes the WAL past 1000 pages, inside that commit: with
 * `synchronous = NORMAL` a checkpoint's fsyncs are the only ones, and they stalled the event loop
 * (131 ms for one insert, measured). Here the store's connection never checkpoints
 * (`wal_autocheckpoint = 0`); a worker thread, on a connection of its own to the same file, runs
 * PASSIVE checkpoints every `intervalMs`, which never block the store. Whenever one catches up
 * (the store paused writing for as long as the checkpoint's fsyncs took), the store's next write
 * starts the WAL over. A store that never pauses has its writes held off once per `walLimitBytes`
 * of WAL, for a RESTART checkpoint of what was written since the last PASSIVE one (milliseconds;
 * the file is not shrunk inside that pause); after a burst, an idle store's WAL file is emptied.
 * Durability is as documented: under WAL with `synchronous = NORMAL` a commit survives a crash of
 * the process at once, and a power loss once a checkpoint has synced the WAL: now within about
 * `intervalMs` of the commit, where SQLite's own checkpoint waited for 1000 pages.
 *
 * One thread serves every store of the process (starting a thread costs tens of milliseconds of
 * CPU); it is unref'd, so it never keeps the process alive, and idles when no store is open.
 * Should it fail, or fail on one file, the store's connection goes back to SQLite's own
 * checkpoints.
 *
 * @returns stops this file's checkpoints; call it once the store's connection is closed, so that
 *   the thread's connection is the last and its close does the final checkpoint (and removes the
 *   WAL file) off the event loop.
 */
export function startWalCheckpoints(database: BetterSqlite3.Database, filename: string, tuning: WalCheckpointTuning = {}): () => Promise<void> {
  const current = (thread ??= startThread());
  const id = nextId++;
  const file: CheckpointedFile = { database };
  current.files.set(id, file);
  database.pragma('wal_autocheckpoint = 0');
  current.worker.postMessage({ op: 'open', id, filename: resolve(filename), ...DEFAULTS, ...tuning });
  return () => {
    file.closing ??= current.files.has(id)
      ? new Promise<void>((closed) => {
          file.closed = closed;
          // Keeps the process alive until the thread has closed its connection.
          current.worker.ref();
          current.worker.postMessage({ op: 'close', id });
        })
      : Promise.resolve();
    return file.closing;
  };
}

function startThread(): CheckpointThread {
  const worker = new Worker(new URL('./wal-checkpoint-worker.mjs', import.meta.url));
  const current: CheckpointThread = { worker, files: new Map() };
  worker.on('message', ({ op, id }: ThreadMessage) => {
    const file = current.files.get(id);
    if (file === undefined) return;
    if (op === 'failed') {
      handBack(file);
      return;
    }
    current.files.delete(id);
    file.closed?.();
    if (![...current.files.values()].some((other) => other.closed !== undefined)) worker.unref();
  });
  // An error ends the thread; the 'exit' that follows deals with it.
  worker.on('error', () => undefined);
  worker.once('exit', () => {
    if (thread === current) thread = undefined;
    for (const file of current.files.values()) {
      handBack(file);
      file.closed?.();
    }
    current.files.clear();
  });
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
  return current;
}

/** The store's connection checkpoints by itself again, as SQLite does by default. */
function handBack(file: CheckpointedFile): void {
  if (file.database.open) file.database.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
}
