// The append-only event log: one LMDB environment (<dir>/events.mdb) with five named dbs.
//   events      position (integer, from 1, no gaps) → MessagePack { v, e }
//   chain       position → 32-byte SHA-256 chained over the stored event bytes (hashChain.ts)
//   byJob       [jobId, position] → empty; the secondary index behind readJob and jobId filters
//   checkpoints consumer name → last applied position
//   snapshots   name → structured-clone MessagePack { position, state }
// Generic over the event type: nothing here knows the domain beyond `type` and an optional `jobId`.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, asBinary, type Database, type RootDatabase } from 'lmdb';
import { GroupCommit, type BatchTicket, type GroupCommitStats } from './groupCommit.js';
import { Cursor, type CursorSource, type StoredEvent, type Subscription, type SubscribeOptions } from './subscription.js';
import { EVENT_SCHEMA_VERSION, encodeEvent, encodeSnapshot, decodeSnapshot, plainMsgpackOptions, type Envelope } from './codec.js';
import { compactChunk, type CompactionResult, type CompactOptions } from './compaction.js';
import { COMPACTION_CHECKPOINT, stubFor } from './compactionStub.js';
import { checkLmdbFile } from './lmdbFileCheck.js';
import { chainHash, type ChainSource, type RawEvent } from './hashChain.js';
import { denseLastKey, recoverChainHead, type Dbs } from './openChecks.js';
import { RecentEvents } from './recentEvents.js';

export type { StoredEvent, Subscription, SubscribeOptions } from './subscription.js';
export type { GroupCommitStats } from './groupCommit.js';
export { EVENT_SCHEMA_VERSION } from './codec.js';
export type { RawEvent } from './hashChain.js';
export type { CompactionResult, CompactOptions } from './compaction.js';

/** Turns an event stored under an older envelope version into the current shape. */
export type Upcaster = (version: number, event: unknown, position: number) => unknown;

export interface EventStoreOptions {
  /** Data directory; the log is the single file <path>/events.mdb (plus its -lock file). */
  path: string;
  /** Initial LMDB map size (default DEFAULT_MAP_BYTES); lmdb-js grows the map when it fills, so this only avoids remaps. */
  mapSizeBytes?: number;
  upcast?: Upcaster;
  /**
   * Open with LMDB's MDB_RDONLY: the file is never written (LMDB still registers the reader in
   * the -lock file beside it). Works on a copy and on a log a daemon is writing; positions after
   * open are not seen. append, checkpoints and snapshots are refused.
   */
  readOnly?: boolean;
}

export const EVENT_LOG_FILE = 'events.mdb';
// Address space reserved for the log's memory map (not memory, not disk: without MDB_WRITEMAP the
// file only grows as pages are written). lmdb-js otherwise starts at 128 KiB and doubles the map
// as the file grows, and every earlier, smaller mapping stays mapped with the pages read through
// it: a job printing 1 GiB left ~1 GiB of log pages resident in the daemon where the file itself
// was ~700 MiB. One map from the start keeps resident log pages at most the file's size.
export const DEFAULT_MAP_BYTES = 64 * 2 ** 30;
// LMDB keys are limited to 1978 bytes (mdb_env_get_maxkeysize); [jobId, position] must fit.
const MAX_JOB_ID_BYTES = 512;
const EMPTY = Buffer.alloc(0);
const RECOVERY_HINT = 'restore from backup or move the data dir aside';

interface Encoded<E> { bytes: Buffer; jobId: string | undefined; event: E }

// How many just-appended events live subscribers may read without going back to LMDB
// (recentEvents.ts). Capture appends up to 16 MiB of one job's output at a time (jobTail.ts),
// so the bytes bound must exceed that for a batch to be served whole; events every subscriber
// has passed are dropped at the next batch, so with subscribers caught up little is held.
const RECENT_EVENTS = 8192;
const RECENT_BYTES = 32 * 1024 * 1024;
// Appended positions whose compaction stub (or "not compactable") this store remembers, so that
// compaction of output the persist child has verified needs no read of the bytes (decision
// 0027). Compaction trails the persist checkpoint by a few MiB of output, so a short window
// suffices; past it (persist stalled, a restart) compaction reads and checks as before.
const REMEMBERED_POSITIONS = 16384;


