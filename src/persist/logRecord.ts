// The record format of a job's output log file (DATA_DIR/logs/<jobId>/output.log, and the same
// bytes gzipped in output.log.gz once the job ends). One file holds both streams in log order;
// each record carries what a history query filters on, so history can be cut exactly at a log
// position and selected by stream or capture time:
//   u32 LE data length | u8 stream (1 stdout, 2 stderr) | u8 format (1) | u16 zero
//   f64 LE log position | f64 LE capture time (Unix ms) | data
// Positions and times are integers below 2^53, so a double holds them exactly.

export const RECORD_HEADER_BYTES = 24;
const FORMAT = 1;

export type StreamName = 'stdout' | 'stderr';

export interface LogRecord {
  position: number;
  at: number;
  stream: StreamName;
  data: Uint8Array;
}

export function encodeRecordHeader(r: { position: number; at: number; stream: StreamName; length: number }): Buffer {
  const h = Buffer.alloc(RECORD_HEADER_BYTES);
  h.writeUInt32LE(r.length, 0);
  h.writeUInt8(r.stream === 'stderr' ? 2 : 1, 4);
  h.writeUInt8(FORMAT, 5);
  h.writeDoubleLE(r.position, 8);
  h.writeDoubleLE(r.at, 16);
  return h;
}

export function encodeRecord(r: LogRecord): Buffer {
  return Buffer.concat([encodeRecordHeader({ ...r, length: r.data.length }), r.data]);
}

/**
 * Splits a byte stream into records. Feed it chunks in order; it yields each complete record and
 * keeps a partial tail for the next chunk. A file being appended to may end mid-record: the
 * caller simply stops there (records up to the checkpoint are always complete).
 */
export class RecordParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private consumed = 0;

  *push(chunk: Buffer): Generator<LogRecord> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < RECORD_HEADER_BYTES) return;
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    while (buf.length - at >= RECORD_HEADER_BYTES) {
      const length = buf.readUInt32LE(at);
      const format = buf.readUInt8(at + 5);
      if (format !== FORMAT) throw new Error(`output log: record at byte ${this.consumed + at} has format ${format}, this build reads ${FORMAT}`);
      if (buf.length - at < RECORD_HEADER_BYTES + length) break;
      const stream: StreamName = buf.readUInt8(at + 4) === 2 ? 'stderr' : 'stdout';
      const position = buf.readDoubleLE(at + 8);
      const time = buf.readDoubleLE(at + 16);
      // A copy: the caller may keep the record after the next chunk replaces this buffer.
      const data = Buffer.from(buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length));
      at += RECORD_HEADER_BYTES + length;
      yield { position, at: time, stream, data };
    }
    this.consumed += at;
    buf = buf.subarray(at);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingBytes = buf.length;
  }

  /** Bytes of an incomplete record left at the end (0 when the input ended on a boundary). */
  get leftover(): number { return this.pendingBytes; }
}

/** All records of a whole buffer (tests, small files). */
export function decodeRecords(bytes: Buffer): LogRecord[] {
  const p = new RecordParser();
  const out = [...p.push(bytes)];
  if (p.leftover > 0) throw new Error(`output log: ${p.leftover} bytes of an incomplete record at the end`);
  return out;
}
