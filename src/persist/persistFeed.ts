// The daemon's read loop for the persist child: the log from a position on, history then live,
// like a subscription (subscription.ts), but in small chunks. A subscription materialises 512
// events per pass; output events carry up to 64 KiB each, so that would hold 32 MiB of output in
// the daemon while the child is behind. Here at most CHUNK events are decoded at a time, and the
// handler's promise (the flow-control window) is awaited before the next one is read.
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore, StoredEvent } from './eventStore.js';

const CHUNK = 32;

export class PersistFeed {
  private stopped = false;
  /** Resolves the current wait (a fresh one per wait: see Cursor in subscription.ts). */
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;

  /** With `onCaughtUp`, the feed calls it and stops on reaching the log's end instead of waiting there. */
  constructor(private readonly store: EventStore<JobEvent>, from: number, private readonly handler: (e: StoredEvent<JobEvent>) => void | Promise<void>,
    private readonly onCaughtUp?: () => void) {
    this.done = this.run(Math.max(1, from) - 1);
  }

  close(): void { this.stopped = true; this.wake?.(); }

  private halted(): boolean { return this.stopped || this.store.isClosed; }

  private async run(position: number): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (!this.halted()) {
      const last = this.store.lastPosition;
      if (position >= last) {
        if (this.onCaughtUp) { this.onCaughtUp(); return; }
        await new Promise<void>((resolve) => {
          if (this.halted()) return resolve();
          this.wake = resolve;
          this.store.waitBeyond(position).then(resolve, resolve);
        });
        this.wake = undefined;
        continue;
      }
      // readChunk checks that its read snapshot holds `to` (and renews it), so no event is skipped.
      for (const e of this.store.readChunk(position + 1, Math.min(last, position + CHUNK), undefined)) {
        if (this.halted()) return;
        const r = this.handler(e);
        if (r !== undefined) await r;
        position = e.position;
      }
      // Let appends and the API run between chunks while a long history is replayed.
      await new Promise((r) => setImmediate(r));
    }
  }
}
