// The append-only event log: one LMDB environment (<dir>/events.mdb) with four named dbs.
//   events      position (integer, from 1, no gaps) → MessagePack { v, e }
//   byJob       [jobId, position] → empty; the secondary index behind readJob and jobId filters
//   checkpoints consumer name → last applied position
//   snapshots   name → structured-clone MessagePack { position, state }
// Generic over the event type: nothing here knows the domain beyond `type` and an optional `jobId`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, asBinary, type Database, type RootDatabase } from 'lmdb';
import { GroupCommit, type BatchTicket, type GroupCommitStats } from './groupCommit.js';
import { Cursor, type CursorSource, type StoredEvent, type Subscription, type SubscribeOptions } from './subscription.js';
import { EVENT_SCHEMA_VERSION, encodeEvent, encodeSnapshot, decodeSnapshot, plainMsgpackOptions, type Envelope } from './codec.js';
import { checkLmdbFile } from './lmdbFileCheck.js';

export type { StoredEvent, Subscription, SubscribeOptions } from './subscription.js';
export type { GroupCommitStats } from './groupCommit.js';
export { EVENT_SCHEMA_VERSION } from './codec.js';

/** Turns an event stored under an older envelope version into the current shape. */
export type Upcaster = (version: number, event: unknown, position: number) => unknown;

export interface EventStoreOptions {
  /** Data directory; the log is the single file <path>/events.mdb (plus its -lock file). */
  path: string;
  /** Initial LMDB map size; lmdb-js grows the map when it fills, so this only avoids early remaps. */
  mapSizeBytes?: number;
  upcast?: Upcaster;
}

export const EVENT_LOG_FILE = 'events.mdb';
// LMDB keys are limited to 1978 bytes (mdb_env_get_maxkeysize); [jobId, position] must fit.
const MAX_JOB_ID_BYTES = 512;
const EMPTY = Buffer.alloc(0);
const RECOVERY_HINT = 'restore from backup or move the data dir aside';

interface Encoded { bytes: Buffer; jobId: string | undefined }

export class EventStore<E extends { type: string }> implements CursorSource<E> {
  private readonly commit: GroupCommit<Encoded>;
  private readonly cursors = new Set<Cursor<E>>();
  private waiters: (() => void)[] = [];
  private closing = false;
  private closed = false;

  private constructor(readonly file: string, private readonly env: RootDatabase,
    private readonly events: Database<Envelope, number>, private readonly byJob: Database<Buffer, [string, number]>,
    private readonly checkpoints: Database<number, string>, private readonly snapshots: Database<Buffer, string>,
    lastPosition: number, private readonly upcast: Upcaster | undefined) {
    this.commit = new GroupCommit(lastPosition, (first, items) => this.writeBatch(first, items),
      () => this.wakeWaiters(), `event log ${file}`);
  }

  static open<E extends { type: string }>(opts: EventStoreOptions): EventStore<E> {
    const file = join(opts.path, EVENT_LOG_FILE);
    const fail = (reason: string) => new Error(`event log ${file}: ${reason} (${RECOVERY_HINT})`);
    try {
      mkdirSync(opts.path, { recursive: true });
    } catch (err) {
      throw new Error(`event log ${file}: mkdir ${opts.path}: ${(err as NodeJS.ErrnoException).code ?? err} (check the data dir path and its permissions)`);
    }
    const bad = checkLmdbFile(file);
    if (bad) throw fail(bad);
    let env: RootDatabase | undefined;
    try {
      // separateFlushed gives each commit promise a `.flushed` for its own fsync (see groupCommit.ts).
      // noSync is deliberately not set: without the fsync nothing here would be durable.
      env = open({ path: file, noSubdir: true, maxDbs: 8, separateFlushed: true, ...(opts.mapSizeBytes ? { mapSize: opts.mapSizeBytes } : {}) });
      const events = env.openDB<Envelope, number>('events', plainMsgpackOptions as object);
      const byJob = env.openDB<Buffer, [string, number]>('byJob', { encoding: 'binary' });
      const checkpoints = env.openDB<number, string>('checkpoints', plainMsgpackOptions as object);
      const snapshots = env.openDB<Buffer, string>('snapshots', { encoding: 'binary' });
      const last = lastKey(events);
      // Positions are dense, so the entry count must equal the last position; LMDB keeps the count
      // in the db header, so this costs nothing and catches a log that was edited or half-copied.
      const count = (events.getStats() as { entryCount: number }).entryCount;
      if (count !== last) throw new Error(`${count} events stored but the last position is ${last} (positions must be gap-free)`);
      return new EventStore<E>(file, env, events, byJob, checkpoints, snapshots, last, opts.upcast);
    } catch (err) {
      void env?.close().catch(() => undefined);
      throw fail(err instanceof Error ? err.message : String(err));
    }
  }

  /** The last durable (committed and fsynced) position; 0 for an empty log. */
  get lastPosition(): number { return this.commit.lastDurable; }

  /** Group-commit counters: transactions submitted, events written, largest batch. */
  get stats(): Readonly<GroupCommitStats> { return this.commit.stats; }

  get isClosed(): boolean { return this.closed; }

