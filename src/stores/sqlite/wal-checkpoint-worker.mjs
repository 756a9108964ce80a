// The WAL checkpoints of the process's SQLite stores, each on a connection of its own, in this one
// thread, so that their fsyncs never run on the event loop. Driven by wal-checkpoints.ts (plain
// JavaScript: a worker thread is loaded by Node itself, under tests too).
//
// Messages in:  { op: 'open', id, filename, intervalMs, walLimitBytes }, { op: 'close', id }
// Messages out: { op: 'closed', id }, { op: 'failed', id } (that file's checkpoints stopped)
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/** How many PASSIVE passes a tick makes at most while the store keeps writing. */
const MAX_PASSES = 3;
/** Each WAL frame is a page and this header. */
const FRAME_HEADER_BYTES = 24;
/** A WAL file left larger than this by a burst is emptied once the store is idle. */
const IDLE_TRUNCATE_ABOVE_BYTES = 4 * 1024 * 1024;

/**
 * @typedef {{ db: BetterSqlite3.Database, filename: string, frameBytes: number, walLimitBytes: number, timer?: NodeJS.Timeout, lastLog: number }} File
 * @type {Map<number, File>}
 */
const files = new Map();

/** @param {File} file */
function checkpoint(file) {
  const { db } = file;
  // PASSIVE neither waits for nor blocks the store's connection. Once every frame is copied, the
  // store's next write starts the WAL over from its beginning, so the file stops growing; frames
  // written during a pass (its fsyncs take a while) are copied by another, shorter, pass.
  let result;
  for (let pass = 1; pass <= MAX_PASSES; pass += 1) {
    [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result.busy !== 0 || result.checkpointed >= result.log) break;
  }
  const { log, checkpointed } = result;
  if (log * file.frameBytes > file.walLimitBytes) {
    // A store that never pauses writing never lets PASSIVE catch up. Past the bound, RESTART holds
    // its writes off while it copies the last frames (PASSIVE has just copied nearly all of them:
    // a few milliseconds), and the next write starts at the beginning of the file again, which so
    // stays near the bound. (TRUNCATE would also shrink the file, inside that pause: ten times as long.)
    db.pragma('wal_checkpoint(RESTART)');
  } else if (
    log === file.lastLog &&
    checkpointed >= log &&
    (statSync(`${file.filename}-wal`, { throwIfNoEntry: false })?.size ?? 0) > IDLE_TRUNCATE_ABOVE_BYTES
  ) {
    // Nothing written since the last tick and nothing left to copy: give back the space a burst took.
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  file.lastLog = log;
}

function close(id) {
  const file = files.get(id);
  if (file === undefined) return;
  files.delete(id);
  clearInterval(file.timer);
  // Usually the last connection to the file (the store's is closed first): closing it checkpoints
  // everything and removes the WAL, here rather than on the event loop.
  file.db.close();
}

function fail(id) {
  try {
    close(id);
  } catch {
    // Already failing; the store takes its checkpoints back either way.
  }
  parentPort.postMessage({ op: 'failed', id });
}

function open({ id, filename, intervalMs, walLimitBytes }) {
  let db;
  try {
    db = new BetterSqlite3(filename, { fileMustExist: true });
    // RESTART and TRUNCATE wait for the store's write in progress (microseconds) rather than give up.
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    const file = { db, filename, frameBytes: db.pragma('page_size', { simple: true }) + FRAME_HEADER_BYTES, walLimitBytes, lastLog: -1 };
    file.timer = setInterval(() => {
      try {
        checkpoint(file);
      } catch {
        fail(id);
      }
    }, intervalMs);
    files.set(id, file);
  } catch {
    db?.close();
    parentPort.postMessage({ op: 'failed', id });
  }
}

parentPort.on('message', (message) => {
  if (message.op === 'open') open(message);
  else if (message.op === 'close') {
    try {
      close(message.id);
    } catch {
      // Closing was all that was left to do with it.
    }
    parentPort.postMessage({ op: 'closed', id: message.id });
  }
});