export class EventStore<E extends { type: string }> implements CursorSource<E>, ChainSource {
  private readonly commit: GroupCommit<Encoded<E>>;
  private readonly recent = new RecentEvents<E>(RECENT_EVENTS, RECENT_BYTES);
  private readonly events: Database<Envelope, number>;
  private readonly byJob: Database<Buffer, [string, number]>;
  private readonly checkpoints: Database<number, string>;
  private readonly snapshots: Database<Buffer, string>;
  /** The hash of the last position handed to LMDB; advanced in position order by writeBatch. */
  private head: Buffer;
  private readonly cursors = new Set<Cursor<E>>();
  private waiters: (() => void)[] = [];
  private closing = false;
  private closed = false;
  /** The compaction in progress; close() waits for it (it stops after its current chunk). */
  private compacting: Promise<void> | undefined;
  /**
   * The checkpoint as this process last committed it: the next call starts past it even if a read
   * snapshot were older, so the stored checkpoint never moves back.
   */
  private compactedMark = 0;
  /** Stubs (null: nothing to compact) of positions rememberedFirst.. in append order; see REMEMBERED_POSITIONS. */
  private remembered: ({ type: string } | null)[] = [];
  private rememberedHead = 0;
  private rememberedFirst = 1;

  private constructor(readonly file: string, private readonly env: RootDatabase, private readonly dbs: Dbs,
    lastPosition: number, head: Buffer, private readonly upcast: Upcaster | undefined, readonly readOnly: boolean) {
    ({ events: this.events, byJob: this.byJob, checkpoints: this.checkpoints, snapshots: this.snapshots } = dbs);
    this.head = head;
    this.commit = new GroupCommit(lastPosition, (first, items) => this.writeBatch(first, items),
      () => this.wakeWaiters(), `event log ${file}`, (item) => item.bytes.length);
  }

