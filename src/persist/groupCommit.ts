// Group commit: many append() calls share one LMDB transaction and one fsync.
//
// How lmdb-js behaves (README "put", "transaction", "overlappingSync", "separateFlushed"):
// every async put() issued in one event turn lands in the same write transaction, committed on
// lmdb-js's writer thread. With overlappingSync (the default on Linux) the put promise resolves
// when the transaction is *committed* (visible to readers) and the fsync happens afterwards, off
// the writer lock; with separateFlushed the promise carries a `.flushed` promise for that
// transaction's fsync. noSync would skip the fsync entirely, so it is never set.
//
// The queue keeps at most one batch between "submitted" and "committed". Positions are assigned
// when a batch is taken, in queue order (= call order). Waiting for the commit before submitting
// the next batch means a failed commit is known before anything after it reaches LMDB, so the log
// on disk stays gap-free; waiting only for the commit (not the fsync) lets batch N+1 commit while
// batch N is still being flushed. Callers are answered only after their batch's fsync, in order.

/** What the writer returns for one submitted batch. */
export interface BatchTicket { committed: PromiseLike<unknown>; flushed: PromiseLike<unknown> }
/** Writes `items` (already validated and encoded) at positions first, first+1, …, in one turn. */
export type BatchWriter<T> = (first: number, items: T[]) => BatchTicket;

interface Pending<T> { items: T[]; bytes: number; resolve(positions: number[]): void; reject(err: Error): void }

export interface GroupCommitStats { commits: number; events: number; largestBatch: number }

// One append() call is never split (its events commit atomically), but unrelated calls are cut
// into batches of about this size so one transaction does not hold the writer for too long.
const BATCH_TARGET = 20_000;
// …and of about this many bytes, when the writer says how big its items are. LMDB builds each write
// transaction in memory it mallocs (the dirty pages, every output chunk's overflow pages) and frees
// at the commit, so the biggest transaction sets the daemon's native memory during a flood.
// 4 MiB: a 1 GiB flood took ~25 MiB less anonymous memory than with ~30 MiB transactions, at the
// same capture rate (the fsync of one transaction overlaps the writing of the next).
export const BATCH_TARGET_BYTES = 4 * 1024 * 1024;

export class GroupCommit<T> {
  readonly stats: GroupCommitStats = { commits: 0, events: 0, largestBatch: 0 };
  private queue: Pending<T>[] = [];
  private next: number;
  private durable: number;
  private submitting = false;
  private scheduled = false;
  private failure: Error | undefined;
  private ackChain: Promise<void> = Promise.resolve();

  constructor(lastPosition: number, private readonly write: BatchWriter<T>,
    private readonly onDurable: (lastPosition: number) => void, private readonly describe: string,
    private readonly sizeOf: (item: T) => number = () => 0) {
    this.next = lastPosition + 1;
    this.durable = lastPosition;
  }

  /** The highest position that is committed and flushed. */
  get lastDurable(): number { return this.durable; }

  submit(items: T[]): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failed());
    if (items.length === 0) return Promise.resolve([]);
    let bytes = 0;
    for (const item of items) bytes += this.sizeOf(item);
    return new Promise((resolve, reject) => {
      this.queue.push({ items, bytes, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far is durable (or has failed). */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.submitting) await new Promise((r) => setImmediate(r));
    await this.ackChain;
  }

  private schedule(): void {
    if (this.scheduled || this.submitting) return;
    this.scheduled = true;
    // setImmediate, not a microtask: appends arriving from separate I/O callbacks in the same
    // loop iteration (e.g. several gRPC requests) then join the same batch.
    setImmediate(() => { this.scheduled = false; this.drain(); });
  }

  private drain(): void {
    if (this.submitting || this.queue.length === 0 || this.failure) return;
    const batch: Pending<T>[] = [];
    let count = 0;
    let bytes = 0;
    while (this.queue.length > 0 && (count === 0 || (count + this.queue[0].items.length <= BATCH_TARGET && bytes + this.queue[0].bytes <= BATCH_TARGET_BYTES))) {
      const p = this.queue.shift()!;
      batch.push(p);
      count += p.items.length;
      bytes += p.bytes;
    }
    const first = this.next;
    const items = batch.length === 1 ? batch[0].items : batch.flatMap((p) => p.items);
    let ticket: BatchTicket;
    try {
      ticket = this.write(first, items);
    } catch (err) {
      this.fail(batch, err);
      return;
    }
    this.next += count;
    this.submitting = true;
    this.stats.commits++;
    this.stats.events += count;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, count);
    Promise.resolve(ticket.committed).then(() => {
      this.submitting = false;
      if (this.queue.length > 0) this.drain();
    }, (err) => this.fail(batch, err));
    // Acks are chained so callers (and onDurable) see positions become durable in order.
    // Both promises are awaited: a flush that completes for a transaction whose commit failed
    // must not acknowledge anything.
    this.ackChain = this.ackChain.then(() => Promise.all([ticket.committed, ticket.flushed])).then(() => {
      this.durable = first + count - 1;
      let pos = first;
      for (const p of batch) {
        p.resolve(p.items.map(() => pos++));
      }
      this.onDurable(this.durable);
    }, (err) => this.fail(batch, err));
  }

  // After a failed write nothing further is submitted: a later batch would leave a hole where the
  // failed one should be. The store must be reopened, which re-reads the last durable position.
  private fail(batch: Pending<T>[], err: unknown): void {
    if (!this.failure) {
      const reason = err instanceof Error ? err.message : String(err);
      this.failure = new Error(`${this.describe}: write failed after position ${this.durable}: ${reason} (reopen the event store; nothing after position ${this.durable} is acknowledged)`);
    }
    this.submitting = false;
    for (const p of [...batch, ...this.queue.splice(0)]) p.reject(this.failed());
  }

  private failed(): Error { return this.failure!; }
}
