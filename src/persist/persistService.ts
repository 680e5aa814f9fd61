// The persist service, daemon side: a supervised child process (persistChild.ts) that writes each
// job's output and metrics to files under DATA_DIR/logs, fed by a subscription of the event log
// over IPC (docs/decisions/0014-persist-child-fed-over-ipc.md; persistFeed.ts reads the log). The child owns the files and their
// checkpoint; the daemon only reads the log, strips each event to what the files need, and sends
// batches (output by position and length: the child reads the bytes from the log, decision 0025). The subscription runs at most a window ahead of the child's checkpoint, so a stuck
// child (a full disk) stalls this feed only: jobs and the API never wait for it. Capture waits
// for a healthy child that is a window behind (src/executor/captureGate.ts, docs/decisions/0023), so a flood of
// output goes at the pace of both stores and the feed never has to re-read the log.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore, StoredEvent } from './eventStore.js';
import { PersistFeed } from './persistFeed.js';
import { HistoryClient, type HistoryAnswer } from './historyClient.js';
import { logsDir } from './persistLayout.js';
import type { FromPersistChild, PersistSettings, ToPersistChild, WireFeedEvent } from './persistProtocol.js';
import { Supervisor, stopChild } from './supervisor.js';

export type { PersistSettings } from './persistProtocol.js';

const CHILD_ENTRY = fileURLToPath(new URL('./persistChild.js', import.meta.url));
// Output sent to the child and not yet checkpointed, plus capture's reads not yet in the log, stay
// within this (src/executor/captureGate.ts): the live path then always has room, and the log is re-read only
// to catch up (start, rewind, a child that failed or stalled). It also bounds capture's reads in
// flight, so it sets the daemon's live output buffers and most of the log's resident pages.
// 8 MiB since the child reads the bytes from the log (decision 0025): in 1 GiB floods on the
// 2-core VM (daemon under --optimize-for-size), 120-122 MB/s and 71-72 MiB of RSS growth, against
// 110-125 MB/s and 84-87 MiB at 12 MiB and 133 MB/s and 104 MiB at 16 MiB.
const WINDOW_BYTES = 8 * 1024 * 1024;
/** Room kept in the window for events capture does not count (lifecycle, metrics). */
const WINDOW_SLACK = 1024 * 1024;
/** A child with output outstanding and no checkpoint for this long no longer holds capture back. */
const STALL_MS = 2000;
const WINDOW_POSITIONS = 100_000;
const BATCH_BYTES = 1024 * 1024;
const BATCH_EVENTS = 1024;
// A batch of lifecycle and metric events alone waits this long for company before it goes to the
// child: each message wakes the child on the other core (~0.2 ms of the daemon's CPU per write on
// the bench VM, a few per short job), and nothing waits on persist for them. Output goes at once.
const QUIET_FLUSH_MS = 20;

export interface PersistServiceOptions {
  store: EventStore<JobEvent>;
  /**
   * The daemon's hook for each event it has just made durable (CommandHandler.onEvent), in
   * position order. While the child keeps up, events are taken from here, already decoded, and
   * the log is read only to catch up (at start, after a rewind, when the window was full).
   */
  onEvent?: (listener: (e: StoredEvent<JobEvent>) => void) => () => void;
  settings: PersistSettings;
  dataDir: string;
  log: Logger;
}

