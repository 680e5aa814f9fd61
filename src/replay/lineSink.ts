// Buffered text output for replay: lines are gathered into ~64 KiB chunks (a million events would
// otherwise be a million writes), and a slow reader (a pipe into less or a SIEM shipper) pauses
// the replay through the stream's 'drain' instead of letting output pile up in memory.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;

export class LineSink {
  private buffered: string[] = [];
  private size = 0;

  constructor(private readonly stream: Writable, private readonly ownsStream: boolean) {}

  /** `-` is stdout; anything else a file created (or truncated) with mode 0600, since exports are audit data. */
  static to(target: string, stdout: Writable): LineSink {
    return target === '-' ? new LineSink(stdout, false) : new LineSink(createWriteStream(target, { mode: 0o600 }), true);
  }

  async write(text: string): Promise<void> {
    this.buffered.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve, reject) => {
      this.stream.once('drain', resolve);
      this.stream.once('error', reject);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.ownsStream) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(resolve);
    });
  }
}
