// The persist child's durable checkpoint: DATA_DIR/logs/checkpoint.json, replaced atomically
// (write a temp file, fsync, rename, fsync the dir). It is written only after every file it
// describes is fsynced, so after a crash the files hold at least what it says; whatever lies
// beyond (appended after it) is cut off at restart and written again from the log.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE } from './persistLayout.js';

export interface PersistCheckpoint {
  version: 1;
  /** Every event at or before this log position is durably in the files. */
  position: number;
  /** Running jobs' file lengths at `position` (bytes); later bytes are cut at restart. */
  open: Record<string, { log: number; metrics: number }>;
  /** Job dirs (deleted jobs) and raw output logs (compressed jobs) to remove once this is durable. */
  removeDirs: string[];
  removeRaw: string[];
}

export const EMPTY_CHECKPOINT: PersistCheckpoint = { version: 1, position: 0, open: {}, removeDirs: [], removeRaw: [] };

/** The checkpoint, or undefined when the file does not exist; throws naming the file when it is unreadable. */
export function readCheckpoint(dir: string): PersistCheckpoint | undefined {
  const file = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let cp: PersistCheckpoint;
  try {
    cp = JSON.parse(text) as PersistCheckpoint;
  } catch (err) {
    throw new Error(`persist checkpoint ${file}: not valid JSON (${(err as Error).message}); move the logs dir aside to rebuild it from the event log`);
  }
  if (cp?.version !== 1 || !Number.isSafeInteger(cp.position) || typeof cp.open !== 'object' || !Array.isArray(cp.removeDirs) || !Array.isArray(cp.removeRaw)) {
    throw new Error(`persist checkpoint ${file}: unexpected shape (version ${String(cp?.version)}); move the logs dir aside to rebuild it from the event log`);
  }
  return cp;
}

export function writeCheckpoint(dir: string, cp: PersistCheckpoint): void {
  writeFileDurably(dir, CHECKPOINT_FILE, Buffer.from(JSON.stringify(cp)));
}

/** Writes dir/name atomically and durably: temp file, fsync, rename, fsync of the dir. */
export function writeFileDurably(dir: string, name: string, bytes: Buffer): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w', 0o640);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncDir(dir);
}

/** write(2) until every byte is written; a short write (disk nearly full) continues, an error throws. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