export class PersistService {
  /** Output history from the files, for GetJobLogs and joblet.logs.v1 (src/api/outputHistory.ts). */
  readonly history: { read(jobId: string, fromPosition: number): Promise<HistoryAnswer>; readMetrics(jobId: string, fromPosition: number): Promise<{ upTo: number; samples: string[] }> };
  private readonly supervisor: Supervisor;
  private readonly client: HistoryClient;
  private child: ChildProcess | undefined;
  private sub: PersistFeed | undefined;
  /** The next position to hand to the child in this epoch. */
  private next = 1;
  private readonly offEvent: (() => void) | undefined;
  private epoch = -1;
  private durable = 0;
  private socket: string | undefined;
  private readyWaiters: (() => void)[] = [];
  private pending: WireFeedEvent[] = [];
  /** Output bytes of `pending` (the child reads them from the log), plus a little per other event. */
  private pendingBytes = 0;
  private pendingUpTo = 0;
  private flushScheduled: false | 'now' | 'later' = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Sent batches not yet covered by a checkpoint: [upTo, bytes]. */
  private inFlight: [number, number][] = [];
  private inFlightBytes = 0;
  private windowWaiters: (() => void)[] = [];
  private gateWaiters: (() => void)[] = [];
  private gateTimer: NodeJS.Timeout | undefined;
  /** When the child last checkpointed, or last got output to do after having none (Date.now()). */
  private lastProgress = 0;
  private diskFull = false;
  private lastError: string | undefined;
  private lastFailureLog = 0;

  private constructor(private readonly o: PersistServiceOptions) {
    this.supervisor = new Supervisor('persist child', o.log, () => this.spawn());
    this.client = new HistoryClient((ms) => this.whenReady(ms));
    this.history = { read: (j, f) => this.client.read(j, f), readMetrics: (j, f) => this.client.readMetrics(j, f) };
    this.offEvent = o.onEvent?.((e) => this.onLive(e));
  }

  static start(o: PersistServiceOptions): PersistService {
    const s = new PersistService(o);
    s.supervisor.start();
    return s;
  }

  /** The last log position whose output and metrics are durably in the files (the child's checkpoint). */
  durablePosition(): number { return this.durable; }

  get childPid(): number | undefined { return this.child?.pid; }

  get restarts(): number { return this.supervisor.restarts; }

