// Removing a job's cgroup dirs. rmdir(2) is the only way to remove a cgroup (its files cannot be
// unlinked); it fails with EBUSY while a task or a child cgroup is left, which happens for a moment
// after a kill while the last task finishes exiting.
import { readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CgroupError, sleep } from './cgroupFiles.js';

/**
 * Child cgroups first (rmdir needs an empty subtree), then the dir; ENOENT counts as done. A job
 * cannot make child cgroups (no cgroupfs in its root), so one synchronous rmdir (cgroupfs: no
 * disk) is tried first, and the children are looked for only when it fails.
 */
export async function removeCgroupDir(dir: string, retryMs = 1000): Promise<void> {
  try {
    rmdirSync(dir);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
  }
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const child of children) await removeCgroupDir(child, retryMs);
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'ENOENT') return;
      // A fixture is a plain dir holding plain files; cgroupfs dirs rmdir with their files in place.
      if (code === 'ENOTEMPTY') { rmSync(dir, { recursive: true, force: true }); return; }
      if (code !== 'EBUSY' || Date.now() > deadline) throw new CgroupError('rmdir', dir, code, code === 'EBUSY' ? 'processes are still in the cgroup: kill it first' : undefined);
      await sleep(10);
    }
  }
}

/**
 * Removes the supervisors' cgroup (CgroupDriver.supervisorsCgroup) at the daemon's close, once
 * the spawner has left it (it exits at the EOF the executor's close sent; ~ms); supervisors of
 * running jobs, which outlive the daemon, keep it, and it stays for the next daemon.
 */
export async function removeSupervisorsCgroup(dir: string, waitMs = 200): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let pids: string[];
    try {
      pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return;  // gone already
    }
    if (pids.length === 0) {
      try { rmdirSync(dir); } catch { /* a supervisor started meanwhile: it stays */ }
      return;
    }
    if (pids.some((pid) => commOf(pid) !== 'joblet-spawner') || Date.now() > deadline) return;
    await sleep(10);
  }
}

function commOf(pid: string): string | undefined {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return undefined; }
}