  static open<E extends { type: string }>(opts: EventStoreOptions): EventStore<E> {
    const file = join(opts.path, EVENT_LOG_FILE);
    const fail = (reason: string) => new Error(`event log ${file}: ${reason} (${RECOVERY_HINT})`);
    const readOnly = opts.readOnly === true;
    if (readOnly) {
      if (!existsSync(file)) throw new Error(`event log ${file}: no such file (give the data dir that holds events/${EVENT_LOG_FILE})`);
    } else {
      try {
        mkdirSync(opts.path, { recursive: true });
      } catch (err) {
        throw new Error(`event log ${file}: mkdir ${opts.path}: ${(err as NodeJS.ErrnoException).code ?? err} (check the data dir path and its permissions)`);
      }
    }
    const bad = checkLmdbFile(file);
    if (bad) throw fail(bad);
    let env: RootDatabase | undefined;
    try {
      // separateFlushed gives each commit promise a `.flushed` for its own fsync (see groupCommit.ts).
      // noSync is deliberately not set: without the fsync nothing here would be durable.
      env = open({ path: file, noSubdir: true, maxDbs: 8, separateFlushed: true, readOnly, mapSize: opts.mapSizeBytes ?? DEFAULT_MAP_BYTES });
      // Read-only, lmdb-js answers undefined for a named db that does not exist (it cannot create one).
      const db = <T>(d: T | undefined, name: string): T => {
        if (d === undefined) throw new Error(`the named db "${name}" is missing (not an event log?)`);
        return d;
      };
      const dbs: Dbs = {
        events: db(env.openDB<Envelope, number>('events', plainMsgpackOptions as object), 'events'),
        eventsRaw: db(env.openDB<Buffer, number>('events', { encoding: 'binary' }), 'events'),
        chain: env.openDB<Buffer, number>('chain', { encoding: 'binary' }) ?? undefined,
        byJob: db(env.openDB<Buffer, [string, number]>('byJob', { encoding: 'binary' }), 'byJob'),
        checkpoints: db(env.openDB<number, string>('checkpoints', plainMsgpackOptions as object), 'checkpoints'),
        snapshots: db(env.openDB<Buffer, string>('snapshots', { encoding: 'binary' }), 'snapshots'),
      };
      const last = denseLastKey(env, dbs.events, 'events', readOnly);
      const head = recoverChainHead(env, dbs, last, readOnly);
      return new EventStore<E>(file, env, dbs, last, head, opts.upcast, readOnly);
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
    if (this.readOnly) return Promise.reject(this.readOnlyError('append'));
    let items: Encoded<E>[];
    try {
      items = events.map((e, i) => this.encode(e, i));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commit.submit(items);
  }

  /**
   * Durable events with from ≤ position ≤ to (to is capped at lastPosition). Read with for..of
   * (break and return close the cursor): an iterator taken by hand and left half-read keeps its
   * LMDB read transaction, which pins every page freed after it, so compaction frees nothing reusable.
   */
  read(from = 1, to = Infinity): Iterable<StoredEvent<E>> {
    const end = Math.min(to, this.lastPosition);
    const start = Math.max(1, from);
    if (start > end) return [];
    return this.events.getRange({ start, end: end + 1 })
      .map(({ key, value }) => ({ position: key, event: this.unwrap(value, key) }));
  }

  /** The stored bytes and chain hash of each durable event in [from, to], for verification and export. */
  readRaw(from = 1, to = Infinity): Iterable<RawEvent> {
    return this.rawRange(from, to, false);
  }

  /**
   * Like readRaw, but each event's `bytes` are LMDB's own read buffer, valid only until the next
   * read: for a caller that is done with them before it asks for the next event (compaction),
   * this saves copying every output chunk once more.
   */
  private readRawTransient(from: number, to: number): Iterable<RawEvent> {
    return this.rawRange(from, to, true);
  }

  private rawRange(from: number, to: number, transient: boolean): Iterable<RawEvent> {
    const end = Math.min(to, this.lastPosition);
    const start = Math.max(1, from);
    if (start > end) return [];
    // Both dbs are walked with one cursor each, in key order (a get per event would cost a
    // B-tree descent each: about half the verify rate). A position without a hash yields undefined.
    // The chain cursor is closed explicitly when the walk ends or stops early: an abandoned lmdb-js
    // cursor keeps its read transaction, which pins every page freed after it (compaction's
    // freed pages would then never be reused and the file would keep growing).
    const { chain, eventsRaw } = this.dbs;
    return {
      *[Symbol.iterator]() {
        const hashes = chain?.getRange({ start, end: end + 1 })[Symbol.iterator]();
        try {
          let pending = hashes?.next();
          // Transient: the keys are walked and each value fetched last, after the chain cursor has
          // moved (any other read reuses the buffer the value lies in).
          const rows = transient ? eventsRaw.getKeys({ start, end: end + 1 }).map((key) => ({ key, value: undefined }))
            : eventsRaw.getRange({ start, end: end + 1 });
          for (const { key, value } of rows) {
            while (pending && !pending.done && pending.value.key < key) pending = hashes!.next();
            const hash = pending && !pending.done && pending.value.key === key ? pending.value.value : undefined;
            yield { position: key, bytes: value ?? transientView(eventsRaw.getBinaryFast(key)!), hash };
          }
        } finally {
          hashes?.return?.();
        }
      },
    };
  }

  /** The chain hash stored for a position (undefined past the end, or for an unchained legacy log). */
  hashAt(position: number): Buffer | undefined {
    return this.dbs.chain?.get(position);
  }

  /** The job's events in [from, to], at most `limit` of them (a limited range closes its own cursor). */
  readJob(jobId: string, from = 1, to = Infinity, limit?: number): Iterable<StoredEvent<E>> {
    const end = Math.min(to, this.lastPosition);
    const start = Math.max(1, from);
    if (start > end) return [];
    return this.byJob.getKeys({ start: [jobId, start], end: [jobId, end + 1], ...(limit !== undefined ? { limit } : {}) }).map((key) => {
      const position = key[1];
      const value = this.events.get(position);
      if (value === undefined) throw new Error(`event log ${this.file}: byJob index names position ${position} for job ${jobId} but no such event exists (${RECOVERY_HINT})`);
      return { position, event: this.unwrap(value, position) };
    });
  }

  /** The position of a job's first event, 0 when it has none; leaves no cursor open (see read). */
  firstPositionOf(jobId: string): number {
    for (const key of this.byJob.getKeys({ start: [jobId, 1], end: [jobId, Number.MAX_SAFE_INTEGER], limit: 1 })) return key[1];
    return 0;
  }

  subscribe(from: number, handler: (e: StoredEvent<E>) => void | Promise<void>, opts?: SubscribeOptions): Subscription {
    if (this.closing) throw new Error(`event log ${this.file}: subscribe after close`);
    const cursor = new Cursor<E>(this, from, handler, opts?.jobId, (c) => this.cursors.delete(c));
    this.cursors.add(cursor);
    return cursor;
  }

  /** The last position log compaction has examined (every output event with bytes up to it is a stub). */
  get compactedThrough(): number { return Math.max(this.getCheckpoint(COMPACTION_CHECKPOINT), this.compactedMark); }

  /**
   * Replaces every JobOutputWritten at a position <= upTo with a stub (compactionStub.ts): same
   * position and fields, `data` empty, `compactedBytes` the original count; lifecycle events and
   * the chain db are untouched. Works in small write transactions, each also advancing the
   * `compaction` checkpoint, so appends interleave, a crash loses only chunks not yet fsynced,
   * and the next call resumes where this one stopped. Idempotent. One call at a time.
   */
  async compactOutput(upTo: number, opts: CompactOptions = {}): Promise<CompactionResult> {
    if (this.readOnly) throw this.readOnlyError('compactOutput');
    if (this.closing) throw new Error(`event log ${this.file}: compactOutput after close`);
    if (!Number.isSafeInteger(upTo) || upTo < 0) throw new Error(`compactOutput: upTo ${upTo} must be a non-negative integer`);
    if (this.compacting) throw new Error(`event log ${this.file}: compactOutput is already running (one compaction at a time)`);
    let finished!: () => void;
    this.compacting = new Promise<void>((resolve) => { finished = resolve; });
    try {
      return await this.compactChunks(upTo, opts);
    } finally {
      this.compacting = undefined;
      finished();
    }
  }

  private async compactChunks(upTo: number, opts: CompactOptions): Promise<CompactionResult> {
    const total: CompactionResult = { compacted: 0, bytesFreed: 0, examined: 0, through: this.compactedThrough };
    const end = Math.min(upTo, this.lastPosition);
    const maxEvents = opts.maxEvents ?? Infinity;
    // Each chunk waits for its commit, not its fsync (as group commit does): the fsync of chunk
    // N overlaps the work of chunk N+1, and LMDB never makes a later commit durable without an
    // earlier one. The call returns once the last chunk is fsynced.
    let flushed: PromiseLike<unknown> | undefined;
    while (total.through < end && total.examined < maxEvents && !this.closing) {
      const to = Math.min(end, total.through + Math.min(opts.chunkEvents ?? 1000, maxEvents - total.examined));
      const done = compactChunk({ ...this.compactionDeps(), verifiedThrough: opts.verifiedThrough ?? 0 }, total.through + 1, to, opts.chunkBytes ?? 8 * 1024 * 1024);
      await done.commit;
      flushed = (done.commit as Promise<boolean> & { flushed?: PromiseLike<unknown> }).flushed ?? this.env.flushed;
      total.compacted += done.compacted;
      total.bytesFreed += done.bytesFreed;
      total.examined += done.through - total.through;
      total.through = done.through;
      this.compactedMark = done.through;
      this.forgetThrough(done.through);
      // Readers of these positions now get the stubs, as they would after a restart.
      this.recent.dropThrough(done.through);
    }
    await flushed;
    return total;
  }

  getCheckpoint(consumer: string): number {
    return this.checkpoints.get(consumer) ?? 0;
  }

  async setCheckpoint(consumer: string, position: number): Promise<void> {
    if (this.readOnly) throw this.readOnlyError('setCheckpoint');
    if (!Number.isSafeInteger(position) || position < 0) throw new Error(`checkpoint ${consumer}: position ${position} must be a non-negative integer`);
    await durable(this.checkpoints.put(consumer, position));
  }

  async saveSnapshot(name: string, position: number, state: unknown): Promise<void> {
    if (this.readOnly) throw this.readOnlyError('saveSnapshot');
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
    await this.compacting;
    await this.commit.idle();
    this.closed = true;
    for (const c of this.cursors) c.close();
    this.wakeWaiters();
    await this.env.close();
  }

  // CursorSource: used by subscriptions.
  /** `limit` (with a jobId) caps how many of the job's events one chunk holds, however far apart they lie. */
  readChunk(from: number, to: number, jobId: string | undefined, limit?: number): StoredEvent<E>[] {
    // A live subscriber reads what was just appended: take the held tail (recentEvents.ts) and
    // read from LMDB only the part before it.
    const held = jobId === undefined && to <= this.lastPosition ? this.recent.firstPosition : undefined;
    if (held !== undefined && held <= to) {
      const tail = this.recent.range(Math.max(from, held), to);
      if (tail) return held <= from ? tail : [...this.readStored(from, held - 1, undefined), ...tail];
    }
    return this.readStored(from, to, jobId, limit);
  }

  private readStored(from: number, to: number, jobId: string | undefined, limit?: number): StoredEvent<E>[] {
    // The cursor moves past `to` after this chunk, so the read snapshot must already contain it.
    // lmdb-js renews its read transaction after commits, but check rather than trust the timing:
    // a stale snapshot would silently skip events.
    if (!this.events.doesExist(to)) {
      this.env.resetReadTxn();
      if (!this.events.doesExist(to)) throw new Error(`event log ${this.file}: durable position ${to} is not readable (${RECOVERY_HINT})`);
    }
    return Array.from(jobId === undefined ? this.read(from, to) : this.readJob(jobId, from, to, limit));
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

  private encode(event: E, index: number): Encoded<E> {
    if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
      throw new Error(`append: events[${index}].type must be a string`);
    }
    const jobId = (event as { jobId?: unknown }).jobId;
    if (jobId !== undefined && typeof jobId === 'string' && Buffer.byteLength(jobId) > MAX_JOB_ID_BYTES) {
      throw new Error(`append: events[${index}].jobId is ${Buffer.byteLength(jobId)} bytes, the limit is ${MAX_JOB_ID_BYTES}`);
    }
    return { bytes: encodeEvent(event), jobId: typeof jobId === 'string' ? jobId : undefined, event };
  }

  // Every put below runs in one synchronous loop, so lmdb-js places them all (events and index)
  // in a single transaction; the last put's promise is that transaction's commit promise.
  // The chain hash is computed here, on the bytes being stored, in position order: GroupCommit
  // hands batches over one at a time and in position order, so `head` always belongs to first - 1.
  private writeBatch(first: number, items: Encoded<E>[]): BatchTicket {
    let commit: Promise<boolean> | undefined;
    // Drop what every whole-log subscriber has passed (everything, when there is none). The
    // persist feed is not waited for: it reads only when its child is at least a window (16 MiB)
    // behind, and during a flood further behind than the bytes bound, so holding events for it
    // would cost memory for few hits.
    let passed = Infinity;
    for (const c of this.cursors) if (c.unfiltered) passed = Math.min(passed, c.position);
    this.recent.dropThrough(passed);
    const chain = this.dbs.chain!;
    for (let i = 0; i < items.length; i++) {
      const position = first + i;
      this.head = chainHash(this.head, items[i].bytes);
      chain.put(position, this.head);
      commit = this.events.put(position, asBinary(items[i].bytes) as unknown as Envelope);
      const jobId = items[i].jobId;
      if (jobId !== undefined) this.byJob.put([jobId, position], EMPTY);
      // Served to subscribers only once durable: readChunk is never asked past lastPosition.
      this.recent.add(position, items[i].event, items[i].bytes.length);
      this.remember(position, items[i].event);
    }
    const flushed = (commit as Promise<boolean> & { flushed?: PromiseLike<unknown> }).flushed ?? this.env.flushed;
    return { committed: commit!, flushed };
  }

  /** Keeps the stub of an appended event for compaction (dense positions, a bounded window). */
  private remember(position: number, event: E): void {
    if (this.remembered.length - this.rememberedHead === 0) {
      this.remembered = [];
      this.rememberedHead = 0;
      this.rememberedFirst = position;
    } else if (position !== this.rememberedFirst + this.remembered.length - this.rememberedHead) {
      return;  // never happens: positions are appended densely
    }
    this.remembered.push(stubFor(event) ?? null);
    if (this.remembered.length - this.rememberedHead > REMEMBERED_POSITIONS) this.forgetThrough(this.rememberedFirst);
  }

  private forgetThrough(position: number): void {
    while (this.rememberedFirst <= position && this.rememberedHead < this.remembered.length) {
      this.remembered[this.rememberedHead++] = null;
      this.rememberedFirst++;
    }
    if (this.rememberedHead > 4096 && this.rememberedHead * 2 > this.remembered.length) {
      this.remembered = this.remembered.slice(this.rememberedHead);
      this.rememberedHead = 0;
    }
  }

  private rememberedAt(position: number): { type: string } | null | undefined {
    const i = position - this.rememberedFirst;
    if (i < 0 || i >= this.remembered.length - this.rememberedHead) return undefined;
    return this.remembered[this.rememberedHead + i];
  }

  private unwrap(value: Envelope, position: number): E {
    if (value !== null && typeof value === 'object' && value.v === EVENT_SCHEMA_VERSION) return value.e as E;
    const v = value !== null && typeof value === 'object' ? value.v : undefined;
    if (typeof v === 'number' && this.upcast) {
      try {
        return this.upcast(v, value.e, position) as E;
      } catch (err) {
        throw new Error(`event log ${this.file}: event ${position}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new Error(`event log ${this.file}: event ${position} has envelope version ${String(v)}, this build reads ${EVENT_SCHEMA_VERSION} (upgrade joblet or register an upcaster)`);
  }

  private compactionDeps() {
    return {
      file: this.file,
      env: this.env,
      dbs: this.dbs,
      readRaw: (from: number, to: number) => this.readRawTransient(from, to),
      remembered: (position: number) => this.rememberedAt(position),
      unwrap: (value: Envelope, position: number) => this.unwrap(value, position),
    };
  }

  private readOnlyError(op: string): Error {
    return new Error(`event log ${this.file}: ${op} refused: the log is open read-only`);
  }
}

// lmdb-js answers getBinaryFast with its reusable read buffer, whose `length` property it sets
// to the value's size while the underlying array stays larger; hashing and decoding need a view
// of exactly the value (a view, not a copy).
function transientView(bytes: Buffer): Buffer {
  return bytes.subarray(0, bytes.length);
}

/** Resolves after the write's transaction is committed and fsynced. */
async function durable(p: Promise<boolean>): Promise<void> {
  await p;
  await (p as Promise<boolean> & { flushed?: PromiseLike<unknown> }).flushed;
}
