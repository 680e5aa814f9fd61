// A subscriber is a cursor over the log, not a listener on appends. History and live events come
// through the same path — read the next chunk of durable positions from LMDB, deliver it, repeat,
// sleep when caught up — so there is no switch-over where an event could be missed or doubled.
// Appends only wake sleeping cursors; they never wait for a subscriber.

export interface StoredEvent<E> { position: number; event: E }

export interface Subscription {
  close(): void;
  /** The last position delivered (or, with a jobId filter, scanned past). */
  readonly position: number;
  /** Settles when delivery stops: resolves after close(), rejects with the handler's error. */
  readonly done: Promise<void>;
}

export interface SubscribeOptions { jobId?: string }

/** What a cursor needs from the store. */
export interface CursorSource<E> {
  readonly lastPosition: number;
  readonly isClosed: boolean;
  /** Events in [from, to] (inclusive), restricted to jobId when given. */
  readChunk(from: number, to: number, jobId: string | undefined): StoredEvent<E>[];
  /** Resolves when lastPosition passes `position` or the store closes. */
  waitBeyond(position: number): Promise<void>;
}

// Events read per LMDB pass. Reading a chunk into an array first (instead of iterating a cursor
// across awaits) keeps each read transaction short; lmdb-js renews read snapshots between turns.
const CHUNK = 512;

export class Cursor<E> implements Subscription {
  readonly done: Promise<void>;
  private current: number;
  private closed = false;
  /** Resolves the current wait; a fresh one per wait, because racing one long-lived promise would
   *  leave a reaction on it for every wait the cursor ever made. */
  private wake: (() => void) | undefined;

  constructor(private readonly source: CursorSource<E>, from: number,
    private readonly handler: (e: StoredEvent<E>) => void | Promise<void>, private readonly jobId: string | undefined,
    private readonly onStop: (c: Cursor<E>) => void) {
    this.current = Math.max(1, Math.floor(from)) - 1;
    this.done = this.run().finally(() => onStop(this));
  }

  get position(): number { return this.current; }

  /** Whether it reads every event (no jobId filter), the ones recent-event retention waits for. */
  get unfiltered(): boolean { return this.jobId === undefined; }

  close(): void { this.closed = true; this.wake?.(); }

  private stopped(): boolean { return this.closed || this.source.isClosed; }

  private async run(): Promise<void> {
    // Start on a later turn so the caller has the Subscription before the first handler call.
    await new Promise((r) => setImmediate(r));
    while (!this.stopped()) {
      const last = this.source.lastPosition;
      if (this.current >= last) {
        await new Promise<void>((resolve) => {
          if (this.stopped()) return resolve();
          this.wake = resolve;
          this.source.waitBeyond(this.current).then(resolve, resolve);
        });
        this.wake = undefined;
        continue;
      }
      const to = Math.min(last, this.current + CHUNK);
      for (const stored of this.source.readChunk(this.current + 1, to, this.jobId)) {
        if (this.stopped()) return;
        const r = this.handler(stored);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
        this.current = stored.position;
      }
      if (this.stopped()) return;
      this.current = to;
      // Yield between chunks so a subscriber with synchronous handlers replaying a long history
      // does not starve appends and other I/O.
      await new Promise((r) => setImmediate(r));
    }
  }
}
