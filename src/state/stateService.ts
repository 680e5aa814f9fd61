// The State service, daemon side: a supervised child process (child.ts) that writes job records
// to the backend, fed by a checkpointed subscription of the event log. The daemon keeps the only
// handle on the log and writes the checkpoint itself, after the child reports a batch as
// acknowledged by the backend (docs/decisions/0009-state-child-fed-over-ipc.md).
//
// Flow control: the subscription runs at most WINDOW positions ahead of the last acknowledged
// one, so a backend outage stalls the feed instead of filling the child's memory; jobs and the
// API never wait for it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore, StoredEvent, Subscription } from '../persist/eventStore.js';
import type { StateSettings } from './backend.js';
import { RecordFeed } from './recordFeed.js';
import type { FromChild, ToChild } from './protocol.js';
import type { JobRecord } from './record.js';
import { Supervisor, stopChild } from '../persist/supervisor.js';
import { register, unregister } from './registry.js';

export const STATE_CHECKPOINT = 'state';
const WINDOW = 20_000;
const SEND_EVERY = 256;
// Events that change no record (output chunks, above all) only move the acknowledged position;
// for those, one message per this many ms is enough instead of one per event-loop turn.
const POSITION_ONLY_EVERY_MS = 20;
// Records wait this long for others to share their message: a job's events come a few ms apart,
// and each message wakes the child (and its ack, a checkpoint write) on this 2-core host's other
// core while the job is being launched there. Replication is behind by this much more at most.
const RECORDS_EVERY_MS = 10;
const CHECKPOINT_EVERY_MS = 1000;
const BEHIND_LOG_EVERY_MS = 10_000;
const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));

export interface StateServiceOptions {
  store: EventStore<JobEvent>;
  settings: StateSettings;
  dataDir: string;
  log: Logger;
}

export interface StateStatus {
  backend: string;
  /** Last position whose records the backend acknowledged. */
  position: number;
  /** Positions in the log not yet acknowledged. */
  lagEvents: number;
  /** Age in seconds of the oldest event not yet acknowledged; 0 when caught up. */
  behindSeconds: number;
  /** Seconds since the backend last acknowledged a write (since start when it never has). */
  lastSuccessSecondsAgo: number;
  lastError: string | undefined;
  restarts: number;
  childPid: number | undefined;
  /** The position the current child's feed started at (checkpoint + 1 for durable backends). */
  resumedFrom: number;
  /** Records the backend acknowledged since the daemon started (all children together). */
  recordsWritten: number;
}

export class StateService {
  private readonly supervisor: Supervisor;
  private child: ChildProcess | undefined;
  private sub: Subscription | undefined;
  private acked: number;
  private lastSuccessAt = Date.now();
  private lastError: string | undefined;
  private lastBehindLog = 0;
  /**
   * The last change of each job since the last message, its record built at the send: a backend
   * keeps only a job's newest record (isNewer), so the ones it would replace within one message
   * need not be built, sent nor written. Insertion order is kept (a job's first change).
   */
  private pending = new Map<string, () => JobRecord>();
  private pendingUpTo = 0;
  private flushScheduled = false;
  private positionTimer = false;
  private ackWaiters: (() => void)[] = [];
  private checkpointWrite: Promise<void> = Promise.resolve();
  private checkpointTimer: NodeJS.Timeout | undefined;
  private lastCheckpointAt = 0;
  private listCalls = new Map<number, { resolve(r: JobRecord[]): void; reject(e: Error): void }>();
  private nextListId = 1;
  private readyWaiters: (() => void)[] = [];
  private ready = false;
  private resumedFrom = 0;
  private recordsWritten = 0;

  private constructor(private readonly o: StateServiceOptions) {
    // `memory` forgets everything with its child, so each child starts from position 1; the
    // durable backends resume from the checkpoint.
    this.acked = this.durable ? o.store.getCheckpoint(STATE_CHECKPOINT) : 0;
    this.supervisor = new Supervisor('state child', o.log, () => this.spawn());
  }

  static start(o: StateServiceOptions): StateService {
    const s = new StateService(o);
    s.supervisor.start();
    register(s);
    return s;
  }

  private get durable(): boolean { return this.o.settings.backend !== 'memory'; }

