// State sync on start: after the daemon has replayed its own log, it asks the backend for this
// node's jobs and imports the ones its log has never seen — a node rebuilt with an empty disk gets
// its history back, and its scheduled jobs are re-queued by the runner like any other. Jobs the
// log knows (even deleted ones) are never imported: for them the local log is the truth.
import { isFinal, type Job } from '../events/job.js';
import type { JobEvent, JobImported } from '../events/jobEvents.js';
import type { StoredEvent } from '../persist/eventStore.js';
import { toJob, type JobRecord } from './record.js';

export interface SyncTarget {
  /** Has this job id ever appeared in the log? */
  known(jobId: string): boolean;
  /** Appends durably (the daemon's CommandHandler.append). */
  append(events: JobEvent[]): Promise<StoredEvent<JobEvent>[]>;
}

/** The JobImported events for `records` that belong to `nodeId` and that the log does not know. */
export function importsFor(records: JobRecord[], nodeId: string, known: (id: string) => boolean, at: number, source: string): JobImported[] {
  return records
    .filter((r) => r.nodeId === nodeId && !r.deleted && !known(r.uuid))
    .sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt) || a.uuid.localeCompare(b.uuid))
    .map((r) => ({
      type: 'JobImported', jobId: r.uuid, at, job: toJob(r) as Job, source,
      sourceEpoch: r.logEpoch, sourcePosition: r.position,
    }));
}

/** Imports this node's missing jobs; all in one append, so a crash imports all or none. */
export async function importMissing(records: JobRecord[], nodeId: string, target: SyncTarget, at: number, source: string): Promise<number> {
  const events = importsFor(records, nodeId, (id) => target.known(id), at, source);
  if (events.length > 0) await target.append(events);
  return events.length;
}

/** The daemon's step: ask the backend (through the State child), import, never block start for long. */
export async function syncJobsOnStart(o: {
  list(nodeId: string, timeoutMs: number): Promise<JobRecord[]>;
  store: { readJob(jobId: string, from?: number, to?: number): Iterable<unknown> };
  table: { get(jobId: string): unknown };
  append: SyncTarget['append'];
  /**
   * Makes an unfinished imported job runnable here (its work dir). Uploads and secret values do
   * not travel through the backend (secret values never leave a node), so it runs without them.
   */
  prepare(jobId: string): void;
  nodeId: string;
  settings: { backend: string; syncOnStart: boolean; syncTimeoutMs: number };
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
}): Promise<number> {
  // `memory` starts empty with its child: there is nothing to import from it.
  if (!o.settings.syncOnStart || o.settings.backend === 'memory') return 0;
  const known = (id: string) => {
    if (o.table.get(id) !== undefined) return true;
    for (const _ of o.store.readJob(id)) return true;
    return false;
  };
  try {
    const records = await o.list(o.nodeId, o.settings.syncTimeoutMs);
    const append: SyncTarget['append'] = (events) => {
      for (const e of events) if (e.type === 'JobImported' && !isFinal(e.job)) o.prepare(e.jobId);
      return o.append(events);
    };
    const imported = await importMissing(records, o.nodeId, { known, append }, Date.now(), o.settings.backend);
    if (imported > 0) o.log.info({ backend: o.settings.backend, imported }, 'imported jobs from the state backend');
    return imported;
  } catch (err) {
    // Serving without the sync beats not serving: jobs the log holds are all there, and a later
    // start imports what this one could not.
    o.log.warn({ backend: o.settings.backend, err: (err as Error).message }, 'state sync on start failed; serving without it (restart to retry)');
    return 0;
  }
}
