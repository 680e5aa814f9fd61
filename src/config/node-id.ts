// The node id names this daemon in client configs and job records, so it must survive restarts and
// crashes: it is generated once and kept in DATA_DIR/node-id.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The id in DATA_DIR/node-id, creating it (a UUID, mode 0644) on first use. */
export function ensureNodeId(dataDir: string): string {
  const file = join(dataDir, 'node-id');
  const existing = readId(file);
  if (existing !== null) return existing;

  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  // Write a temp file, fsync it, then link(2) it into place: link fails with EEXIST instead of
  // replacing, so two daemons starting at once agree on one id, and nobody ever reads a file that
  // exists but is still empty (which a plain open(O_CREAT|O_EXCL) + write would allow).
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, `${randomUUID()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  const id = readId(file);
  if (id === null) throw new Error(`node id ${file}: vanished right after it was created (is something deleting ${dataDir}?)`);
  return id;
}

function readId(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const id = text.trim();
  if (!ID.test(id)) {
    throw new Error(`node id ${file}: must hold one id of 1-64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(id.slice(0, 80))}); fix or delete the file`);
  }
  return id;
}
