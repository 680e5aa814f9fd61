// The `local` backend: every record of this node in one JSON file, DATA_DIR/state/jobs.json,
// replaced whole on each batch (temp file, fsync, rename(2), fsync of the directory), so a crash
// leaves the old file or the new one, never a torn one. Whole-file writes cost O(records) per
// batch; batching keeps that to a few writes a second, and a node with very many records should
// use Redis or DynamoDB instead.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBackend } from './memoryBackend.js';
import type { JobRecord } from './record.js';

export const LOCAL_STATE_FILE = 'jobs.json';

interface FileShape { version: 1; records: JobRecord[] }

export class LocalBackend extends MemoryBackend {
  override readonly name: string = 'local';
  readonly file: string;
  // Set when memory holds records the file does not; a failed write leaves it set, so the retry
  // writes the file even though the records are no longer "newer" than memory.
  private dirty = false;

  constructor(private readonly dir: string) {
    super();
    this.file = join(dir, LOCAL_STATE_FILE);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let text: string | undefined;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`state file ${this.file}: read: ${(err as NodeJS.ErrnoException).code} (check its permissions)`);
    }
    if (text !== undefined) {
      let parsed: FileShape;
      try {
        parsed = JSON.parse(text) as FileShape;
      } catch (err) {
        throw new Error(`state file ${this.file}: not valid JSON: ${(err as Error).message} (move it aside; the State service rewrites it from the event log)`);
      }
      if (parsed?.version !== 1 || !Array.isArray(parsed.records)) throw new Error(`state file ${this.file}: expected { version: 1, records: [...] } (move it aside; the State service rewrites it from the event log)`);
      this.apply(parsed.records);
    }
  }

  override async write(records: JobRecord[]): Promise<void> {
    if (this.apply(records)) this.dirty = true;
    if (!this.dirty) return;
    const body: FileShape = { version: 1, records: [...this.records.values()] };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(body));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    // rename(2) is durable only once the directory entry is on disk (fsync(2) of the directory).
    const dirFd = openSync(this.dir, 'r');
    try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
    this.dirty = false;
  }
}
