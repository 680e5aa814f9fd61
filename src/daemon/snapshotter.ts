// Saves the job table every N events so a restart replays only the tail of the log.
import type { Logger } from 'pino';
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore } from '../persist/eventStore.js';
import type { JobTable } from '../projections/jobTable.js';

export const JOBS_SNAPSHOT = 'jobs';

export class Snapshotter {
  private sinceLast = 0;
  private saving: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore<JobEvent>,
    private readonly table: JobTable,
    private readonly every: number,
    private readonly log: Logger,
  ) {}

  tick(): void {
    if (++this.sinceLast < this.every || this.saving) return;
    this.sinceLast = 0;
    this.saving = this.saveNow().finally(() => { this.saving = undefined; });
  }

  async saveNow(): Promise<void> {
    const snap = this.table.snapshot();
    try {
      await this.store.saveSnapshot(JOBS_SNAPSHOT, snap.position, snap);
    } catch (err) {
      // A missed snapshot only lengthens the next replay; the log still holds everything.
      this.log.warn({ err: (err as Error).message, position: snap.position }, 'snapshot failed');
    }
  }
}
