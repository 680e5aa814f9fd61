// A real event log holding mostly job output, as a busy daemon writes it: per job a JobStarted,
// then 64 KiB JobOutputWritten chunks with growing spool offsets. Shared by the compaction tests,
// their crash child and bench/compaction.
import type { JobEvent } from '../../src/events/jobEvents.js';
import { EventStore } from '../../src/persist/eventStore.js';

export const CHUNK_BYTES = 64 * 1024;
const CHUNKS_PER_APPEND = 16;

export function outputLog(dir: string): EventStore<JobEvent> {
  return EventStore.open<JobEvent>({ path: dir });
}

/** Appends about `bytes` of output (whole 64 KiB chunks) for a few jobs; `round` varies job ids and content. */
export async function writeOutputLog(store: EventStore<JobEvent>, bytes: number, round: number): Promise<{ events: number }> {
  const jobs = Array.from({ length: 4 }, (_, j) => `job-${round}-${j}`);
  const spool = new Map(jobs.map((id) => [id, 0]));
  let events = (await store.append(jobs.map((jobId, j) => ({ type: 'JobStarted', jobId, at: Date.now(), pid: 1000 + j })))).length;
  const data = new Uint8Array(CHUNK_BYTES).fill(65 + (round % 26));
  for (let written = 0; written < bytes;) {
    const batch: JobEvent[] = [];
    for (let k = 0; k < CHUNKS_PER_APPEND && written < bytes; k++, written += CHUNK_BYTES) {
      const jobId = jobs[(written / CHUNK_BYTES) % jobs.length];
      const end = spool.get(jobId)! + CHUNK_BYTES;
      spool.set(jobId, end);
      batch.push({ type: 'JobOutputWritten', jobId, at: Date.now(), stream: 'stdout', data, spoolEnd: end });
    }
    events += (await store.append(batch)).length;
  }
  events += (await store.append(jobs.map((jobId) => ({ type: 'JobFinished', jobId, at: Date.now(), status: 'COMPLETED', exitCode: 0 })))).length;
  return { events };
}
