// Keeps the event log bounded: in the background, old job output is compacted out of the log
// (EventStore.compactOutput, docs/decisions/0013) up to the position the persist service has
// durably stored in its own files. It runs on a timer and after every N bytes of appended output,
// one run at a time, a few thousand positions per step with a yield between steps, so neither
// appends nor the event loop wait on it for long. A failed run is logged and retried next time:
// compaction only frees space, nothing waits for it.
import type { Logger } from 'pino';
import type { JobEvent } from '../events/jobEvents.js';
import type { CompactionResult, CompactOptions, StoredEvent } from '../persist/eventStore.js';

/** What the compactor needs of the event store (EventStore<JobEvent> has it). */
export interface CompactableLog {
  readonly compactedThrough: number;
  compactOutput(upTo: number, opts?: CompactOptions): Promise<CompactionResult>;
}

export interface OutputCompactorOptions {
  log: CompactableLog;
  /** The last position whose output is durably stored elsewhere (persist.durablePosition()). */
  bound: () => number;
  /** Run every this many ms; 0 = no timer (only the byte trigger and explicit runs). */
  intervalMs: number;
  /** Run once this many output bytes were appended since the last run; 0 = never by bytes. */
  everyBytes: number;
  /** Positions per step between yields (default 5,000). */
  stepEvents?: number;
  logger: Logger;
}

export interface CompactorStats { runs: number; compacted: number; bytesFreed: number; through: number; failures: number; lastError?: string }

export class OutputCompactor {
  readonly stats: CompactorStats;
  private timer: NodeJS.Timeout | undefined;
  private bytesSince = 0;
  private running: Promise<CompactorStats> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly o: OutputCompactorOptions) {
    this.stats = { runs: 0, compacted: 0, bytesFreed: 0, through: o.log.compactedThrough, failures: 0 };
  }

  start(): this {
    if (this.o.intervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.trigger(), this.o.intervalMs);
      this.timer.unref();  // a pending compaction never keeps the process alive
    }
    return this;
  }

  /** Feed it every durable event (CommandHandler.onEvent); output bytes count toward everyBytes. */
  noteEvent(e: StoredEvent<JobEvent>): void {
    if (e.event.type !== 'JobOutputWritten' || this.o.everyBytes <= 0) return;
    this.bytesSince += e.event.data.length;
    if (this.bytesSince >= this.o.everyBytes) this.trigger();
  }

  /**
   * Compacts up to the bound now (or joins the run in progress and runs once more after it).
   * Rejects when the run failed; the background triggers log instead.
   */
  runNow(): Promise<CompactorStats> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.bytesSince = 0;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) { this.again = false; this.trigger(); }
    });
    return this.running;
  }

  /** For GetSystemStatus: how far compaction has got and what it freed. */
  facts(): Record<string, string> {
    const f: Record<string, string> = {
      'compaction.through': String(this.stats.through),
      'compaction.bytesFreed': String(this.stats.bytesFreed),
      'compaction.events': String(this.stats.compacted),
    };
    if (this.stats.lastError) f['compaction.lastError'] = this.stats.lastError;
    return f;
  }

  /** Stops the timer and waits for a run in progress (it stops after its current step). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private trigger(): void {
    if (this.closed) return;
    this.runNow().catch((err: Error) => this.o.logger.warn({ err: err.message }, 'output compaction failed; retrying on the next trigger'));
  }

  private async run(): Promise<CompactorStats> {
    this.stats.runs++;
    try {
      const bound = this.o.bound();
      if (!Number.isSafeInteger(bound) || bound < 0) throw new Error(`output compaction: the persist bound ${bound} is not a non-negative integer`);
      while (!this.closed && this.o.log.compactedThrough < bound) {
        // The persist child checked every output event up to its checkpoint against the chain hash
        // as it read it (logOutputReader.ts), so what this store still remembers of those appends
        // is compacted without reading the bytes back (decision 0027).
        const r = await this.o.log.compactOutput(bound, { maxEvents: this.o.stepEvents ?? 5000, verifiedThrough: bound });
        this.stats.compacted += r.compacted;
        this.stats.bytesFreed += r.bytesFreed;
        this.stats.through = r.through;
        if (r.examined === 0) break;  // the log ends before the bound: nothing more to do now
        await new Promise((resolve) => setImmediate(resolve));
      }
      delete this.stats.lastError;
      return { ...this.stats };
    } catch (err) {
      this.stats.failures++;
      this.stats.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }
}
