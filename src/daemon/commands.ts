// The one place commands become events: decide against the current state, append durably, then
// bring the job table up to date. Callers get the events only once they are on disk (invariant 2).
import type { Job } from '../events/job.js';
import type { JobCommand } from '../events/jobCommands.js';
import { decide } from '../events/jobCommands.js';
import { evolve, type JobEvent, type RequestRejected } from '../events/jobEvents.js';
import type { EventStore, StoredEvent } from '../persist/eventStore.js';
import type { JobTable } from '../projections/jobTable.js';

export type EventListener = (e: StoredEvent<JobEvent>) => void;

export class CommandHandler {
  /**
   * Jobs with events whose fsync is still in flight, as they will be once those are durable, and
   * how many such events each has. Commands are decided against this overlay on top of `table`,
   * so two commands racing for one job (a stop and an exit) see each other's effects. `table`
   * holds only durable events and is what readers see. The overlay holds only in-flight jobs, so
   * start-up copies nothing.
   */
  private readonly pending = new Map<string, { job: Job | undefined; events: number }>();
  /**
   * Events of appends that resolved but are not in `table` yet, by position: catchUp applies
   * them from here instead of reading back and decoding what it just wrote. Positions below the
   * table's never enter it, and catchUp takes each out as it applies it.
   */
  private readonly durable = new Map<number, JobEvent>();
  private readonly listeners: EventListener[] = [];
  /** Listeners for one job's events only: with a follower per job, one global listener each made
   *  every durable event call every follower (1,000 followers × 100,000 lines/s). */
  private readonly jobListeners = new Map<string, Set<EventListener>>();
  private readonly appendingListeners: ((events: JobEvent[], appended: Promise<unknown>) => void)[] = [];

  constructor(private readonly store: EventStore<JobEvent>, readonly table: JobTable) {}

  /** Called for every durable event, in position order, after the table has applied it. Returns an unsubscribe. */
  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Like onEvent, for the durable events of one job only. Returns an unsubscribe. */
  onJobEvent(jobId: string, listener: EventListener): () => void {
    let set = this.jobListeners.get(jobId);
    if (set === undefined) this.jobListeners.set(jobId, set = new Set());
    set.add(listener);
    return () => {
      const s = this.jobListeners.get(jobId);
      if (s === undefined || !s.delete(listener) || s.size > 0) return;
      this.jobListeners.delete(jobId);
    };
  }

  /**
   * Called with each batch of decided events as it is handed to the log, not yet durable (and
   * perhaps never: `appended` rejects then), synchronously, on every append (output chunks too):
   * a listener filters cheaply and defers its work. Only for preparing work that is undone if the
   * batch never is durable (a held launch, decision 0022); nothing a caller or another reader sees
   * may come from here (invariant 2).
   */
  onAppending(listener: (events: JobEvent[], appended: Promise<unknown>) => void): void {
    this.appendingListeners.push(listener);
  }

  /** Resolves with the job (from the durable table) once `done` holds for it, or after timeoutMs. */
  waitFor(jobId: string, done: (job: Job | undefined) => boolean, timeoutMs: number): Promise<Job | undefined> {
    if (done(this.table.get(jobId))) return Promise.resolve(this.table.get(jobId));
    return new Promise((resolve) => {
      const finish = () => { clearTimeout(timer); off(); resolve(this.table.get(jobId)); };
      const timer = setTimeout(finish, timeoutMs);
      const off = this.onJobEvent(jobId, () => { if (done(this.table.get(jobId))) finish(); });
    });
  }

  /** The state decisions are made against (may be a few ms ahead of `table`). */
  current(jobId: string): Job | undefined {
    const p = this.pending.get(jobId);
    return p ? p.job : this.table.get(jobId);
  }

  /** Decides and appends; throws DomainError without writing anything when the command is refused. */
  async handle(cmd: JobCommand): Promise<StoredEvent<JobEvent>[]> {
    const events = decide(this.current(cmd.jobId), cmd);
    return this.append(events);
  }

  /**
   * Records a refused request (an audit fact that changes no job). `jobRef` is the id or prefix
   * the request named; the event is filed under that job only when it names exactly one.
   */
  async recordRejection(rejection: Omit<RequestRejected, 'type' | 'jobId'>, jobRef?: string): Promise<void> {
    let jobId: string | undefined;
    try { jobId = jobRef === undefined ? undefined : this.table.resolve(jobRef).id; } catch { jobId = undefined; }
    await this.append([{ type: 'RequestRejected', ...(jobId !== undefined ? { jobId } : {}), ...rejection }]);
  }

  async append(events: JobEvent[]): Promise<StoredEvent<JobEvent>[]> {
    if (events.length === 0) return [];
    const jobEvents = events.filter((e): e is JobEvent & { jobId: string } => e.jobId !== undefined);
    for (const e of jobEvents) {
      const p = this.pending.get(e.jobId) ?? { job: this.table.get(e.jobId), events: 0 };
      this.pending.set(e.jobId, { job: evolve(p.job, e), events: p.events + 1 });
    }
    let positions: number[];
    try {
      const appended = this.store.append(events);
      for (const l of this.appendingListeners) l(events, appended);
      positions = await appended;
    } finally {
      // Durable or failed, these events are no longer in flight: durable ones are in `table`
      // after catchUp below; failed ones were never written, so the overlay forgets them.
      for (const e of jobEvents) {
        const p = this.pending.get(e.jobId)!;
        if (--p.events === 0) this.pending.delete(e.jobId);
      }
    }
    for (let i = 0; i < events.length; i++) if (positions[i] > this.table.position) this.durable.set(positions[i], events[i]);
    this.catchUp(positions[positions.length - 1]);
    return events.map((event, i) => ({ position: positions[i], event }));
  }

  /**
   * Applies every durable event up to `position` that the table has not seen, in order. Those of
   * appends whose promises already ran come from `durable`; a gap (another append of the same
   * commit whose promise has not run yet, or one made without this handler) is read from the log.
   */
  private catchUp(position: number): void {
    let next = this.table.position + 1;
    while (next <= position) {
      const event = this.durable.get(next);
      if (event !== undefined) {
        this.durable.delete(next);
        this.applyDurable({ position: next, event });
        next++;
        continue;
      }
      let end = next;
      while (end < position && !this.durable.has(end + 1)) end++;
      for (const stored of this.store.read(next, end)) this.applyDurable(stored);
      next = end + 1;
    }
  }

  private applyDurable(stored: StoredEvent<JobEvent>): void {
    this.durable.delete(stored.position);
    this.table.apply(stored.position, stored.event);
    for (const l of this.listeners) l(stored);
    const jobId = stored.event.jobId;
    const mine = jobId === undefined ? undefined : this.jobListeners.get(jobId);
    if (mine !== undefined) for (const l of mine) l(stored);  // a Set visits none it lost meanwhile
  }
}
