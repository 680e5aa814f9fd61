// The daemon's side of the output spool the supervisor writes (native/spool.c has the format):
//   "JSPOOL1\n", then records: u8 stream (1 stdout, 2 stderr), 3 zero bytes, u32 length,
//   u64 unix ms, then `length` bytes (little endian, length <= 64 KiB).
// The daemon reads from the offset up to which the log already holds the output, so after a
// restart it neither repeats nor skips a byte.
import { open, stat } from 'node:fs/promises';
import { closeSync, fstatSync, openSync, read, readSync, statSync } from 'node:fs';

export const SPOOL_FILE = 'output.spool';
export const SPOOL_MAGIC = Buffer.from('JSPOOL1\n');
export const SPOOL_HEADER = 16;
export const SPOOL_MAX_PAYLOAD = 65536;
/** Where the first record starts: the offset of a job that has written nothing yet. */
export const SPOOL_START = SPOOL_MAGIC.length;

export interface SpoolRecord {
  stream: 'stdout' | 'stderr';
  at: number;
  data: Buffer;
  /** offset just past this record */
  end: number;
}

/** Why a header is not a record header, or undefined if it is one. */
export function badHeader(h: Buffer): string | undefined {
  if (h[0] !== 1 && h[0] !== 2) return `stream byte ${h[0]} (want 1 or 2)`;
  if (h[1] !== 0 || h[2] !== 0 || h[3] !== 0) return 'reserved bytes not zero';
  if (h.readUInt32LE(4) > SPOOL_MAX_PAYLOAD) return `length ${h.readUInt32LE(4)} above ${SPOOL_MAX_PAYLOAD}`;
  return undefined;
}

/** Parses the complete records in buf (read at file offset base); a torn last one is left for later. */
export function parseRecords(buf: Buffer, base: number, file: string): { records: SpoolRecord[]; next: number } {
  const records: SpoolRecord[] = [];
  let i = 0;
  while (buf.length - i >= SPOOL_HEADER) {
    const h = buf.subarray(i, i + SPOOL_HEADER);
    const bad = badHeader(h);
    if (bad) throw new Error(`spool ${file}: no record at offset ${base + i}: ${bad}`);
    const len = h.readUInt32LE(4);
    if (buf.length - i < SPOOL_HEADER + len) break;
    const at = Number(h.readBigUInt64LE(8));
    // a view, not a copy: the read buffer lives only as long as its records (one read's worth)
    records.push({ stream: h[0] === 1 ? 'stdout' : 'stderr', at, data: buf.subarray(i + SPOOL_HEADER, i + SPOOL_HEADER + len), end: base + i + SPOOL_HEADER + len });
    i += SPOOL_HEADER + len;
  }
  return { records, next: base + i };
}

/** The complete records from `from` on, reading at most about maxBytes; [] when none is complete yet. */
export async function readRecords(file: string, from: number, maxBytes = 1 << 20): Promise<{ records: SpoolRecord[]; next: number }> {
  // most wake-ups (the poll, a status change) find nothing new: one stat, no open, no buffer
  const size = (await stat(file)).size;
  if (size - from < SPOOL_HEADER) return { records: [], next: from };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(size - from, Math.max(maxBytes, SPOOL_HEADER + SPOOL_MAX_PAYLOAD)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    return parseRecords(buf.subarray(0, bytesRead), from, file);
  } finally {
    await fh.close();
  }
}

// Reads up to this size are done in place: the spool was just written, so they are copies from
// the page cache of a few µs, where a trip through the thread pool costs ~25 µs of CPU (a job
// printing a line every 10 ms is read once per line). Bigger reads go to the thread pool.
const SYNC_READ_MAX = 64 * 1024;
// Buffers for the bigger reads, reused: a flood reads ~1 MiB at a time, and a fresh buffer per
// read made the daemon's V8 run a full GC every few dozen MiB for the external memory alone.
// A buffer comes back once its records are copied out (SpoolChunk.release); a few are kept.
const POOL_KEEP = 4;
const pool: Buffer[] = [];
const NO_RELEASE = () => {};

