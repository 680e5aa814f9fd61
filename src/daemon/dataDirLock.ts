// One daemon per data dir: two processes appending to one LMDB log would each assign the same
// positions. A pid file is enough here because a stale one (its process gone) is detectable.
import { openSync, writeSync, closeSync, readFileSync, rmSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Dirs held by daemons in this process (tests run several); a pid file naming our own pid but
 *  absent here is stale (a container restarted us with the same pid). */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'joblet.pid');
  if (heldHere.has(file)) throw new Error(`data dir ${dataDir} is in use by this process (close the other daemon first)`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(file);
      return () => { heldHere.delete(file); rmSync(file, { force: true }); };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(`data dir ${dataDir} is in use by joblet pid ${pid} (stop it, or use --data-dir for a second daemon)`);
      }
      rmSync(file, { force: true });  // stale: its daemon is gone
    }
  }
  throw new Error(`data dir ${dataDir}: could not take the lock ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
