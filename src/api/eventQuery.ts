// TailEventsRequest → a checked query: where to start reading, what to keep. Bad input is
// INVALID_ARGUMENT naming the field (invariant 7); an unknown job is NOT_FOUND, as in JobService.
import type { JobEvent } from '../events/jobEvents.js';
import type { EventFilter } from '../events/eventFilter.js';
import { invalid } from '../events/errors.js';
import type { EventStore } from '../persist/eventStore.js';
import type { JobTable } from '../projections/jobTable.js';
import type { TailEventsRequest__Output } from '../gen/joblet/events/v1/TailEventsRequest.js';
import { EVENT_TYPES } from './eventWire.js';

export interface TailQuery {
  /** First position to read (≥ 1). */
  from: number;
  filter: EventFilter;
  /** Set when the request named a job: reads go through the store's per-job index. */
  jobId?: string;
  nodeId?: string;
  follow: boolean;
  includeOutput: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
// Job ids are UUIDs; a longer reference cannot be one, and is not worth an index lookup.
const MAX_ID_LENGTH = 64;
// Times are stamped by the daemon's clock when a command is decided, so they are nearly but not
// strictly in position order (concurrent commands, clock steps). The search for the first event
// at `since` starts this much earlier, and the exact time filter does the rest.
const SINCE_SLACK_MS = 60_000;

export function parseTailRequest(req: TailEventsRequest__Output, store: EventStore<JobEvent>, table: JobTable): TailQuery {
  const filter: EventFilter = {};
  const from = Number(req.from_position || 0);
  if (!Number.isSafeInteger(from) || from < 0) throw invalid('from_position', `must be a position >= 0 (got ${req.from_position})`);
  let start = Math.max(1, from);
  if (req.since) {
    if (!RFC3339.test(req.since) || Number.isNaN(Date.parse(req.since))) throw invalid('since', `"${req.since}" is not an RFC 3339 time (like 2025-01-02T15:04:05Z)`);
    filter.since = Date.parse(req.since);
    start = Math.max(start, firstPositionAt(store, filter.since - SINCE_SLACK_MS));
  }
  const unknown = req.types.filter((t) => !(EVENT_TYPES as string[]).includes(t));
  if (unknown.length > 0) throw invalid('types', `unknown event type ${unknown.map((t) => JSON.stringify(t)).join(', ')} (known: ${EVENT_TYPES.join(', ')})`);
  if (req.types.length > 0) filter.types = req.types;
  if (req.caller_cn) filter.callerCn = req.caller_cn;
  const jobId = req.job_id ? resolveJob(req.job_id, store, table) : undefined;
  if (jobId) filter.jobId = jobId;
  return { from: start, filter, ...(jobId ? { jobId } : {}), ...(req.node_id ? { nodeId: req.node_id } : {}), follow: req.follow, includeOutput: req.include_output };
}

/**
 * An id with events in the log is taken as is (the per-job index), so a deleted job's history
 * stays readable; anything else is resolved as a prefix against the job table, as every other RPC does.
 */
function resolveJob(ref: string, store: EventStore<JobEvent>, table: JobTable): string {
  if (ref.length <= MAX_ID_LENGTH) for (const _ of store.readJob(ref)) return ref;
  return table.resolve(ref).id;
}

/** The first position whose time is at or after `at` (binary search; lastPosition + 1 if none). */
function firstPositionAt(store: EventStore<JobEvent>, at: number): number {
  let lo = 1;
  let hi = store.lastPosition + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    let t = Infinity;
    for (const { event } of store.read(mid, mid)) t = event.at;
    if (t < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
