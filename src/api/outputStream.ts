// One engine for every reader of a job's output (GetJobLogs, joblet.logs.v1 StreamLogs): the
// output so far, then live output, ending once the job has ended and all of its output was sent
// (docs/decisions/0016-output-readers-and-joblet-logs-v1.md).
//
// The loop of src/api/outputHistory.ts, started from the log side: read the log from `pos`; at a
// compacted event (its bytes now live in the persist service's files) ask the OutputHistory from
// that position, send what it holds up to its upTo, and go on in the log after it. Compaction
// overtaking a reader is the same case. Each byte is sent once, in position order, with no gap;
// output still in the log never waits on the persist child.
//
// A slow reader never holds anyone else: the log is read in small windows straight from LMDB, and
// a send waits for the client's 'drain', so a stalled client pins at most one window of events
// while the job, the log and other readers go on; the reader catches up from disk later.
import type * as grpc from '@grpc/grpc-js';
import type { JobEvent } from '../events/jobEvents.js';
import { isFinal } from '../events/job.js';
import { DomainError } from '../events/errors.js';
import type { EventStore, StoredEvent } from '../persist/eventStore.js';
import type { CommandHandler } from '../daemon/commands.js';
import type { OutputChunk, OutputHistory } from './outputHistory.js';
import { TailCutter, TailFinder } from './outputTail.js';

export type OutputStreamName = OutputChunk['stream'];
export const OUTPUT_STREAMS: readonly OutputStreamName[] = ['stdout', 'stderr'];

export interface OutputQuery {
  jobId: string;
  /** which streams to send */
  streams: ReadonlySet<OutputStreamName>;
  /** only chunks captured at or after this Unix ms */
  sinceMs?: number;
  /** of the output so far, only the last N lines (outputTail.ts says what a line is) */
  tailLines?: number;
  /** false: stop at what is durable when the read starts */
  follow: boolean;
}

/** GetJobLogs: everything, both streams, following until the job ends. */
export const rawOutput = (jobId: string): OutputQuery => ({ jobId, streams: new Set(OUTPUT_STREAMS), follow: true });

/** Sends one chunk; returns a promise only while the reader is behind (settles early on stop). */
export type ChunkSink = (chunk: OutputChunk, stop: AbortSignal) => void | Promise<void>;

export interface OutputStreamDeps {
  store: EventStore<JobEvent>;
  /** the job table (for "has it ended") and durable-event notices (for JobDeleted) */
  commands: CommandHandler;
  history: OutputHistory;
}

// Positions read from the log per pass. Output events are at most 64 KiB (SPOOL_CHUNK), so a
// stalled reader holds at most ~2 MiB of events here, however far behind it is.
const LOG_WINDOW = 32;
// A compacted event the history does not hold yet: how often and how long to ask again before
// giving up (the persist service may be restarting; compaction only runs behind its checkpoint).
const HISTORY_RETRIES = 10;
const HISTORY_RETRY_MS = 200;

export class OutputStreams {
  private readonly open = new Set<AbortController>();
  /** Per open read (keyed by its stop signal): wakes a caught-up follower for its own job only. */
  private readonly news = new WeakMap<AbortSignal, JobNews>();

  constructor(private readonly d: OutputStreamDeps) {}

  /**
   * Streams the job's output into `send`. Ends normally when the job has ended and its output was
   * sent (or, without follow, at what was durable at the start), or when `cancelled` fires.
   * A job deleted before that ends the read with NOT_FOUND: its output is being removed, and a
   * clean end would pass a truncated output off as complete.
   */
  async stream(q: OutputQuery, send: ChunkSink, cancelled: AbortSignal): Promise<void> {
    const stop = new AbortController();
    let deleted = false;
    const end = () => stop.abort();
    const news = new JobNews();
    this.news.set(stop.signal, news);
    const off = this.d.commands.onJobEvent(q.jobId, (e) => {
      news.arrived(e);
      if (e.event.type === 'JobDeleted') { deleted = true; end(); }
    });
    cancelled.addEventListener('abort', end);
    this.open.add(stop);
    let cut = false;
    try {
      if (this.d.commands.table.get(q.jobId) === undefined) deleted = true;
      else await this.deliver(q, send, stop.signal);
      cut = stop.signal.aborted || this.d.store.isClosed;
    } catch (err) {
      // Reading a deleted job's history may fail as its files go; the deletion is the news.
      if (!deleted) throw err;
    } finally {
      off();
      cancelled.removeEventListener('abort', end);
      this.open.delete(stop);
    }
    if (cancelled.aborted) return;
    if (deleted) throw new DomainError('NOT_FOUND', `job ${q.jobId} was deleted while its output was being read; the output sent is incomplete`);
    // Cut short by shutdown: say so, or `rnx job log ID > out` would exit 0 with part of the output.
    if (cut) throw new DomainError('UNAVAILABLE', `joblet is shutting down: the output of job ${q.jobId} was not sent to its end; read it again once the daemon is back`);
  }

  /** Ends every open read with UNAVAILABLE (the server is shutting down). */
  closeAll(): void {
    for (const stop of [...this.open]) stop.abort();
  }