  private spawn(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = fork(CHILD_ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    child.on('message', (m) => this.onMessage(m as FromPersistChild));
    // A send racing the child's exit fails with EPIPE; the exit handler restarts it.
    child.on('error', (err) => this.o.log.warn({ err: err.message }, 'persist child channel error'));
    this.send({ t: 'init', dataDir: this.o.dataDir, logFile: this.o.store.file, settings: this.o.settings });
    return new Promise((resolve) => child.once('exit', (code, signal) => {
      this.rewind();
      this.child = undefined;
      this.socket = undefined;
      resolve({ code, signal });
    }));
  }

  private onMessage(m: FromPersistChild): void {
    switch (m.t) {
      case 'ready':
        this.rewind();
        this.epoch = m.epoch;
        this.socket = m.socket;
        this.durable = Math.max(this.durable, m.position);
        for (const w of this.readyWaiters.splice(0)) w();
        this.next = m.position + 1;
        this.catchUp();
        break;
      case 'checkpoint':
        if (m.epoch !== this.epoch) return;
        if (this.diskFull || this.lastError) this.o.log.info({ position: m.position, dir: logsDir(this.o.dataDir) }, 'persist writes again; catching up');
        this.diskFull = false;
        this.lastError = undefined;
        this.durable = Math.max(this.durable, m.position);
        this.lastProgress = Date.now();
        while (this.inFlight.length > 0 && this.inFlight[0][0] <= m.position) this.inFlightBytes -= this.inFlight.shift()![1];
        this.wakeWindow();
        break;
      case 'failed': {
        const wasFull = this.diskFull;
        this.diskFull = m.diskFull;
        this.lastError = m.error;
        // One line when the condition starts, then one every minute while it lasts.
        if (!wasFull || Date.now() - this.lastFailureLog > 60_000) {
          this.lastFailureLog = Date.now();
          this.o.log.error({ err: m.error, diskFull: m.diskFull, dir: logsDir(this.o.dataDir), durablePosition: this.durable, retryInMs: m.retryInMs },
            m.diskFull ? 'persist dir is full: job output stays in the event log until space returns; jobs keep running' : 'persist write failed; retrying from the checkpoint');
        }
        this.rewind();
        break;
      }
      case 'warn':
        this.o.log.warn({ dir: logsDir(this.o.dataDir) }, m.message);
        break;
      case 'info':
        this.o.log.info({ dir: logsDir(this.o.dataDir), jobIds: m.jobIds }, m.message);
        break;
    }
  }

  /** Drops the current feed; the child's next `ready` starts a new one from its checkpoint. */
  private rewind(): void {
    this.sub?.close();
    this.sub = undefined;
    this.epoch = -1;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingUpTo = 0;
    this.inFlight = [];
    this.inFlightBytes = 0;
    this.wakeWindow();
  }

  /**
   * Reads the log from `next` until it reaches the log's end; live events then take over. With
   * a live hook the feed stops at the end (synchronously, so no live event falls between the two);
   * without one it keeps following the log.
   */
  private catchUp(): void {
    if (this.sub || this.epoch < 0) return;
    const feed: PersistFeed = new PersistFeed(this.o.store, this.next, async (e) => {
      if (this.sub !== feed || e.position !== this.next) return;  // stale feed, or taken live already
      if (this.windowFull()) {
        this.flush();
        await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
        if (this.sub !== feed || e.position !== this.next) return;
      }
      this.accept(e, true);
    }, this.offEvent ? () => { if (this.sub === feed) this.sub = undefined; } : undefined);
    this.sub = feed;
    feed.done.catch((err) => this.o.log.error({ err: (err as Error).message }, 'persist feed stopped'));
  }

  /** A live event: taken when it is the next one and the window has room, else the log is read. */
  private onLive(e: StoredEvent<JobEvent>): void {
    if (this.epoch < 0 || e.position < this.next) return;
    if (e.position === this.next && !this.windowFull()) this.accept(e, false);
    else this.catchUp();
  }

  /**
   * Capture's gate (src/executor/captureGate.ts; the daemon adds it there): closed while the
   * child takes events live, is healthy, and what it has outstanding plus what capture has read
   * ahead would not leave room in the window. Open whenever the log is the buffer anyway (no
   * child, a failure, a catch-up, a stall, a closed service).
   */
  captureGate(bytes: number, captureInFlight: number): Promise<void> | undefined {
    if (!this.offEvent || this.epoch < 0 || this.sub || this.lastError !== undefined) return undefined;
    if (this.inFlightBytes + this.pendingBytes + captureInFlight + bytes <= WINDOW_BYTES - WINDOW_SLACK) return undefined;
    if (this.inFlightBytes > 0 && Date.now() - this.lastProgress > STALL_MS) return undefined;
    return new Promise<void>((resolve) => {
      this.gateWaiters.push(resolve);
      // Waiters ask again at least this often, so a child that stopped checkpointing is noticed.
      this.gateTimer ??= setTimeout(() => { this.gateTimer = undefined; this.wakeGate(); }, STALL_MS).unref();
    });
  }

  private wakeGate(): void {
    if (this.gateWaiters.length === 0) return;
    for (const w of this.gateWaiters.splice(0)) w();
  }

  private windowFull(): boolean {
    return this.inFlightBytes + this.pendingBytes > WINDOW_BYTES || this.next - this.durable > WINDOW_POSITIONS;
  }

  /**
   * Adds the event to the batch for the child. A live event comes on the append path, so its batch
   * always leaves on a later turn (serialising it there would hold up capture); the window bounds
   * how much can gather meanwhile.
   */
  private accept({ position: p, event: e }: StoredEvent<JobEvent>, eager: boolean): void {
    this.next = p + 1;
    const f = toFeed(p, e);
    if (f) {
      this.pending.push(f);
      this.pendingBytes += f.k === 'out' ? f.len : 64;
    }
    this.pendingUpTo = p;
    if (eager && (this.pending.length >= BATCH_EVENTS || this.pendingBytes >= BATCH_BYTES)) this.flush();
    else this.scheduleFlush(f?.k === 'out');
  }

  /** Output leaves on the next turn; a batch without any waits up to QUIET_FLUSH_MS. */
  private scheduleFlush(output: boolean): void {
    if (this.flushScheduled === 'now' || (this.flushScheduled === 'later' && !output)) return;
    clearTimeout(this.flushTimer);
    const run = () => { this.flushScheduled = false; this.flushTimer = undefined; this.flush(); };
    if (output) {
      this.flushScheduled = 'now';
      setImmediate(run);
    } else {
      this.flushScheduled = 'later';
      this.flushTimer = setTimeout(run, QUIET_FLUSH_MS).unref();
    }
  }

  private flush(): void {
    if (this.pendingUpTo === 0 || this.epoch < 0) return;
    if (this.inFlight.length === 0) this.lastProgress = Date.now();
    this.send({ t: 'events', epoch: this.epoch, upTo: this.pendingUpTo, events: this.pending });
    this.inFlight.push([this.pendingUpTo, this.pendingBytes]);
    this.inFlightBytes += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingUpTo = 0;
  }

  private wakeWindow(): void {
    for (const w of this.windowWaiters.splice(0)) w();
    this.wakeGate();
  }

  private send(m: ToPersistChild): void {
    if (this.child?.connected) this.child.send(m, (err) => { if (err) this.o.log.debug({ err: err.message }, 'persist child send failed'); });
  }

  private whenReady(timeoutMs: number): Promise<string> {
    if (this.socket) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`persist service not ready after ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''} (its child is restarting)`)), timeoutMs);
      this.readyWaiters.push(() => { clearTimeout(t); resolve(this.socket!); });
    });
  }

  /** GetSystemStatus facts: how far the files are, whether the persist dir is full. */
  facts(): Record<string, string> {
    const last = this.o.store.isClosed ? this.durable : this.o.store.lastPosition;
    return {
      'persist.dir': logsDir(this.o.dataDir),
      'persist.position': String(this.durable),
      'persist.lagEvents': String(Math.max(0, last - this.durable)),
      'persist.childRestarts': String(this.supervisor.restarts),
      'persist.diskFull': String(this.diskFull),
      ...(this.lastError !== undefined ? { 'persist.lastError': this.lastError } : {}),
    };
  }

  /** Resolves true once the files hold everything up to `position` (false on timeout). */
  async caughtUp(position = this.o.store.lastPosition, timeoutMs = 30_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.durable < position) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Stops the feed, lets the child checkpoint what it has, then stops it. */
  async close(): Promise<void> {
    this.offEvent?.();
    clearTimeout(this.gateTimer);
    this.gateTimer = undefined;
    this.wakeGate();
    this.supervisor.stop();
    this.flush();
    this.sub?.close();
    this.client.close();
    if (this.child) await stopChild(this.child, () => this.send({ t: 'stop' }), 5000);
  }
}

/** The part of an event the files need (output by position and length), or undefined when they need none of it. */
function toFeed(p: number, e: JobEvent): WireFeedEvent | undefined {
  // By type string: JobMetricsSampled may be newer than this build's event union.
  const ev = e as { type: string; jobId?: string; at: number } & Record<string, unknown>;
  if (ev.jobId === undefined) return undefined;
  switch (ev.type) {
    case 'JobOutputWritten': {
      return { k: 'out', p, jobId: ev.jobId, at: ev.at, stream: ev.stream === 'stderr' ? 'stderr' : 'stdout', len: (ev.data as Uint8Array).length };
    }
    case 'JobMetricsSampled':
      return { k: 'metrics', p, jobId: ev.jobId, at: ev.at, sample: (ev.sample ?? {}) as Record<string, unknown> };
    case 'JobFinished':
      return { k: 'finished', p, jobId: ev.jobId, at: ev.at, status: String(ev.status), exitCode: Number(ev.exitCode) };
    case 'JobDeleted':
      return { k: 'deleted', p, jobId: ev.jobId };
    default:
      return undefined;
  }
}
