// The seam between output readers (GetJobLogs, joblet.logs.v1) and where older output lives.
// Output first enters the event log; once the persist service has stored it in its log files and
// checkpointed, compaction may empty those events' data (JobOutputWritten.compactedBytes). A reader
// (src/api/outputStream.ts) reads the log; at a compacted event it takes the history from that
// position up to `upTo`, then follows the log again from upTo + 1. That loop is what makes the
// switch-over gap-free and duplicate-free, and output never compacted never waits on persist.

export interface OutputChunk {
  /** the log position of the JobOutputWritten event these bytes came from */
  position: number;
  /** Unix ms the bytes were captured */
  at: number;
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

export interface OutputHistory {
  /**
   * The job's output the history holds at positions in [fromPosition, upTo], in position order.
   * upTo is how far the history is complete (the persist checkpoint); fromPosition - 1 when it
   * holds nothing from there on, so the caller reads the log instead.
   */
  read(jobId: string, fromPosition: number): Promise<{ upTo: number; chunks: AsyncIterable<OutputChunk> }>;
}

/** Until a persist service is attached, everything is still in the log. */
export const LOG_ONLY_HISTORY: OutputHistory = {
  async read(_jobId, fromPosition) {
    return { upTo: fromPosition - 1, chunks: (async function* () { /* nothing */ })() };
  },
};
