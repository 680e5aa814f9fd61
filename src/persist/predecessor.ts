// One persist child per data dir. A child whose daemon was killed exits as soon as its IPC channel
// closes, but it may be mid-way through a write when the next daemon starts its own child; two
// writers on the same files would corrupt them. So each child records its pid in
// DATA_DIR/run/persist.pid, and a new one first waits for the recorded one to be gone (and kills
// it after a grace period). A pid reused by another program is recognised by its command line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GRACE_MS = 3000;

function alivePersistChild(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('persistChild');
  } catch {
    return false;
  }
}

/** Waits until the previous persist child of this data dir (if any) has exited; then records ours. */
export async function takeOverFromPredecessor(runDir: string): Promise<void> {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const file = join(runDir, 'persist.pid');
  let pid = NaN;
  try { pid = Number(readFileSync(file, 'utf8').trim()); } catch { /* first start */ }
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    const end = Date.now() + GRACE_MS;
    while (alivePersistChild(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (alivePersistChild(pid)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited just now */ }
      while (alivePersistChild(pid)) await new Promise((r) => setTimeout(r, 10));
    }
  }
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
}
