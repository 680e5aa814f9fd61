// `joblet replay`: reads an event log offline and read-only (a copy, or the live log of a running
// daemon) and answers one question per run:
//   (no mode)        every event, one line each (or --json lines), narrowed by the filter flags
//   --at P           the job table as it was at position or time P
//   --job ID         one job's whole history
//   --verify         the hash chain, end to end; exit 2 at the first broken position
//   --export F|-     JSON lines for a SIEM or a bug report
//   --diff A B       what changed in the job table between two points
// It opens the log with MDB_RDONLY and never writes it (test/integration/replay.test.ts proves it).
import type { Writable } from 'node:stream';
import type { JobEvent } from '../events/jobEvents.js';
import { formatEventLine } from '../events/eventSummary.js';
import { matchesFilter, type EventFilter } from '../events/eventFilter.js';
import type { EventStore } from '../persist/eventStore.js';
import { verifyChain } from '../persist/hashChain.js';
import { toWireJob } from '../api/jobWire.js';
import { openLogReadOnly } from './openLog.js';
import { parseLogPoint, tableAt, describePoint } from './tableAt.js';
import { diffTables, formatDiff } from './tableDiff.js';
import { formatJobTable } from './tableText.js';
import { exportRecord } from './exportRecord.js';
import { LineSink } from './lineSink.js';

export interface ReplayOptions {
  /** Data dir, its events/ dir, or events.mdb. */
  path: string;
  at?: string;
  job?: string;
  verify?: boolean;
  /** A file, or `-` for stdout. */
  export?: string;
  diff?: [string, string];
  json?: boolean;
  /** Put job output into exports as base64 (default: its length only). */
  includeOutput?: boolean;
  /** Narrows the event listing and --export. */
  filter?: EventFilter;
}

/** Exit status: 0 fine, 2 the chain is broken. Other problems throw (the binary exits 1). */
export const EXIT_CHAIN_BROKEN = 2;

export async function runReplay(opts: ReplayOptions, stdout: Writable): Promise<number> {
  const modes = (['at', 'job', 'verify', 'export', 'diff'] as const).filter((m) => opts[m] !== undefined && opts[m] !== false);
  if (modes.length > 1) throw new Error(`replay: choose one of --${modes.join(', --')} per run`);
  const store = openLogReadOnly(opts.path);
  const out = LineSink.to(opts.export ?? '-', stdout);
  try {
    switch (modes[0]) {
      case 'at': {
        const point = parseLogPoint(opts.at!, '--at');
        const table = tableAt(store, point);
        await out.write(opts.json
          ? `${JSON.stringify({ at: describePoint(point), position: table.position, jobs: table.list().map(toWireJob) }, null, 2)}\n`
          : `job table at ${describePoint(point)} (log position ${table.position} of ${store.lastPosition})\n${formatJobTable(table.list())}`);
        return 0;
      }
      case 'job':
        await history(store, opts.job!, opts, out);
        return 0;
      case 'verify':
        return await verify(store, out);
      case 'diff': {
        const [a, b] = opts.diff!.map((p, i) => parseLogPoint(p, i === 0 ? '--diff A' : '--diff B'));
        const d = diffTables(tableAt(store, a), tableAt(store, b));
        await out.write(opts.json ? `${JSON.stringify({ from: describePoint(a), to: describePoint(b), ...d }, null, 2)}\n`
          : `job table changes from ${describePoint(a)} to ${describePoint(b)}\n${formatDiff(d)}`);
        return 0;
      }
      case 'export':
        await listEvents(store, opts.filter ?? {}, true, opts.includeOutput === true, out);
        return 0;
      default:
        await listEvents(store, opts.filter ?? {}, opts.json === true, opts.includeOutput === true, out);
        return 0;
    }
  } finally {
    await out.close();
    await store.close();
  }
}

async function listEvents(store: EventStore<JobEvent>, filter: EventFilter, json: boolean, includeOutput: boolean, out: LineSink): Promise<void> {
  const from = filter.fromPosition ?? 1;
  const to = filter.toPosition ?? Infinity;
  const events = filter.jobId !== undefined ? store.readJob(filter.jobId, from, to) : store.read(from, to);
  for (const { position, event } of events) {
    if (!matchesFilter(filter, position, event)) continue;
    await out.write(json ? `${JSON.stringify(exportRecord(position, event, store.hashAt(position), includeOutput))}\n`
      : `${formatEventLine(position, event)}\n`);
  }
}

async function history(store: EventStore<JobEvent>, idOrPrefix: string, opts: ReplayOptions, out: LineSink): Promise<void> {
  const jobId = findJob(store, idOrPrefix);
  if (!opts.json) await out.write(`history of job ${jobId}\n`);
  await listEvents(store, { ...opts.filter, jobId }, opts.json === true, opts.includeOutput === true, out);
}

/**
 * A full id, or a prefix of one that was ever submitted (deleted jobs included: their history is
 * still in the log, though no table shows them), found by scanning the log's submissions.
 */
function findJob(store: EventStore<JobEvent>, idOrPrefix: string): string {
  const ids = new Set<string>();
  for (const { event } of store.read()) {
    if (event.type === 'JobSubmitted' || event.type === 'JobImported') {
      if (event.jobId === idOrPrefix) return idOrPrefix;
      if (event.jobId.startsWith(idOrPrefix)) ids.add(event.jobId);
    }
  }
  if (ids.size === 1) return [...ids][0];
  if (ids.size === 0) throw new Error(`replay: no job ${idOrPrefix} in this log`);
  throw new Error(`replay: ${idOrPrefix} is the prefix of ${ids.size} jobs (${[...ids].slice(0, 3).join(', ')}, ...); give more of the id`);
}

async function verify(store: EventStore<JobEvent>, out: LineSink): Promise<number> {
  const r = verifyChain(store);
  if (r.ok) {
    const stubs = r.stubs > 0 ? ` (${r.stubs} compacted output events: legal stubs, their stored hashes trusted and linked)` : '';
    await out.write(`ok: ${r.checked} events verified (positions ${r.from}..${r.to})${stubs}, chain head ${r.head}\n`);
    return 0;
  }
  await out.write(`BROKEN at position ${r.position}: ${r.reason} (${r.checked} events before it verified)\n`);
  try {
    for (const { position, event } of store.read(r.position, r.position)) await out.write(`  ${formatEventLine(position, event, 36)}\n`);
  } catch (err) {
    await out.write(`  the event itself cannot be decoded: ${(err as Error).message}\n`);
  }
  return EXIT_CHAIN_BROKEN;
}
