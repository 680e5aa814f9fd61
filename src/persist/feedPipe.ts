// The output bytes of the persist feed travel on a plain pipe beside the IPC channel
// (docs/decisions/0023). The channel's 'advanced' serialization copied every output chunk into
// each message (one more copy of all output in the daemon, and its CPU); a socket write sends the
// chunk's own memory. An 'events' message on the channel names each output event's length; the
// bytes follow on the pipe in the same order, so the child takes exactly those lengths, in
// message order, whether or not it then applies the message (a stale epoch still consumes its
// bytes, or every later message would read the wrong ones).
import type { Readable, Writable } from 'node:stream';

/** The fd of the data pipe in the child: stdio [ignore, inherit, inherit, ipc, pipe]. */
export const FEED_PIPE_FD = 4;

/** Daemon side: writes the chunks of one message, in order, as one batch of socket writes. */
export function writeFeedBytes(pipe: Writable, chunks: Uint8Array[]): void {
  if (chunks.length === 0) return;
  pipe.cork();
  for (const c of chunks) pipe.write(c);
  pipe.uncork();
}

/** Child side: hands out the pipe's bytes in order, `take(n)` at a time. */
export class FeedBytes {
  private chunks: Buffer[] = [];
  private have = 0;
  private readonly wants: { n: number; resolve(b: Buffer): void; reject(e: Error): void }[] = [];
  private ended: Error | undefined;

  constructor(source: Readable) {
    source.on('data', (c: Buffer) => { this.chunks.push(c); this.have += c.length; this.serve(); });
    const end = (reason: string) => { this.ended ??= new Error(`persist child: the feed's data pipe ${reason}`); this.serve(); };
    source.on('end', () => end('ended'));
    source.on('error', (err) => end(`failed: ${err.message}`));
  }

  /** The next `n` bytes of the pipe (requests are served in call order). */
  take(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.wants.push({ n, resolve, reject });
      this.serve();
    });
  }

  private serve(): void {
    while (this.wants.length > 0 && this.have >= this.wants[0].n) {
      const w = this.wants.shift()!;
      w.resolve(this.next(w.n));
    }
    if (this.ended) for (const w of this.wants.splice(0)) w.reject(this.ended);
  }

  private next(n: number): Buffer {
    this.have -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length >= n) {
      // Within one read: a view, and the rest stays queued.
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const part = Math.min(c.length, n - at);
      c.copy(out, at, 0, part);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    return out;
  }
}
