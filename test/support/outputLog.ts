// A real event log holding mostly job output, as a busy daemon writes it: per job a JobStarted,
// then 64 KiB JobOutputWritten chunks with growing spool offsets. Shared by the compaction tests,
// their crash child and bench/compaction.
import type { JobEvent } from '../../src/events/jobEvents.js';
import { EventStore } from '../../src/persist/eventStore.js';

export const CHUNK_BYTES = 64 * 1024;
const BYTES_PER_APPEND = 1024 * 1024;

export function outputLog(dir: string): EventStore<JobEvent> {
  return EventStore.open<JobEvent>({ path: dir });
}

/** Appends about `bytes` of output (whole chunks, 64 KiB by default) for a few jobs; `round` varies job ids and content. */
export async function writeOutputLog(store: EventStore<JobEvent>, bytes: number, round: number, chunkBytes = CHUNK_BYTES): Promise<{ events: number }> {
  const jobs = Array.from({ length: 4 }, (_, j) => `job-${round}-${j}`);
  const spool = new Map(jobs.map((id) => [id, 0]));
  let events = (await store.append(jobs.map((jobId, j) => ({ type: 'JobStarted', jobId, at: Date.now(), pid: 1000 + j })))).length;
  const data = new Uint8Array(chunkBytes).fill(65 + (round % 26));
  const perAppend = Math.max(1, Math.floor(BYTES_PER_APPEND / chunkBytes));
  for (let written = 0; written < bytes;) {
    const batch: JobEvent[] = [];
    for (let k = 0; k < perAppend && written < bytes; k++, written += chunkBytes) {
      const jobId = jobs[(written / chunkBytes) % jobs.length];
      const end = spool.get(jobId)! + chunkBytes;
      spool.set(jobId, end);
      batch.push({ type: 'JobOutputWritten', jobId, at: Date.now(), stream: 'stdout', data, spoolEnd: end });
    }
    events += (await store.append(batch)).length;
  }
  events += (await store.append(jobs.map((jobId) => ({ type: 'JobFinished', jobId, at: Date.now(), status: 'COMPLETED', exitCode: 0 })))).length;
  return { events };
}
