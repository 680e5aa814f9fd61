// Which events a reader wants: the one filter shape behind `joblet replay`, the event tail and
// `rnx events`. Every field narrows; an empty filter matches everything.
import type { JobEvent } from './jobEvents.js';
import { callerOf } from './eventSummary.js';

export interface EventFilter {
  /** Inclusive position bounds. */
  fromPosition?: number;
  toPosition?: number;
  /** Inclusive time bounds on the event's `at` (Unix ms). */
  since?: number;
  until?: number;
  /** Exact job id. */
  jobId?: string;
  /** Event type names, e.g. ['JobSubmitted', 'RequestRejected']. */
  types?: readonly string[];
  /** Certificate CN of the caller; events without a caller never match. */
  callerCn?: string;
}

export function matchesFilter(f: EventFilter, position: number, event: JobEvent): boolean {
  if (f.fromPosition !== undefined && position < f.fromPosition) return false;
  if (f.toPosition !== undefined && position > f.toPosition) return false;
  if (f.since !== undefined && !(event.at >= f.since)) return false;
  if (f.until !== undefined && !(event.at <= f.until)) return false;
  if (f.jobId !== undefined && event.jobId !== f.jobId) return false;
  if (f.types !== undefined && f.types.length > 0 && !f.types.includes(event.type)) return false;
  if (f.callerCn !== undefined && callerOf(event)?.cn !== f.callerCn) return false;
  return true;
}