  append(events: E[]): Promise<number[]> {
    if (this.closing) return Promise.reject(new Error(`event log ${this.file}: append after close`));
    let items: Encoded[];
    try {
      items = events.map((e, i) => this.encode(e, i));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commit.submit(items);
  }

  /** Durable events with from ≤ position ≤ to (to is capped at lastPosition). */
  read(from = 1, to = Infinity): Iterable<StoredEvent<E>> {
    const end = Math.min(to, this.lastPosition);
    const start = Math.max(1, from);
    if (start > end) return [];
    return this.events.getRange({ start, end: end + 1 })
      .map(({ key, value }) => ({ position: key, event: this.unwrap(value, key) }));
  }

  readJob(jobId: string, from = 1, to = Infinity): Iterable<StoredEvent<E>> {
    const end = Math.min(to, this.lastPosition);
    const start = Math.max(1, from);
    if (start > end) return [];
    return this.byJob.getKeys({ start: [jobId, start], end: [jobId, end + 1] }).map((key) => {
      const position = key[1];
      const value = this.events.get(position);
      if (value === undefined) throw new Error(`event log ${this.file}: byJob index names position ${position} for job ${jobId} but no such event exists (${RECOVERY_HINT})`);
      return { position, event: this.unwrap(value, position) };
    });
  }

  subscribe(from: number, handler: (e: StoredEvent<E>) => void | Promise<void>, opts?: SubscribeOptions): Subscription {
    if (this.closing) throw new Error(`event log ${this.file}: subscribe after close`);
    const cursor = new Cursor<E>(this, from, handler, opts?.jobId, (c) => this.cursors.delete(c));
    this.cursors.add(cursor);
    return cursor;
  }

  getCheckpoint(consumer: string): number {
    return this.checkpoints.get(consumer) ?? 0;
  }

  async setCheckpoint(consumer: string, position: number): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) throw new Error(`checkpoint ${consumer}: position ${position} must be a non-negative integer`);
    await durable(this.checkpoints.put(consumer, position));
  }

  async saveSnapshot(name: string, position: number, state: unknown): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0 || position > this.lastPosition) {
      throw new Error(`snapshot ${name}: position ${position} must be an integer between 0 and the last durable position ${this.lastPosition}`);
    }
    await durable(this.snapshots.put(name, asBinary(encodeSnapshot(position, state)) as unknown as Buffer));
  }

  loadSnapshot<S>(name: string): { position: number; state: S } | undefined {
    const bytes = this.snapshots.get(name);
    if (bytes === undefined) return undefined;
    const snap = decodeSnapshot(bytes);
    return { position: snap.position, state: snap.state as S };
  }

  /** Waits for pending appends to become durable, stops subscribers, closes the environment. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.commit.idle();
    this.closed = true;
    for (const c of this.cursors) c.close();
    this.wakeWaiters();
    await this.env.close();
  }

  // CursorSource: used by subscriptions.
  readChunk(from: number, to: number, jobId: string | undefined): StoredEvent<E>[] {
    // The cursor moves past `to` after this chunk, so the read snapshot must already contain it.
    // lmdb-js renews its read transaction after commits, but check rather than trust the timing:
    // a stale snapshot would silently skip events.
    if (!this.events.doesExist(to)) {
      this.env.resetReadTxn();
      if (!this.events.doesExist(to)) throw new Error(`event log ${this.file}: durable position ${to} is not readable (${RECOVERY_HINT})`);
    }
    return Array.from(jobId === undefined ? this.read(from, to) : this.readJob(jobId, from, to));
  }

  waitBeyond(position: number): Promise<void> {
    if (this.lastPosition > position || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wakeWaiters(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  private encode(event: E, index: number): Encoded {
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
      throw new Error(`append: events[${index}].type must be a string`);
    }
    const jobId = (event as { jobId?: unknown }).jobId;
    if (jobId !== undefined && typeof jobId === 'string' && Buffer.byteLength(jobId) > MAX_JOB_ID_BYTES) {
      throw new Error(`append: events[${index}].jobId is ${Buffer.byteLength(jobId)} bytes, the limit is ${MAX_JOB_ID_BYTES}`);
    }
    return { bytes: encodeEvent(event), jobId: typeof jobId === 'string' ? jobId : undefined };
  }

  // Every put below runs in one synchronous loop, so lmdb-js places them all (events and index)
  // in a single transaction; the last put's promise is that transaction's commit promise.
  private writeBatch(first: number, items: Encoded[]): BatchTicket {
    let commit: Promise<boolean> | undefined;
    for (let i = 0; i < items.length; i++) {
      const position = first + i;
      commit = this.events.put(position, asBinary(items[i].bytes) as unknown as Envelope);
      const jobId = items[i].jobId;
      if (jobId !== undefined) this.byJob.put([jobId, position], EMPTY);
    }
    const flushed = (commit as Promise<boolean> & { flushed?: PromiseLike<unknown> }).flushed ?? this.env.flushed;
    return { committed: commit!, flushed };
  }

  private unwrap(value: Envelope, position: number): E {
    if (value !== null && typeof value === 'object' && value.v === EVENT_SCHEMA_VERSION) return value.e as E;
    const v = value !== null && typeof value === 'object' ? value.v : undefined;
    if (typeof v === 'number' && this.upcast) return this.upcast(v, value.e, position) as E;
    throw new Error(`event log ${this.file}: event ${position} has envelope version ${String(v)}, this build reads ${EVENT_SCHEMA_VERSION} (upgrade joblet or register an upcaster)`);
  }
}

function lastKey(db: Database<unknown, number>): number {
  for (const key of db.getKeys({ reverse: true, limit: 1 })) return key;
  return 0;
}

/** Resolves after the write's transaction is committed and fsynced. */
async function durable(p: Promise<boolean>): Promise<void> {
  await p;
  await (p as Promise<boolean> & { flushed?: PromiseLike<unknown> }).flushed;
}
