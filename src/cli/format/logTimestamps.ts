// `rnx job log --timestamps`: each line of output prefixed with the RFC 3339 time (UTC, ms) its
// first byte was captured, then one space. Lines are tracked per stream, because stdout and
// stderr chunks interleave and a line of one may still be open while the other prints.

const NEWLINE = 0x0a;

export class LineStamper {
  private readonly atLineStart = { stdout: true, stderr: true };

  /** The chunk with a prefix before every line that starts in it. */
  stamp(stream: 'stdout' | 'stderr', data: Uint8Array, atMs: number): Buffer {
    if (data.length === 0) return Buffer.alloc(0);
    const prefix = Buffer.from(`${new Date(atMs).toISOString()} `);
    const parts: Uint8Array[] = [];
    let from = 0;
    if (this.atLineStart[stream]) parts.push(prefix);
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, nl + 1)) {
      parts.push(data.subarray(from, nl + 1));
      from = nl + 1;
      if (from < data.length) parts.push(prefix);
    }
    if (from < data.length) parts.push(data.subarray(from));
    this.atLineStart[stream] = data[data.length - 1] === NEWLINE;
    return Buffer.concat(parts);
  }
}
