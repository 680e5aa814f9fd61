// One event as a JSON object for `--export` (a SIEM, a bug report): the same shape for every
// type, with the event's own fields under `fields`. Output bytes are left out and replaced by their
// length unless asked for (as base64): a job may print anything, including what its secrets unlock.
import type { JobEvent } from '../events/jobEvents.js';
import { callerOf } from '../events/eventSummary.js';

export interface ExportRecord {
  position: number;
  time: string;
  at: number;
  type: string;
  jobId: string | null;
  caller: { cn: string; role: string; peer?: string; ou?: string } | null;
  /** hex SHA-256 chain hash stored for this position (null on an unchained legacy log). */
  hash: string | null;
  fields: Record<string, unknown>;
}

export function exportRecord(position: number, event: JobEvent, hash: Buffer | undefined, includeOutput: boolean): ExportRecord {
  const { type, at, jobId, ...rest } = event as JobEvent & { by?: unknown };
  delete (rest as { by?: unknown }).by;
  const fields: Record<string, unknown> = { ...rest };
  if (event.type === 'JobOutputWritten') {
    delete fields.data;
    // A compacted event's bytes live in the persist service's files: say so instead of "0 bytes".
    fields.bytes = event.compactedBytes ?? event.data.length;
    if (includeOutput && event.compactedBytes === undefined) fields.dataBase64 = Buffer.from(event.data).toString('base64');
  }
  return {
    position,
    time: Number.isFinite(at) ? new Date(at).toISOString() : String(at),
    at,
    type,
    jobId: jobId ?? null,
    caller: callerOf(event) ?? null,
    hash: hash ? hash.toString('hex') : null,
    fields,
  };
}
