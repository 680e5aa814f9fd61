// Which finished jobs' files retention removes: every job older than the retention age, then the
// oldest finished jobs while all persist files together exceed the size cap. Running jobs' files
// count toward the total but are never chosen (their output is still being written).
// Pure: the caller passes the clock, so tests decide what "old" means without sleeping.

export interface RetentionSettings {
  /** Finished jobs' files older than this (ms since the job ended) are removed; 0 = no age limit. */
  retentionMs: number;
  /** All persist files together stay under this many bytes; 0 = no size limit. */
  maxTotalBytes: number;
}

export interface FinishedJobFiles { jobId: string; endedAt: number; bytes: number }

export function chooseForRemoval(finished: Iterable<FinishedJobFiles>, openBytes: number, settings: RetentionSettings, now: number): string[] {
  const jobs = [...finished].sort((a, b) => a.endedAt - b.endedAt || (a.jobId < b.jobId ? -1 : 1));
  let total = openBytes + jobs.reduce((sum, j) => sum + j.bytes, 0);
  const out: string[] = [];
  for (const j of jobs) {
    const tooOld = settings.retentionMs > 0 && now - j.endedAt > settings.retentionMs;
    const tooBig = settings.maxTotalBytes > 0 && total > settings.maxTotalBytes;
    if (!tooOld && !tooBig) break;  // sorted oldest first: nothing later is older or needed
    out.push(j.jobId);
    total -= j.bytes;
  }
  return out;
}