  private async deliver(q: OutputQuery, send: ChunkSink, stop: AbortSignal): Promise<void> {
    const first = firstPosition(this.d.store, q.jobId);
    const now = this.d.store.lastPosition;
    const selected = (c: OutputChunk) => c.data.length > 0 && q.streams.has(c.stream) && (q.sinceMs === undefined || c.at >= q.sinceMs);
    const direct = async (c: OutputChunk) => {
      if (!selected(c)) return;
      const r = send(c, stop);
      if (r) await r;
    };
    // The output so far (with a tail, only its last lines), then live output from the next position on.
    const ended = q.tailLines === undefined
      ? await this.read(q.jobId, first, now, direct, stop)
      : await this.readTail(q.jobId, first, now, q.tailLines, selected, direct, stop);
    if (ended || !q.follow || stop.aborted) return;
    await this.read(q.jobId, now + 1, undefined, direct, stop);
  }

  /** The last `lines` lines of the output in [first, now]: find the cut, then read again from it. */
  private async readTail(jobId: string, first: number, now: number, lines: number, selected: (c: OutputChunk) => boolean,
    direct: (c: OutputChunk) => Promise<void>, stop: AbortSignal): Promise<boolean> {
    const finder = new TailFinder(lines);
    const ended = await this.read(jobId, first, now, async (c) => { if (selected(c)) finder.push(c); }, stop);
    const cut = finder.cut();
    if (cut === 'none' || stop.aborted) return ended;
    if (cut === 'all') {
      await this.read(jobId, first, now, direct, stop);
      return ended;
    }
    const cutter = new TailCutter(cut);
    await this.read(jobId, cut.position, now, async (c) => {
      const part = selected(c) ? cutter.take(c) : undefined;
      if (part) await direct(part);
    }, stop);
    return ended;
  }

  /**
   * Output at positions [from, until] (until undefined: on until the job ends). The log first: it
   * is the nearest source, and the history is needed only where compaction emptied events; from a
   * compacted event on, the history gives what it holds, and the log goes on after its upTo.
   * Resolves true when the job's end was reached.
   */
  private async read(jobId: string, from: number, until: number | undefined, emit: (c: OutputChunk) => Promise<void>, stop: AbortSignal): Promise<boolean> {
    let pos = from;
    let lastStub = 0;
    let retries = 0;
    for (;;) {
      const r = await this.readLog(jobId, pos, until, emit, stop);
      if (r.compactedAt === undefined || stop.aborted) return r.ended;
      pos = r.compactedAt;
      let historyEnd: number;
      try {
        const h = await this.d.history.read(jobId, pos);
        historyEnd = h.upTo;
        const bound = Math.min(h.upTo, until ?? Infinity);
        for await (const c of h.chunks) {
          if (stop.aborted) return false;
          if (c.position > bound) break;
          if (c.position < pos) continue;
          await emit(c);
          pos = c.position + 1;
        }
        pos = Math.max(pos, bound + 1);
      } catch (err) {
        if (stop.aborted) return false;
        if (err instanceof DomainError) throw err;
        throw new DomainError('UNAVAILABLE', `output of job ${jobId} from log position ${pos} on was compacted out of the log, and the persist service's history cannot be read (${(err as Error).message}); check the persist child in the daemon's log`);
      }
      if (until !== undefined && pos > until) return false;
      // Compaction runs only behind the persist checkpoint, so the history should hold what it
      // emptied. If it does not yet (a restarting child), wait a little rather than skip or spin.
      if (pos <= r.compactedAt) {
        if (r.compactedAt === lastStub && ++retries > HISTORY_RETRIES) {
          throw new DomainError('UNAVAILABLE', `output of job ${jobId} at log position ${r.compactedAt} was compacted out of the log but the persist service's history does not hold it (history ends at ${historyEnd}); check the persist service`);
        }
        if (r.compactedAt !== lastStub) retries = 1;
        await sleep(HISTORY_RETRY_MS, stop);
      } else retries = 0;
      lastStub = r.compactedAt;
    }
  }

