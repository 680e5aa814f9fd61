// Runs bench/launch/launchtime.c (built here with cc, like bench/logs' line writer): a command
// launched RUNS times by fork + exec + wait from a small C process, each run's milliseconds on
// its own line. (a) and (b) are timed this way, so that Node's child_process (the fork of a large
// process, its stdio pipes, its SIGCHLD handling) is not part of either.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A limit file written in a fresh DIR/<run> before each run (inside the timed window). */
export interface CgroupLimit { dir: string; file: string; value: string }

const WARM_RUNS = 10;  // page cache and the kernel's slabs, as the Node-spawned variants do

/** Compiles the timer into `dir`; returns its path. */
export function buildLaunchtime(dir: string): string {
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
  const out = join(dir, 'launchtime');
  const sources = ['bench/launch/launchtime.c', 'native/netns_pool.c', 'native/loopback.c'].map((f) => join(root, f));
  const cc = spawnSync('cc', ['-O2', '-I', join(root, 'native'), '-o', out, ...sources], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`bench launch: cc launchtime.c: ${cc.error?.message ?? cc.stderr}`);
  return out;
}

/**
 * The milliseconds of `runs` launches of `cmd` after the warm-up runs. An argument holding a path
 * segment "@" gets the run's number (0 .. WARM_RUNS + runs - 1), as does each limit's dir.
 * netnsFd: each run gets a network namespace made ahead of it at this fd (see launchtime.c).
 */
export function timeLaunches(tool: string, runs: number, cmd: string[], limits: CgroupLimit[] = [], netnsFd?: number): number[] {
  const args = [String(WARM_RUNS + runs), ...(netnsFd === undefined ? [] : ['--netns-fd', String(netnsFd)]), ...limits.flatMap((l) => ['--cgroup', l.dir, l.file, l.value]), '--', ...cmd];
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`bench launch: ${cmd[0]}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout.trim().split('\n').slice(WARM_RUNS).map(Number);
}

export const runsWithWarmUp = (runs: number) => WARM_RUNS + runs;