/** Complete records read at once; their `data` are views of a read buffer, valid until release(). */
export interface SpoolChunk { records: SpoolRecord[]; next: number; release(): void }

/**
 * One job's spool, read from one open descriptor for the job's whole life: a tail reads it once
 * per wake-up, and a flood makes that hundreds of times a second, so an open, a stat and a close
 * per read (readRecords) would cost more than the read itself. fstat (a few µs, never blocks on a
 * local file) skips the read when nothing complete is new.
 */
export class SpoolReader {
  private fd: number | undefined;
  private reading = false;
  private closed = false;

  constructor(readonly file: string) {}

  /** Whether the spool is open (read once found); until then `read` throws ENOENT while there is none. */
  get isOpen(): boolean { return this.fd !== undefined; }

  /**
   * The complete records from `from` on, reading at most about maxBytes; [] when none is complete
   * yet. Throws ENOENT while there is no spool. Call release() once the records' bytes are copied
   * out (a big read's buffer is reused); a chunk never released only costs its buffer's reuse.
   */
  async read(from: number, maxBytes = 1 << 20): Promise<SpoolChunk> {
    if (this.closed) return { records: [], next: from, release: NO_RELEASE };
    this.fd ??= openSync(this.file, 'r');
    const size = fstatSync(this.fd).size;
    if (size - from < SPOOL_HEADER) return { records: [], next: from, release: NO_RELEASE };
    const want = Math.min(size - from, Math.max(maxBytes, SPOOL_HEADER + SPOOL_MAX_PAYLOAD));
    const fd = this.fd;
    if (want <= SYNC_READ_MAX) {
      const small = Buffer.allocUnsafe(want);
      return { ...parseRecords(small.subarray(0, readSync(fd, small, 0, want, from)), from, this.file), release: NO_RELEASE };
    }
    let buf = pool.pop();
    if (!buf || buf.length < want) buf = Buffer.allocUnsafeSlow(Math.max(want, maxBytes, SPOOL_HEADER + SPOOL_MAX_PAYLOAD));
    const own = buf;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (pool.length < POOL_KEEP) pool.push(own);
    };
    this.reading = true;
    try {
      const bytesRead = await new Promise<number>((resolve, reject) => read(fd, own, 0, want, from, (err, n) => (err ? reject(err) : resolve(n))));
      return { ...parseRecords(own.subarray(0, bytesRead), from, this.file), release };
    } catch (err) {
      release();
      throw err;
    } finally {
      this.reading = false;
      // a close() that came during the read: the number must not be reused under a pending read
      if (this.closed) this.release();
    }
  }

  close(): void {
    this.closed = true;
    if (!this.reading) this.release();
  }

  private release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Checks, before a restarted daemon resumes from `offset`, that the spool is one and still holds
 * what the log says was read: the magic, a size of at least `offset`, and a record header (or
 * nothing yet) at `offset`. Returns the problem, or undefined.
 */
export function checkSpool(file: string, offset: number): string | undefined {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const magic = Buffer.alloc(SPOOL_MAGIC.length);
    const n = readSync(fd, magic, 0, magic.length, 0);
    if (n < magic.length || !magic.equals(SPOOL_MAGIC)) return `not an output spool (it does not start with ${JSON.stringify(SPOOL_MAGIC.toString())})`;
    if (size < offset) return `truncated: ${size} bytes, but the event log already holds its output up to offset ${offset}`;
    if (size - offset >= SPOOL_HEADER) {
      const h = Buffer.alloc(SPOOL_HEADER);
      readSync(fd, h, 0, SPOOL_HEADER, offset);
      const bad = badHeader(h);
      if (bad) return `no record at offset ${offset}, where the event log says the unread output starts: ${bad}`;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
