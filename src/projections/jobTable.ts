// The job table: the projection that answers List and Status. It is rebuilt from a snapshot plus
// the tail of the log on start, so it holds nothing that the log does not.
import type { Job } from '../events/job.js';
import type { JobEvent } from '../events/jobEvents.js';
import { evolve } from '../events/jobEvents.js';
import { notFound } from '../events/errors.js';

/** Output totals per job; kept beside the job so status and history can show them without a scan. */
export interface OutputTotals {
  stdoutBytes: number;
  stderrBytes: number;
}

export interface JobTableSnapshot {
  position: number;
  jobs: Job[];
  output: [string, OutputTotals][];
}

export const MIN_PREFIX = 8;

export class JobTable {
  private readonly jobs = new Map<string, Job>();
  private readonly output = new Map<string, OutputTotals>();
  /** Position of the last event applied; events at or below it are ignored (idempotent replay). */
  position = 0;

  apply(position: number, event: JobEvent): void {
    if (position <= this.position) return;
    this.position = position;
    // A refused request (RequestRejected) may name no job; it never changes one either way.
    if (event.jobId === undefined) return;
    const next = evolve(this.jobs.get(event.jobId), event);
    if (next) this.jobs.set(event.jobId, next);
    else {
      this.jobs.delete(event.jobId);
      this.output.delete(event.jobId);
    }
    if (event.type === 'JobOutputWritten' && next) {
      // A new object each time: snapshots and restored tables share these, so never mutate one.
      const t = this.output.get(event.jobId) ?? { stdoutBytes: 0, stderrBytes: 0 };
      const n = event.compactedBytes ?? event.data.length;  // a compaction stub keeps the count
      this.output.set(event.jobId, event.stream === 'stdout'
        ? { stdoutBytes: t.stdoutBytes + n, stderrBytes: t.stderrBytes }
        : { stdoutBytes: t.stdoutBytes, stderrBytes: t.stderrBytes + n });
    }
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  outputTotals(id: string): OutputTotals {
    return this.output.get(id) ?? { stdoutBytes: 0, stderrBytes: 0 };
  }

  /** Full id or a unique prefix of at least 8 characters; anything else is "job not found". */
  resolve(idOrPrefix: string): Job {
    const exact = this.jobs.get(idOrPrefix);
    if (exact) return exact;
    if (idOrPrefix.length < MIN_PREFIX) throw notFound(idOrPrefix);
    let found: Job | undefined;
    for (const [id, job] of this.jobs) {
      if (!id.startsWith(idOrPrefix)) continue;
      if (found) throw notFound(`${idOrPrefix} (prefix matches more than one job)`);
      found = job;
    }
    if (!found) throw notFound(idOrPrefix);
    return found;
  }

  /** Jobs in submission order (oldest first), as Joblet lists them. */
  list(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.submittedAt - b.submittedAt || a.id.localeCompare(b.id));
  }

  snapshot(): JobTableSnapshot {
    return { position: this.position, jobs: [...this.jobs.values()], output: [...this.output.entries()] };
  }

  static fromSnapshot(s: JobTableSnapshot): JobTable {
    const t = new JobTable();
    t.position = s.position;
    for (const job of s.jobs) t.jobs.set(job.id, job);
    for (const [id, totals] of s.output) t.output.set(id, totals);
    return t;
  }
}
