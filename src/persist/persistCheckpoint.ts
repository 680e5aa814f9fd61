// The persist child's durable checkpoint, in two slot files written in place by turns:
// DATA_DIR/logs/checkpoint.json and checkpoint.1.json. Each holds one header line
// "JCP1 <seq> <body length> <sha256 of body>" and the JSON body; the valid slot with the higher
// seq is the checkpoint. A write goes to the slot not holding the current one (pwrite, truncate,
// fsync), so a crash mid-write leaves that slot torn (its hash does not match) and the other one
// whole. It is written only after every file it describes is fsynced, so after a crash the files
// hold at least what it says; whatever lies beyond (appended after it) is cut off at restart and
// written again from the log.
//
// In place, not a temp file renamed over the old one: each rename freed an inode, several times a
// second under load, and on ext4 without a journal every create of every process then scans past
// the inodes freed in the last minute (decision 0024: 0.25-0.9 ms per create instead of 0.02 ms).
// A checkpoint.json written by an older daemon (plain JSON, no header) reads as seq 0.
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
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

/** The two slot files. */
export const CHECKPOINT_SLOTS = [CHECKPOINT_FILE, CHECKPOINT_FILE.replace(/\.json$/, '.1.json')] as const;
const HEADER = 'JCP1';

type Slot = { seq: number; cp: PersistCheckpoint } | 'missing' | { torn: string };

/** The checkpoint last read or written per dir (its seq and slot), so the next write takes the other slot. */
const current = new Map<string, { seq: number; slot: number }>();

function readSlot(file: string): Slot {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  const nl = bytes.indexOf(0x0a);
  const head = (nl < 0 ? bytes : bytes.subarray(0, nl)).toString('latin1').split(' ');
  let seq = 0;
  let body: Buffer = bytes;
  if (head[0] === HEADER) {
    const [, seqText, lengthText, sum] = head;
    body = bytes.subarray(nl + 1, nl + 1 + Number(lengthText));
    if (body.length !== Number(lengthText) || createHash('sha256').update(body).digest('hex') !== sum) return { torn: 'its length or sha256 does not match its header' };
    seq = Number(seqText);
  } else if (bytes[0] !== 0x7b) {  // '{': a checkpoint.json of an older daemon
    return { torn: 'no JCP1 header' };
  }
  let cp: PersistCheckpoint;
  try {
    cp = JSON.parse(body.toString('utf8')) as PersistCheckpoint;
  } catch (err) {
    return { torn: `not valid JSON (${(err as Error).message})` };
  }
  if (cp?.version !== 1 || !Number.isSafeInteger(cp.position) || typeof cp.open !== 'object' || !Array.isArray(cp.removeDirs) || !Array.isArray(cp.removeRaw)) {
    throw new Error(`persist checkpoint ${file}: unexpected shape (version ${String(cp?.version)}); move the logs dir aside to rebuild it from the event log`);
  }
  return { seq, cp };
}

/**
 * The checkpoint, or undefined when there is none yet: no slot, or only the first slot's write,
 * cut short (a crash, a full disk). A torn slot beside a whole one is the write a crash
 * interrupted: the other holds the checkpoint. Two torn slots throw, naming both files.
 */
export function readCheckpoint(dir: string): PersistCheckpoint | undefined {
  const slots = CHECKPOINT_SLOTS.map((name) => readSlot(join(dir, name)));
  const whole = slots.flatMap((s, slot) => (typeof s === 'object' && 'cp' in s ? [{ ...s, slot }] : []));
  if (whole.length === 0) {
    const torn = slots.map((s, i) => (typeof s === 'object' && 'torn' in s ? `${join(dir, CHECKPOINT_SLOTS[i])}: ${s.torn}` : undefined)).filter(Boolean);
    if (torn.length < 2) return undefined;
    throw new Error(`persist checkpoint: no whole slot (${torn.join('; ')}); move the logs dir aside to rebuild it from the event log`);
  }
  const newest = whole.reduce((a, b) => (b.seq > a.seq ? b : a));
  current.set(dir, { seq: newest.seq, slot: newest.slot });
  return newest.cp;
}

/** Writes the next checkpoint into the slot that does not hold the current one, in place, durably. */
export function writeCheckpoint(dir: string, cp: PersistCheckpoint): void {
  if (!current.has(dir)) readCheckpoint(dir);
  const now = current.get(dir) ?? { seq: 0, slot: 1 };  // none yet: the first goes to checkpoint.json
  const seq = now.seq + 1;
  const slot = 1 - now.slot;
  const body = Buffer.from(JSON.stringify(cp));
  const bytes = Buffer.concat([Buffer.from(`${HEADER} ${seq} ${body.length} ${createHash('sha256').update(body).digest('hex')}\n`), body]);
  // O_RDWR, not append: with O_APPEND Linux ignores pwrite's offset
  const fd = openSync(join(dir, CHECKPOINT_SLOTS[slot]), constants.O_RDWR | constants.O_CREAT, 0o640);
  let created: boolean;
  try {
    created = writeAt0(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) fsyncDir(dir);  // the slot's dir entry is durable too (once: later writes reuse it)
  current.set(dir, { seq, slot });
}

/** Overwrites the file from offset 0 and cuts it after `bytes`; true when it was empty (just made). */
function writeAt0(fd: number, bytes: Uint8Array): boolean {
  const wasEmpty = fstatSync(fd).size === 0;
  writeAll(fd, bytes, 0);
  ftruncateSync(fd, bytes.length);
  return wasEmpty;
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

/**
 * write(2) until every byte is written, at the file's offset or (pwrite) from `position` on; a
 * short write (disk nearly full) continues, an error throws.
 */
export function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
