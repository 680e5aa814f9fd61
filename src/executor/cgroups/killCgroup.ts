// Killing every process of a job. A job can fork while we read cgroup.procs, so a plain
// "read pids, kill them" loop races; the kernel offers two ways out:
//  - cgroup.kill (v2, Linux >= 5.14): writing "1" SIGKILLs the cgroup and its descendants, and any
//    task forked while the kill runs is killed on its way out of fork (cgroup-v2.rst cgroup.kill).
//  - freezing (v2 cgroup.freeze, v1 freezer.state): frozen tasks cannot fork, so one pass of
//    SIGKILL over cgroup.procs gets them all; thawing then lets them die
//    (cgroup-v2.rst cgroup.freeze; cgroup-v1/freezer-subsystem.rst).
// Either way we then wait for cgroup.procs to empty: only then can the dirs be removed.
// A dead process whose parent has not reaped it yet is no longer listed in cgroup.procs.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupError, readCgroupFile, readProcs, sleep, writeCgroupFile } from './cgroupFiles.js';

function sigkill(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* ESRCH: gone already */ }
}

/** The dir and every cgroup below it: a job cannot create sub-cgroups, but be thorough. */
function withDescendants(dir: string): string[] {
  let subdirs: string[] = [];
  try { subdirs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)); } catch { /* gone */ }
  return [dir, ...subdirs.flatMap(withDescendants)];
}

async function pidsIn(dirs: string[]): Promise<number[]> {
  const all = await Promise.all(dirs.flatMap(withDescendants).map((d) => readProcs(d).catch(() => [])));
  return [...new Set(all.flat())];
}

/** Polls until no dir lists a process; SIGKILLs stragglers each round (a fork that raced the kill). */
export async function waitEmpty(dirs: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const pids = await pidsIn(dirs);
    if (pids.length === 0) return;
    if (Date.now() > deadline) {
      throw new CgroupError('kill', dirs[0], 'ETIMEDOUT', `${pids.length} processes still listed in cgroup.procs after ${timeoutMs} ms: ${pids.slice(0, 5).join(' ')}`);
    }
    if (round > 0) pids.forEach(sigkill);
    await sleep(Math.min(2 + round * 2, 20));
  }
}

/** v2 with cgroup.kill. */
export async function killByCgroupKill(dir: string, timeoutMs: number): Promise<void> {
  await writeCgroupFile(dir, 'cgroup.kill', '1');
  await waitEmpty([dir], timeoutMs);
}

/** Polls `read` until it says frozen, at most `ms`; freezing waits for tasks to reach a safe point. */
async function waitFrozen(read: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await read()) return true;
    await sleep(2);
  }
  return false;
}

/**
 * Freeze, SIGKILL everything listed, thaw, wait. If the freeze is not confirmed within a second
 * (a task stuck in uninterruptible sleep) we kill anyway: waitEmpty's rounds catch late forks,
 * and the pids limit bounds how many there can be.
 */
async function freezeKillThaw(freeze: () => Promise<void>, frozen: () => Promise<boolean>, thaw: () => Promise<void>, dirs: string[], timeoutMs: number) {
  await freeze();
  try {
    await waitFrozen(frozen, 1000);
    (await pidsIn(dirs)).forEach(sigkill);
  } finally {
    await thaw();
  }
  await waitEmpty(dirs, timeoutMs);
}

/** v2 before 5.14: cgroup.freeze, confirmed by "frozen 1" in cgroup.events. */
export async function killByFreezeV2(dir: string, timeoutMs: number): Promise<void> {
  await freezeKillThaw(
    () => writeCgroupFile(dir, 'cgroup.freeze', '1'),
    async () => /^frozen 1$/m.test((await readCgroupFile(dir, 'cgroup.events')) ?? ''),
    () => writeCgroupFile(dir, 'cgroup.freeze', '0'),
    [dir], timeoutMs);
}

/** v1 freezer: freezer.state reads FREEZING until every task is frozen, then FROZEN. */
export async function killByFreezerV1(freezerDir: string, allDirs: string[], timeoutMs: number): Promise<void> {
  await freezeKillThaw(
    () => writeCgroupFile(freezerDir, 'freezer.state', 'FROZEN'),
    async () => (await readCgroupFile(freezerDir, 'freezer.state'))?.trim() === 'FROZEN',
    () => writeCgroupFile(freezerDir, 'freezer.state', 'THAWED'),
    allDirs, timeoutMs);
}

/** No freezer at all: SIGKILL rounds until empty; the pids limit bounds the race. */
export async function killBySignalLoop(dirs: string[], timeoutMs: number): Promise<void> {
  (await pidsIn(dirs)).forEach(sigkill);
  await waitEmpty(dirs, timeoutMs);
}
