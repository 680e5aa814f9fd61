// The last N lines of a job's output, kept while the output so far streams past, so a tail of a
// long history costs memory for those lines only, never for the whole output.
//
// What a "line" is (joblet.logs.v1 tail_lines, `rnx job log --tail N`): each stream's bytes are cut
// after every "\n"; an unterminated last piece is a line too. Lines of stdout and stderr are
// ordered by where they start (the log position of their first byte, then the offset in it), and
// the tail is the last N of that order. Each stream is sent from the start of its first line in
// the tail, so bytes stay exactly as written; a line that runs on across later chunks comes whole.
import type { OutputChunk } from './outputHistory.js';

const NEWLINE = 0x0a;

interface Held {
  chunk: OutputChunk;
  /** offsets in chunk.data where a line starts */
  starts: number[];
}

export class TailWindow {
  private held: Held[] = [];
  private head = 0;
  private startsHeld = 0;
  private readonly atLineStart = { stdout: true, stderr: true };

  constructor(private readonly lines: number) {}

  push(chunk: OutputChunk): void {
    const { data, stream } = chunk;
    if (this.lines === 0 || data.length === 0) return;
    const starts: number[] = this.atLineStart[stream] ? [0] : [];
    for (let i = data.indexOf(NEWLINE); i !== -1 && i + 1 < data.length; i = data.indexOf(NEWLINE, i + 1)) starts.push(i + 1);
    this.atLineStart[stream] = data[data.length - 1] === NEWLINE;
    this.held.push({ chunk, starts });
    this.startsHeld += starts.length;
    // Forget the oldest chunk once the newer ones alone hold N line starts: nothing in it can be
    // part of the tail (a line it begins starts before the last N).
    while (this.held.length - this.head > 1 && this.startsHeld - this.held[this.head].starts.length >= this.lines) {
      this.startsHeld -= this.held[this.head].starts.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }

  /** The tail, as chunks in position order (the first chunk of each stream may be cut to a line start). */
  take(): OutputChunk[] {
    const held = this.held.slice(this.head);
    this.held = [];
    this.head = 0;
    const skip = Math.max(0, this.startsHeld - this.lines);
    const sending = { stdout: false, stderr: false };
    const out: OutputChunk[] = [];
    let seen = 0;
    for (const { chunk, starts } of held) {
      if (sending[chunk.stream]) {
        out.push(chunk);
        seen += starts.length;
        continue;
      }
      let from = -1;
      for (const s of starts) {
        if (from < 0 && seen >= skip) from = s;
        seen++;
      }
      if (from < 0) continue;
      sending[chunk.stream] = true;
      out.push(from === 0 ? chunk : { ...chunk, data: chunk.data.subarray(from) });
    }
    return out;
  }
}
