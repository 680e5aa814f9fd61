// A job this node's log did not have, brought back from the State backend on start: the node was
// rebuilt with an empty disk (or its log was restored from an older backup) while the shared
// backend still held its jobs. Importing is a fact like any other, so the job table, the
// replicator and a replay all see the same history; nothing is written behind the log's back.
import type { Job } from './job.js';

export interface JobImported {
  type: 'JobImported';
  jobId: string;
  at: number;
  /** The job as the backend had it (state/record.ts turns a record into this). */
  job: Job;
  /** Where it came from, e.g. "redis"; for the audit trail. */
  source: string;
  /** The record's version in the backend: the epoch of the log that wrote it and its position there. */
  sourceEpoch: number;
  sourcePosition: number;
}

/** A job that exists already wins over an import: the local log is the truth for what it holds. */
export function evolveImported(job: Job | undefined, event: JobImported): Job | undefined {
  return job ?? event.job;
}
