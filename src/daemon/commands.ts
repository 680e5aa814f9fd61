// The one place commands become events: decide against the current state, append durably, then
// bring the job table up to date. Callers get the events only once they are on disk (invariant 2).
import type { Job } from '../events/job.js';
import type { JobCommand } from '../events/jobCommands.js';
import { decide } from '../events/jobCommands.js';
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore, StoredEvent } from '../persist/eventStore.js';
import { JobTable } from '../projections/jobTable.js';

export type EventListener = (e: StoredEvent<JobEvent>) => void;

export class CommandHandler {
  /**
   * `decided` is the table as it will be once every appended event is durable. Commands are
   * decided against it synchronously, so two commands racing for one job (a stop and an exit)
   * see each other's effects even while their fsync is still in flight. `table` only ever holds
   * durable events and is what readers see.
   */
  private decided: JobTable;
  private decidedCount: number;
  private readonly listeners: EventListener[] = [];

  constructor(private readonly store: EventStore<JobEvent>, readonly table: JobTable) {
    this.decided = JobTable.fromSnapshot(table.snapshot());
    this.decidedCount = table.position;
  }

  /** Called for every durable event, in position order, after the table has applied it. Returns an unsubscribe. */
  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Resolves with the job (from the durable table) once `done` holds for it, or after timeoutMs. */
  waitFor(jobId: string, done: (job: Job | undefined) => boolean, timeoutMs: number): Promise<Job | undefined> {
    if (done(this.table.get(jobId))) return Promise.resolve(this.table.get(jobId));
    return new Promise((resolve) => {
      const finish = () => { clearTimeout(timer); off(); resolve(this.table.get(jobId)); };
      const timer = setTimeout(finish, timeoutMs);
      const off = this.onEvent((e) => { if (e.event.jobId === jobId && done(this.table.get(jobId))) finish(); });
    });
  }

  /** The state decisions are made against (may be a few ms ahead of `table`). */
  current(jobId: string) {
    return this.decided.get(jobId);
  }

  /** Decides and appends; throws DomainError without writing anything when the command is refused. */
  async handle(cmd: JobCommand): Promise<StoredEvent<JobEvent>[]> {
    const events = decide(this.decided.get(cmd.jobId), cmd);
    return this.append(events);
  }

  async append(events: JobEvent[]): Promise<StoredEvent<JobEvent>[]> {
    if (events.length === 0) return [];
    for (const e of events) this.decided.apply(++this.decidedCount, e);
    let positions: number[];
    try {
      positions = await this.store.append(events);
    } catch (err) {
      // Nothing was written: forget the optimistic state so the next decision sees the truth.
      this.decided = JobTable.fromSnapshot(this.table.snapshot());
      this.decidedCount = this.table.position;
      throw err;
    }
    this.catchUp(positions[positions.length - 1]);
    return events.map((event, i) => ({ position: positions[i], event }));
  }

  /** Applies every durable event up to `position` that the table has not seen, in order. */
  private catchUp(position: number): void {
    if (position <= this.table.position) return;
    for (const stored of this.store.read(this.table.position + 1, position)) {
      this.table.apply(stored.position, stored.event);
      for (const l of this.listeners) l(stored);
    }
  }
}