  /** The log from `from`, in small windows; stops at a compacted event, at the job's end, or at `until`. */
  private async readLog(jobId: string, from: number, until: number | undefined, emit: (c: OutputChunk) => Promise<void>, stop: AbortSignal): Promise<{ ended: boolean; compactedAt?: number }> {
    const { store, commands } = this.d;
    let pos = from;
    let endsJob = false;
    const news = this.news.get(stop);
    while (!stop.aborted && !store.isClosed) {
      news?.clear();
      const last = store.lastPosition;
      if (until === undefined) {
        // Once the job's end is durable, so is all of its output (nothing is recorded after it):
        // read on to what is durable now, even when the end itself lies behind the history.
        const job = commands.table.get(jobId);
        if (job === undefined || isFinal(job)) { until = last; endsJob = true; }
      }
      const upTo = Math.min(last, until ?? Infinity);
      if (pos > upTo) {
        if (until !== undefined) return { ended: endsJob };
        // Caught up: sleep until an event of this job is durable (not on every append of any job,
        // which would wake every follower of every job each time).
        await waitOrAbort(news ? news.next() : store.waitBeyond(pos - 1), stop);
        continue;
      }
      // A follower that keeps up takes its job's new events as the table heard them; otherwise,
      // through the per-job index: LOG_WINDOW of this job's events, however sparse they lie among
      // other jobs' events (a window of log positions made a reader of one of 1,000 jobs crawl).
      const heardUpTo = Math.min(upTo, commands.table.position);
      const heard = pos <= heardUpTo ? news?.take(pos, heardUpTo, LOG_WINDOW) : undefined;
      const batch = heard ?? store.readChunk(pos, upTo, jobId, LOG_WINDOW);
      const to = batch.length === LOG_WINDOW ? batch[batch.length - 1]!.position : heard ? heardUpTo : upTo;
      for (const { position, event } of batch) {
        if (stop.aborted) return { ended: false };
        if (event.type === 'JobOutputWritten') {
          if (event.compactedBytes !== undefined) return { ended: false, compactedAt: position };
          await emit({ position, at: event.at, stream: event.stream, data: event.data });
        } else if (event.type === 'JobFinished' || event.type === 'JobCanceled') {
          return { ended: true };
        }
      }
      pos = to + 1;
      // Let appends and other calls run between windows of a long history.
      if (batch.length > 0) await new Promise((r) => setImmediate(r));
    }
    return { ended: false };
  }
}

// What a follower keeps of its job's events as they arrive: a live follower then reads them from
// here instead of reading back (and decoding) from LMDB what was just written. Small bounds: a
// follower that falls behind drops them and reads the log, as before.
const HELD_EVENTS = 64;
const HELD_BYTES = 256 * 1024;

/**
 * "An event of this job became durable" (CommandHandler.onJobEvent, called once the job table has
 * applied it). clear() before reading lastPosition, next() when caught up: an event in between is
 * not missed. It also holds the events it heard, from `from` on without a gap (every durable event
 * of the job reaches arrived(), in order), so take() can serve a range the table has applied.
 */
class JobNews {
  private pending = false;
  private wake: (() => void) | undefined;
  private held: StoredEvent<JobEvent>[] = [];
  private heldBytes = 0;
  /** every event of the job from this position on was heard (Infinity: none held) */
  private from = Infinity;

  arrived(e: StoredEvent<JobEvent>): void {
    this.pending = true;
    const bytes = e.event.type === 'JobOutputWritten' ? e.event.data.length : 0;
    if (this.held.length >= HELD_EVENTS || this.heldBytes + bytes > HELD_BYTES) {
      // the follower is behind: forget, and start a new gap-free run here
      this.held = [];
      this.heldBytes = 0;
      this.from = Infinity;
    }
    if (this.held.length === 0) this.from = Math.min(this.from, e.position);
    this.held.push(e);
    this.heldBytes += bytes;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * The job's events in [pos, upTo] (at most `limit`), or undefined when those heard do not cover
   * pos. Only for upTo ≤ the job table's position: every event up to there has been heard.
   */
  take(pos: number, upTo: number, limit: number): StoredEvent<JobEvent>[] | undefined {
    if (this.from > pos) return undefined;
    // those before pos were read; the ones served stay until a later take passes them, since the
    // reader may stop inside a batch (at a compacted event) and come back to the rest
    let skip = 0;
    while (skip < this.held.length && this.held[skip]!.position < pos) {
      const e = this.held[skip++]!.event;
      this.heldBytes -= e.type === 'JobOutputWritten' ? e.data.length : 0;
    }
    if (skip > 0) this.held = this.held.slice(skip);
    this.from = pos;
    let end = 0;
    while (end < this.held.length && end < limit && this.held[end]!.position <= upTo) end++;
    return this.held.slice(0, end);
  }

  clear(): void { this.pending = false; }

  next(): Promise<void> {
    if (this.pending) return Promise.resolve();
    return new Promise((resolve) => { this.wake = resolve; });
  }
}

/** Writes one message; while the client is behind, returns a promise for 'drain' (or stop). */
export function writeOrWait<T>(out: grpc.ServerWritableStream<unknown, T>, msg: T, stop: AbortSignal): void | Promise<void> {
  if (out.write(msg)) return;
  return new Promise<void>((resolve) => {
    const done = () => { out.off('drain', done); stop.removeEventListener('abort', done); resolve(); };
    out.on('drain', done);
    stop.addEventListener('abort', done);
  });
}

/** The job's first event (from the per-job index), so reads never scan the log before it. */
function firstPosition(store: EventStore<JobEvent>, jobId: string): number {
  return store.firstPositionOf(jobId) || 1;
}

/** Settles when `p` does or `signal` aborts, leaving no listener behind on either (a follower
 *  waits once per event of its job, so a reaction left per wait would grow for the stream's life). */
function waitOrAbort(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => { signal.removeEventListener('abort', done); resolve(); };
    signal.addEventListener('abort', done);
    p.then(done, done);
  });
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); stop.removeEventListener('abort', done); resolve(); }
    stop.addEventListener('abort', done, { once: true });
  });
}

/** The chunk's bytes as a Buffer without copying them (grpc-js takes a Buffer for `bytes`). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
