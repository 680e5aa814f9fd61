// The State child's write loop: gather records for up to `batchDelayMs` or `batchSize` records,
// keep only the newest per job, write them, and only then acknowledge the log position the batch
// covers. A failed write is retried (the same batch, plus nothing newer) with exponential backoff
// capped at `retryMaxMs`, for as long as it takes: positions are acknowledged strictly in order,
// so the checkpoint never passes a record that is not in the backend.
import { newestPerJob, type StateBackend } from './backend.js';
import type { JobRecord } from './record.js';

export interface WriterOptions { batchSize: number; batchDelayMs: number; retryMaxMs: number }

export interface WriterEvents {
  /** Every record at a position ≤ upTo is in the backend. */
  acked(upTo: number, records: number, at: number): void;
  /** A write failed; the next try is in `retryInMs`. */
  failed(error: string, attempt: number, retryInMs: number): void;
}

interface Chunk { upTo: number; records: JobRecord[] }

const FIRST_RETRY_MS = 100;

export function backoffMs(attempt: number, capMs: number): number {
  // attempt 1 → 100 ms, doubling; ±20 % jitter so nodes that lost the same backend do not retry in step.
  const base = Math.min(capMs, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 20));
  return Math.max(1, Math.round(base * (0.8 + Math.random() * 0.4)));
}

export class BatchWriter {
  private readonly queue: Chunk[] = [];
  private queued = 0;
  private wake: (() => void) | undefined;
  /** Cuts a backoff wait short; only stop() uses it, new records must not hurry a retry. */
  private interrupt: (() => void) | undefined;
  private stopping = false;
  private readonly loop: Promise<void>;

  constructor(private readonly backend: StateBackend, private readonly opts: WriterOptions, private readonly on: WriterEvents) {
    this.loop = this.run();
  }

  /** Records (in log order) of events up to `upTo`; an empty list still moves the position. */
  push(upTo: number, records: JobRecord[]): void {
    this.queue.push({ upTo, records });
    this.queued += records.length;
    this.wake?.();
  }

  /** Drops what is queued and ends the loop after the write in flight, if any. */
  async abort(): Promise<void> {
    this.queue.length = 0;
    this.queued = 0;
    await this.stop();
  }

  /** Writes what is queued (one try per batch once stopping), then ends the loop. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.interrupt?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping || this.queue.length > 0) {
      if (this.queue.length === 0) {
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = undefined;
        continue;
      }
      // Gather: a full batch goes at once, a partial one waits batchDelayMs for company.
      if (this.queued < this.opts.batchSize && !this.stopping && this.opts.batchDelayMs > 0) {
        await new Promise((r) => setTimeout(r, this.opts.batchDelayMs));
      }
      const batch = this.take();
      const ok = await this.writeWithRetry(batch);
      if (!ok) return;
      this.on.acked(batch.upTo, batch.records.length, Date.now());
    }
  }

  private take(): Chunk {
    const records: JobRecord[] = [];
    let upTo = 0;
    while (this.queue.length > 0 && (records.length === 0 || records.length + this.queue[0].records.length <= this.opts.batchSize)) {
      const c = this.queue.shift()!;
      this.queued -= c.records.length;
      records.push(...c.records);
      upTo = c.upTo;
    }
    return { upTo, records: newestPerJob(records) };
  }

  private async writeWithRetry(batch: Chunk): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (batch.records.length > 0) await this.backend.write(batch.records);
        return true;
      } catch (err) {
        // Stopping: give up this batch; it was never acknowledged, so the next start writes it again.
        if (this.stopping) return false;
        const wait = backoffMs(attempt, this.opts.retryMaxMs);
        this.on.failed((err as Error).message, attempt, wait);
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          this.interrupt = () => { clearTimeout(t); r(); };
        });
        this.interrupt = undefined;
      }
    }
  }
}
