// Turns the event log into job records, on the daemon's side of the State service. It folds each
// job with the same `evolve` the job table uses, and emits a record only when an event changed
// the job (output chunks and audit events change none). It starts at any position: a job first
// met mid-log is rebuilt from its own earlier events (the store's per-job index), so a restart
// from the checkpoint needs no snapshot. Only unfinished jobs are kept in memory.
import type { Job } from '../events/job.js';
import { isFinal } from '../events/job.js';
import { evolve, type JobEvent } from '../events/jobEvents.js';
import type { StoredEvent } from '../persist/eventStore.js';
import { toRecord, type JobRecord } from './record.js';

/** The part of the EventStore the feed reads. */
export interface FeedSource {
  read(from?: number, to?: number): Iterable<StoredEvent<JobEvent>>;
  readJob(jobId: string, from?: number, to?: number): Iterable<StoredEvent<JobEvent>>;
}

export class RecordFeed {
  private readonly jobs = new Map<string, Job>();
  private epoch: number | undefined;

  constructor(private readonly source: FeedSource) {}

  /** The record this event produces, or undefined when it changed no job. */
  apply(e: StoredEvent<JobEvent>): JobRecord | undefined {
    return this.change(e)?.record();
  }

  /**
   * The same, with the record built only when asked for: the State service keeps the last
   * change of each job per message and builds just that one (a job's events come a few ms apart,
   * so most of its records would be replaced before they are sent).
   */
  change({ position, event }: StoredEvent<JobEvent>): { jobId: string; record(): JobRecord } | undefined {
    const jobId = event.jobId;
    if (jobId === undefined) return undefined;
    const prev = this.jobs.has(jobId) ? this.jobs.get(jobId) : this.rebuild(jobId, position);
    const next = evolve(prev, event);
    if (next === prev) return undefined;
    if (next === undefined || isFinal(next)) this.jobs.delete(jobId);
    else this.jobs.set(jobId, next);
    const version = { logEpoch: this.logEpoch(), position };
    const at = event.at;
    // A deletion leaves a tombstone carrying the job's last state.
    return { jobId, record: () => (next === undefined ? toRecord(prev!, version, at, true) : toRecord(next, version, at)) };
  }

  /** How many unfinished jobs the feed holds (for tests of its memory bound). */
  get size(): number { return this.jobs.size; }

  private rebuild(jobId: string, before: number): Job | undefined {
    let job: Job | undefined;
    for (const { event } of this.source.readJob(jobId, 1, before - 1)) job = evolve(job, event);
    return job;
  }

  /** `at` of the log's first event: constant for one log, later for a log started anew. */
  private logEpoch(): number {
    if (this.epoch === undefined) {
      for (const { event } of this.source.read(1, 1)) this.epoch = event.at;
      if (this.epoch === undefined) throw new Error('state feed: the event log has no position 1 (is the log empty?)');
    }
    return this.epoch;
  }
}
