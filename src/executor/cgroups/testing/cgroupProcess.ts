// Real processes inside real cgroups, for the kernel tests. Until the launcher's cgroupDirs option
// lands, a shell joins the dirs itself: `echo 0 > DIR/cgroup.procs` moves the writing process
// (cgroup-v2.rst / cgroup-v1 cgroups.rst: writing 0 means "the writer"), and the workload it then
// runs inherits the membership, exactly as the launcher's init will do before exec.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Ended = { code: number | null; signal: NodeJS.Signals | null };
/** exited: the shell itself ended (background children may live on and hold its pipes); closed: its pipes reached EOF too. */
export interface Joined { child: ChildProcess; pid: number; exited: Promise<Ended>; closed: Promise<Ended>; output(): string }

/** Runs `script` under sh after the shell joined every dir; resolves once it has joined. */
export function spawnInCgroup(dirs: string[], script: string, timeoutMs = 5000): Promise<Joined> {
  const join = 'for d in "$@"; do echo 0 > "$d/cgroup.procs" || exit 97; done; echo joined';
  const child = spawn('/bin/sh', ['-c', `${join}\n${script}`, 'sh', ...dirs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<Ended>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const closed = new Promise<Ended>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`spawnInCgroup: not joined after ${timeoutMs} ms: ${out}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('joined\n')) { clearTimeout(timer); resolve({ child, pid: child.pid!, exited, closed, output: () => out }); }
    });
    child.stderr!.on('data', (d) => { out += d; });
    exited.then(({ code }) => { clearTimeout(timer); if (!out.includes('joined\n')) reject(new Error(`spawnInCgroup: exited ${code} before joining: ${out}`)); });
  });
}

/** pid -> its start time (field 22 of /proc/PID/stat), so a recycled pid is not mistaken for ours. */
export function snapshot(pids: number[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const pid of pids) {
    try { out.set(pid, readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]); } catch { /* gone */ }
  }
  return out;
}

/** The snapshot's processes that still run (zombies are dead: they only wait to be reaped). */
export function stillAlive(snap: Map<number, string>): number[] {
  return [...snap].filter(([pid, start]) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return fields[19] === start && fields[0] !== 'Z' && fields[0] !== 'X';
    } catch { return false; }
  }).map(([pid]) => pid);
}

export const isRoot = process.getuid?.() === 0;
