// Launch latency of one isolated /bin/true, next to bubblewrap measured in the same run on the
// same machine, every variant spawned the same way from this Node process (spawn -> 'close'):
//   (a)  bwrap --unshare-all --ro-bind / / true                          the issue's baseline
//   (a') bwrap with a root like ours (ro /usr, /proc, /dev, tmpfs /tmp and /work, new session)
//   (b)  joblet-launcher, full isolation, network=none, seccomp default, no cgroups
//   (b') the same joining per-launch cgroups with limits (pids, memory, cpu); the mkdir + limit
//        writes + rmdir the daemon's cgroup driver does around it are timed separately
//   (b") the same as (b) through createNativeExecutor (status fd, output pipes, observations)
//   (c), (d) through the daemon: see the section at the end (added with the daemon benchmark).
// Usage: node dist/bench/launch.js   (LAUNCH_RUNS=200 sequential launches per variant; needs root)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from '../src/executor/launcherPath.js';
import { launcherArgs } from '../src/executor/launcherProtocol.js';
import { createNativeExecutor } from '../src/executor/nativeExecutor.js';
import { DEFAULT_ISOLATION, type LaunchSpec } from '../src/executor/types.js';

const runs = Number(process.env.LAUNCH_RUNS ?? 200);
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const base = mkdtempSync(join(tmpdir(), 'joblet-bench-launch-'));
mkdirSync(join(base, 'root'));
mkdirSync(join(base, 'work'));
const spec = (cgroupDirs?: string[]): LaunchSpec => ({
  jobId: 'bench', command: '/bin/true', args: [], env, workDir: join(base, 'work'), cgroupDirs,
  isolation: { ...DEFAULT_ISOLATION, rootDir: join(base, 'root'), workSizeBytes: 64 << 20, tmpSizeBytes: 64 << 20 },
});

interface Stats { p50: number; p99: number; mean: number }
function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** One spawn to its 'close' (exit and every pipe at EOF), in ms; throws unless it exited 0. */
function once(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  child.stdio[3]!.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => child.on('close', (code) => {
    if (code === 0) resolve(performance.now() - t0);
    else reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')}...: exit ${code}: ${err.trim()}`));
  }));
}

async function measure(run: (i: number) => Promise<number>): Promise<Stats> {
  for (let i = 0; i < 10; i++) await run(-1 - i); // warm the page cache and the kernel's slabs
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await run(i));
  return stats(ms);
}

// Per-launch cgroups the way a driver makes them: v2 where it has controllers, else v1 dirs.
const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
const limits: Record<string, Record<string, string>> = v2
  ? { '': { 'pids.max': '512', 'memory.max': String(256 << 20), 'cpu.max': '100000 100000' } }
  : { pids: { 'pids.max': '512' }, memory: { 'memory.limit_in_bytes': String(256 << 20) }, cpu: { 'cpu.cfs_quota_us': '100000' } };
const cgParents = Object.keys(limits).map((c) => join('/sys/fs/cgroup', c, 'joblet-bench-launch'));
let cgroupMs: number[] = [];
async function withCgroups(i: number): Promise<number> {
  const t0 = performance.now();
  const dirs = Object.entries(limits).map(([c, files]) => {
    const dir = join('/sys/fs/cgroup', c, 'joblet-bench-launch', String(i));
    mkdirSync(dir);
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    return dir;
  });
  const setup = performance.now() - t0;
  const launch = await once(defaultLauncherPath(), launcherArgs(spec(dirs)));
  const t1 = performance.now();
  dirs.forEach((d) => rmdirSync(d));
  if (i >= 0) cgroupMs.push(setup + performance.now() - t1);
  return launch;
}

const ex = createNativeExecutor();
const waiting = new Map<string, (err?: Error) => void>();
ex.onObservation((o) => {
  if (o.type === 'exited') waiting.get(o.jobId)?.(o.exitCode === 0 ? undefined : new Error(`exit ${o.exitCode}`));
  if (o.type === 'startFailed') waiting.get(o.jobId)?.(new Error(o.reason));
});
let seq = 0;
function viaExecutor(): Promise<number> {
  const jobId = `bench-${++seq}`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    waiting.set(jobId, (err) => { waiting.delete(jobId); if (err) reject(err); else resolve(performance.now() - t0); });
    ex.launch({ ...spec(), jobId });
  });
}

const line = (name: string, s: Stats, base?: Stats) =>
  console.log(`${name.padEnd(52)} p50 ${s.p50.toFixed(2).padStart(6)} ms  p99 ${s.p99.toFixed(2).padStart(6)} ms  mean ${s.mean.toFixed(2).padStart(6)} ms${base ? `  p50 ratio to (a) ${(s.p50 / base.p50).toFixed(2)}` : ''}`);

if (process.getuid?.() !== 0) throw new Error('bench launch: needs root (namespaces, mounts, cgroups)');
const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;
try {
  console.log(`${runs} sequential launches of /bin/true per variant; cgroups: ${v2 ? 'v2' : 'v1'}`);
  let a: Stats | undefined;
  if (hasBwrap) {
    a = await measure(() => once('bwrap', ['--unshare-all', '--ro-bind', '/', '/', 'true']));
    line('(a)  bwrap --unshare-all --ro-bind / / true', a);
    const like = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib',
      '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/sbin', '/sbin', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/work', '--chdir', '/work', 'true'];
    line("(a') bwrap with a root like ours", await measure(() => once('bwrap', like)), a);
  } else console.log('(a)  bwrap not installed (apt-get install bubblewrap): no baseline, no ratios');

  const b = await measure(() => once(defaultLauncherPath(), launcherArgs(spec())));
  line('(b)  joblet-launcher, full isolation, network=none', b, a);
  cgParents.forEach((d) => mkdirSync(d, { recursive: true }));
  const bc = await measure(withCgroups);
  line(`(b') + joining ${Object.keys(limits).length} cgroup dir(s) with limits`, bc, a);
  line("     cgroup mkdir + limits + rmdir (driver's cost)", stats(cgroupMs));
  line('(b") (b) through createNativeExecutor', await measure(viaExecutor), a);
  console.log('target: (b) p50 <= 5 ms');

  // (c) end to end through the daemon (RunJob to the COMPLETED event) and (d) jobs/s with 8
  // concurrent clients are measured here once the daemon's bench harness exists (lead).
} finally {
  await ex.close();
  cgParents.forEach((d) => { try { rmdirSync(d); } catch { /* not created */ } });
  cgroupMs = [];
  rmSync(base, { recursive: true, force: true });
}
