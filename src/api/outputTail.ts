// The last N lines of a job's output, found in two passes so that memory does not depend on how
// long the lines are (a 100 MB line, tail 1): the first pass only notes where lines start, the
// second reads again from the cut and sends from there.
//
// What a "line" is (joblet.logs.v1 tail_lines, `rnx job log --tail N`): each stream's bytes are cut
// after every "\n"; an unterminated last piece is a line too. Lines of stdout and stderr are
// ordered by where they start (the log position of their first byte, then the offset in it), and
// the tail is the last N of that order. Each stream is sent from the start of its first line in
// the tail, so bytes stay exactly as written; a line that runs on across later chunks comes whole.
import type { OutputChunk } from './outputHistory.js';

const NEWLINE = 0x0a;
type Stream = OutputChunk['stream'];
const other = (s: Stream): Stream => (s === 'stdout' ? 'stderr' : 'stdout');

/** Where the tail begins: a line start, and whether the other stream was at a line start there. */
export interface TailCut { position: number; offset: number; stream: Stream; otherAtLineStart: boolean }

/** Offsets in `data` where a line starts, given whether the stream's previous byte ended a line. */
function lineStarts(data: Uint8Array, atLineStart: boolean): number[] {
  const starts = atLineStart && data.length > 0 ? [0] : [];
  for (let i = data.indexOf(NEWLINE); i !== -1 && i + 1 < data.length; i = data.indexOf(NEWLINE, i + 1)) starts.push(i + 1);
  return starts;
}

/** Pass 1: the starts of the last N lines, in a ring (memory grows with N, never with the bytes). */
export class TailFinder {
  private positions = new Float64Array(16);
  private offsets = new Uint32Array(16);
  private flags = new Uint8Array(16);  // bit 0: stderr; bit 1: the other stream was at a line start
  private count = 0;
  private head = 0;
  private readonly atLineStart = { stdout: true, stderr: true };

  constructor(private readonly lines: number) {}

  push(chunk: OutputChunk): void {
    const { data, stream, position } = chunk;
    if (this.lines === 0 || data.length === 0) return;
    const flag = (stream === 'stderr' ? 1 : 0) | (this.atLineStart[other(stream)] ? 2 : 0);
    for (const offset of lineStarts(data, this.atLineStart[stream])) this.note(position, offset, flag);
    this.atLineStart[stream] = data[data.length - 1] === NEWLINE;
  }

  /** 'none' for a tail of 0 lines, 'all' when there are no more lines than asked for. */
  cut(): TailCut | 'all' | 'none' {
    if (this.lines === 0) return 'none';
    if (this.count < this.lines) return 'all';
    const i = this.head;  // the ring is full: head is the oldest of the last N starts
    return { position: this.positions[i], offset: this.offsets[i], stream: this.flags[i] & 1 ? 'stderr' : 'stdout', otherAtLineStart: (this.flags[i] & 2) !== 0 };
  }

  private note(position: number, offset: number, flag: number): void {
    if (this.count < this.lines) {
      if (this.count === this.positions.length) this.grow(Math.min(this.lines, this.count * 2));
      this.positions[this.count] = position;
      this.offsets[this.count] = offset;
      this.flags[this.count] = flag;
      this.count++;
      return;
    }
    this.positions[this.head] = position;
    this.offsets[this.head] = offset;
    this.flags[this.head] = flag;
    this.head = (this.head + 1) % this.lines;
  }

  private grow(size: number): void {
    const p = new Float64Array(size); p.set(this.positions); this.positions = p;
    const o = new Uint32Array(size); o.set(this.offsets); this.offsets = o;
    const f = new Uint8Array(size); f.set(this.flags); this.flags = f;
  }
}

/** Pass 2, reading again from cut.position: what of each chunk belongs to the tail. */
export class TailCutter {
  private readonly sending = { stdout: false, stderr: false };
  private readonly atLineStart: Record<Stream, boolean>;

  constructor(private readonly cut: TailCut) {
    this.atLineStart = { stdout: true, stderr: true };
    this.atLineStart[other(cut.stream)] = cut.otherAtLineStart;
  }

  take(chunk: OutputChunk): OutputChunk | undefined {
    const { data, stream, position } = chunk;
    if (position < this.cut.position || data.length === 0) return undefined;
    if (this.sending[stream]) return chunk;
    let from: number | undefined;
    if (position === this.cut.position) from = this.cut.offset;  // the chunk the tail starts in
    else if (stream !== this.cut.stream) from = lineStarts(data, this.atLineStart[stream])[0];
    this.atLineStart[stream] = data[data.length - 1] === NEWLINE;
    if (from === undefined) return undefined;
    this.sending[stream] = true;
    return from === 0 ? chunk : { ...chunk, data: data.subarray(from) };
  }
}