  /** Forks the child and feeds it; resolves when it exits (the supervisor then restarts it). */
  private spawn(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = fork(CHILD_ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    if (!this.durable) this.acked = 0;
    const feed = new RecordFeed(this.o.store);
    child.on('message', (m) => this.onMessage(m as FromChild, feed));
    // A send racing the child's exit fails with EPIPE; the 'exit' handler below restarts it and
    // the feed resumes from the last acknowledged position, so the error itself is only logged.
    child.on('error', (err) => this.o.log.warn({ err: err.message }, 'state child channel error'));
    this.send({ t: 'init', settings: this.o.settings, dataDir: this.o.dataDir });
    return new Promise((resolve) => child.once('exit', (code, signal) => {
      this.sub?.close();
      this.sub = undefined;
      this.child = undefined;
      this.ready = false;
      this.pending.clear();
      this.pendingUpTo = 0;
      for (const c of this.listCalls.values()) c.reject(new Error(`state child exited (${signal ?? code}) before answering`));
      this.listCalls.clear();
      this.wakeAckWaiters();
      resolve({ code, signal });
    }));
  }

  private onMessage(m: FromChild, feed: RecordFeed): void {
    switch (m.t) {
      case 'ready':
        this.ready = true;
        for (const w of this.readyWaiters.splice(0)) w();
        this.resumedFrom = this.acked + 1;
        this.sub = this.o.store.subscribe(this.resumedFrom, (e) => this.onEvent(e, feed));
        this.sub.done.catch((err) => this.o.log.error({ err: (err as Error).message }, 'state feed stopped'));
        break;
      case 'acked':
        if (this.lastError !== undefined) this.o.log.info({ backend: this.o.settings.backend, lagEvents: this.lag() }, 'state backend reachable again; catching up');
        this.lastError = undefined;
        this.lastSuccessAt = m.at;
        this.recordsWritten += m.records;
        this.acked = Math.max(this.acked, m.upTo);
        this.saveCheckpoint();
        this.wakeAckWaiters();
        break;
      case 'failed':
        this.lastError = m.error;
        if (Date.now() - this.lastBehindLog >= BEHIND_LOG_EVERY_MS) {
          this.lastBehindLog = Date.now();
          this.o.log.warn({ backend: this.o.settings.backend, err: m.error, ...this.lagFacts(), retryInMs: m.retryInMs }, 'state backend write failed; replication is behind');
        }
        break;
      case 'listed': {
        const call = this.listCalls.get(m.id);
        this.listCalls.delete(m.id);
        if (m.error !== undefined) call?.reject(new Error(m.error));
        else call?.resolve(m.records ?? []);
        break;
      }
      case 'fatal':
        this.lastError = m.error;
        this.o.log.error({ backend: this.o.settings.backend, err: m.error }, 'state child could not open the backend');
        break;
    }
  }

  private onEvent(e: StoredEvent<JobEvent>, feed: RecordFeed): void | Promise<void> {
    const change = feed.change(e);
    if (change) this.pending.set(change.jobId, change.record);
    this.pendingUpTo = e.position;
    if (this.pending.size >= SEND_EVERY) this.flush();
    else if (this.pending.size === 0) {
      if (!this.flushScheduled && !this.positionTimer) {
        this.positionTimer = true;
        setTimeout(() => { this.positionTimer = false; this.flush(); }, POSITION_ONLY_EVERY_MS).unref();
      }
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => { this.flushScheduled = false; this.flush(); }, RECORDS_EVERY_MS).unref();
    }
    if (e.position - this.acked > WINDOW) {
      this.flush();
      return new Promise((resolve) => this.ackWaiters.push(resolve));
    }
  }

  private flush(): void {
    if (this.pendingUpTo === 0 || !this.child) return;
    const records = [...this.pending.values()].map((record) => record());
    this.send({ t: 'records', upTo: this.pendingUpTo, records });
    this.pending.clear();
    this.pendingUpTo = 0;
  }

  private wakeAckWaiters(): void {
    for (const w of this.ackWaiters.splice(0)) w();
  }

