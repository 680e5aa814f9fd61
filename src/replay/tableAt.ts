// The job table as it was at a point of the log. A point is a position or a time; a time means the
// longest prefix of the log whose events all happened at or before it. A prefix, not "every event
// with at <= T", because log order is the truth: event times come from the daemon's clock and may
// step backwards, and only a prefix is a state the daemon really had.
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore } from '../persist/eventStore.js';
import { JobTable } from '../projections/jobTable.js';

export type LogPoint = { position: number } | { time: number };

/** `1234` is a position; anything else must be a date Date.parse reads (RFC 3339 recommended). */
export function parseLogPoint(text: string, flag: string): LogPoint {
  const t = String(text).trim();
  if (/^\d+$/.test(t)) return { position: Number(t) };
  const time = Date.parse(t);
  if (Number.isNaN(time)) throw new Error(`replay: ${flag}: "${t}" is neither a log position (an integer) nor a time such as 2025-01-31T12:00:00Z`);
  return { time };
}

/** Replays the log from position 1 up to the point, in a fresh table (no snapshot: the snapshot could be what is being debugged). */
export function tableAt(store: EventStore<JobEvent>, point: LogPoint): JobTable {
  const table = new JobTable();
  const to = 'position' in point ? Math.min(point.position, store.lastPosition) : store.lastPosition;
  for (const { position, event } of store.read(1, to)) {
    if ('time' in point && !(event.at <= point.time)) break;
    table.apply(position, event);
  }
  return table;
}

export function describePoint(point: LogPoint): string {
  return 'position' in point ? `position ${point.position}` : new Date(point.time).toISOString();
}