  /**
   * At most one checkpoint write per CHECKPOINT_EVERY_MS: each is an fsync'd transaction of the
   * event log, and an ack comes every few ms under load. Records are idempotent per position
   * (DESIGN invariant 1), so after a crash the child re-sends at most that much, harmlessly.
   */
  private saveCheckpoint(): void {
    if (!this.durable || this.checkpointTimer) return;
    const wait = this.lastCheckpointAt + CHECKPOINT_EVERY_MS - Date.now();
    if (wait <= 0) { void this.writeCheckpoint(); return; }
    this.checkpointTimer = setTimeout(() => void this.writeCheckpoint(), wait);
    this.checkpointTimer.unref();
  }

  /** Writes the latest acknowledged position now; one write at a time. */
  private writeCheckpoint(): Promise<void> {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (!this.durable) return this.checkpointWrite;
    this.lastCheckpointAt = Date.now();
    this.checkpointWrite = this.checkpointWrite.then(async () => {
      const want = this.acked;
      if (want > this.o.store.getCheckpoint(STATE_CHECKPOINT) && !this.o.store.isClosed) await this.o.store.setCheckpoint(STATE_CHECKPOINT, want);
    }).catch((err) => this.o.log.error({ err: (err as Error).message }, 'state checkpoint write failed'));
    return this.checkpointWrite;
  }

  private send(m: ToChild): void {
    if (this.child?.connected) this.child.send(m, (err) => { if (err) this.o.log.debug({ err: err.message }, 'state child send failed'); });
  }

  private lag(): number { return Math.max(0, this.o.store.lastPosition - this.acked); }

  private lagFacts() {
    const lagEvents = this.lag();
    const seconds = (since: number) => Math.max(0, Math.round((Date.now() - since) / 100) / 10);
    let behindSeconds = 0;
    if (lagEvents > 0 && !this.o.store.isClosed) for (const { event } of this.o.store.read(this.acked + 1, this.acked + 1)) behindSeconds = seconds(event.at);
    return { lagEvents, behindSeconds, lastSuccessSecondsAgo: seconds(this.lastSuccessAt) };
  }

  status(): StateStatus {
    return {
      backend: this.o.settings.backend, position: this.acked, ...this.lagFacts(), lastError: this.lastError,
      restarts: this.supervisor.restarts, childPid: this.child?.pid, resumedFrom: this.resumedFrom, recordsWritten: this.recordsWritten,
    };
  }

  /** GetSystemStatus facts (cloud.metadata): how far behind replication is and why. */
  facts(): Record<string, string> {
    const s = this.status();
    return {
      'state.backend': s.backend,
      'state.position': String(s.position),
      'state.lagEvents': String(s.lagEvents),
      'state.behindSeconds': String(s.behindSeconds),
      'state.lastSuccessSecondsAgo': String(s.lastSuccessSecondsAgo),
      'state.childRestarts': String(s.restarts),
      ...(s.lastError !== undefined ? { 'state.lastError': s.lastError } : {}),
    };
  }

  /** Records in the backend: one node's, or every node's (the future `rnx job list --all-nodes`). */
  async list(nodeId?: string, timeoutMs = 10_000): Promise<JobRecord[]> {
    const deadline = Date.now() + timeoutMs;
    if (!this.ready) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`state child not ready after ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`)), timeoutMs);
        this.readyWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    const id = this.nextListId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.listCalls.delete(id); reject(new Error(`state backend ${this.o.settings.backend}: list took longer than ${timeoutMs} ms${this.lastError ? ` (${this.lastError})` : ''}`)); }, Math.max(1, deadline - Date.now()));
      this.listCalls.set(id, { resolve: (r) => { clearTimeout(t); resolve(r); }, reject: (e) => { clearTimeout(t); reject(e); } });
      this.send({ t: 'list', id, ...(nodeId !== undefined ? { nodeId } : {}) });
    });
  }

  /** Resolves true once every position up to `position` is acknowledged (false on timeout). */
  async caughtUp(position = this.o.store.lastPosition, timeoutMs = 30_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.acked < position) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.writeCheckpoint();
    return true;
  }

  /** Stops the feed, lets the child write what it has (one try), then stops it. */
  async close(): Promise<void> {
    unregister(this);
    this.supervisor.stop();
    this.sub?.close();
    this.flush();
    if (this.child) await stopChild(this.child, () => this.send({ t: 'stop' }), 3000);
    await this.writeCheckpoint();
  }
}
