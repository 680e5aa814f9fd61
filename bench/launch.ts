// Launch latency of one isolated /bin/true, next to bubblewrap measured in the same run on the
// same machine. (a) and (b) are timed by a small C timer (bench/launch/launchtime.c: fork, exec,
// wait, like `perf stat -r`), so Node's child_process is part of neither; (b) is also shown
// spawned from Node, the way the other variants are (spawn -> 'close'):
//   (a)  bwrap --unshare-all --ro-bind / / true                          the issue's baseline
//   (a') bwrap with a root like ours (ro /usr, /proc, /dev, tmpfs /tmp and /work, new session)
//   (b)  joblet-launcher, full isolation, network=none, seccomp default, joining per-launch
//        cgroups with limits (pids, memory, cpu; their mkdir and limit writes are in the timed
//        window, the rmdir after the exit is not), with a --state-dir on a tmpfs (pid and status
//        files) and its --spool in one shared dir on disk, and a fresh network namespace made
//        ahead of the launch (native/netns_pool.c, one per launch), as the daemon runs it: the
//        target line
//   (b-) the same without cgroups
//   (bn) (b) making its network namespace itself during the launch (as bwrap does)
//   (b') (b) spawned from Node, with the cgroup driver's mkdir + limits + rmdir timed separately
//   (b") (b-) through createNativeExecutor (spawner, netns pool, the tail of the supervisor's files)
//   (b‴) (b") with the daemon's cgroup driver: create with limits, join, kill and remove on exit
//   then one durable append to the event log, which a job through the daemon waits for 3 times
//   (c)  end to end through a daemon in its own process: RunJob until the job's COMPLETED
//        (JobFinished) event arrives on a TailEvents stream the client opened before; sequential
//   (c') the same, alternating with (c), but through RunJob then GetJobLogs, which closes only
//        after the durable JobFinished: the second call's own set-up is on the path
//   (d)  8 clients, each submitting and awaiting its next job in a loop, for LAUNCH_SUSTAIN_S
//   then the daemon's own RSS (VmRSS, VmHWM) once it has run LAUNCH_RSS_JOBS jobs in all, and a
//   breakdown of (c) and (d) from the event times in the daemon's log
// Usage: node dist/bench/launch.js   (needs root)
//   LAUNCH_RUNS=200 sequential launches per variant; LAUNCH_SUSTAIN_S=20; LAUNCH_RSS_JOBS=10000;
//   BENCH_DIR=/var/tmp where the daemon's data dir and the launches' state dirs go (common.ts);
//   BENCH_DAEMON_FLAGS node flags for the daemon instead of DAEMON_NODE_FLAGS (the ones docs/operations.md
//   recommends), e.g. "--optimize-for-size --cpu-prof --cpu-prof-dir=/tmp/prof"; set but empty: none.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from '../src/executor/launcherPath.js';
import { launcherArgs } from '../src/executor/launcherProtocol.js';
import { createNativeExecutor } from '../src/executor/nativeExecutor.js';
import { detectCgroupDriver, removeSupervisorsCgroup, type JobLimits } from '../src/executor/cgroups/index.js';
import { DEFAULT_ISOLATION, type Executor, type LaunchSpec } from '../src/executor/types.js';
import { EventStore } from '../src/persist/eventStore.js';
import { tmpfsStateRoot } from '../src/daemon/jobFiles.js';
import { benchDir } from './common.js';
import { buildLaunchtime, runsWithWarmUp, timeLaunches, type CgroupLimit } from './launch/launchtime.js';
import { childPids, closedLoop, DAEMON_NODE_FLAGS, endWatcher, jobTimes, machineBusyMs, procCpuMs, procMemory, runToEnd, runToEndEvent, spawnDaemon, type DaemonProcess, type JobTimes, type Memory } from './daemonClient.js';

const runs = Number(process.env.LAUNCH_RUNS ?? 200);
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const base = benchDir('joblet-bench-launch-');
mkdirSync(join(base, 'root'));
mkdirSync(join(base, 'work'));
mkdirSync(join(base, 'spool'));
const spec = (cgroupDirs?: string[]): LaunchSpec => ({
  jobId: 'bench', command: '/bin/true', args: [], env, workDir: join(base, 'work'), cgroupDirs,
  isolation: { ...DEFAULT_ISOLATION, rootDir: join(base, 'root'), workSizeBytes: 64 << 20, tmpSizeBytes: 64 << 20 },
});

// The launcher supervises its job through a state dir (pid and status files) and an output
// spool, as under the daemon (src/daemon/jobFiles.ts): the state dir on a tmpfs, made before the
// timing starts, the spool in one dir on disk, created by the launcher.
const tmpfsBase = tmpfsStateRoot(`bench-launch-${process.pid}`);
let stateDirs = 0;
function newState(): { stateDir: string; spoolFile?: string } {
  const n = String(++stateDirs);
  const stateDir = join(tmpfsBase ?? join(base, 'state'), n);
  mkdirSync(stateDir, { recursive: true });
  return { stateDir, ...(tmpfsBase ? { spoolFile: join(base, 'spool', n) } : {}) };
}

/** The fd (b) gets its network namespace at: made ahead, one per launch, as the spawner's pool does. */
const NETNS_FD = 5;

/** The same for the C timer's runs: dir <n>/<run> for every run, the launcher's arguments with "@". */
function timerState(): { stateDir: string; spoolFile?: string } {
  const n = `t${++stateDirs}`;
  const parent = join(tmpfsBase ?? join(base, 'state'), n);
  for (let run = 0; run < runsWithWarmUp(runs); run++) mkdirSync(join(parent, String(run)), { recursive: true });
  if (tmpfsBase) mkdirSync(join(base, 'spool', n));
  return { stateDir: join(parent, '@'), ...(tmpfsBase ? { spoolFile: join(base, 'spool', n, '@') } : {}) };
}

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
  // 'error' (ENOENT while someone rebuilds build/Release) must reject, not crash the whole bench.
  return new Promise((resolve, reject) => child.on('error', reject).on('close', (code) => {
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
  let t1 = 0;
  try {
    const launch = await once(defaultLauncherPath(), launcherArgs({ ...spec(dirs), ...newState() }));
    t1 = performance.now();
    return launch;
  } finally {
    dirs.forEach((d) => rmdirSync(d));  // also after a failed launch, so a rerun finds no leftovers
    if (i >= 0 && t1 > 0) cgroupMs.push(setup + performance.now() - t1);
  }
}

/** Launches through an executor, timed from launch() to the 'exited' observation. */
function executorRunner(ex: Executor, limits?: JobLimits): () => Promise<number> {
  const waiting = new Map<string, (err?: Error) => void>();
  ex.onObservation((o) => {
    if (o.type === 'exited') waiting.get(o.jobId)?.(o.exitCode === 0 ? undefined : new Error(`exit ${o.exitCode}`));
    if (o.type === 'startFailed') waiting.get(o.jobId)?.(new Error(o.reason));
  });
  let seq = 0;
  return () => {
    const jobId = `bench-${++seq}`;
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      waiting.set(jobId, (err) => { waiting.delete(jobId); if (err) reject(err); else resolve(performance.now() - t0); });
      ex.launch({ ...spec(), jobId, ...newState(), ...(limits ? { limits } : {}) });
    });
  };
}
const ex = createNativeExecutor();
// The daemon's own cgroup driver under a parent of our own: what a default RunJob gets (no user
// limits, the default pids.max), with create, kill-on-exit and remove on the path to 'exited'.
const DRIVER_PARENT = 'joblet-bench-launch-driver';
const driver = detectCgroupDriver({ dataDir: base, parent: DRIVER_PARENT });
const exCg = createNativeExecutor({ cgroups: driver });
const DEFAULT_LIMITS: JobLimits = { cpuPercent: 0, cpuCores: '', memoryMb: 0, ioBps: 0, pidsMax: 1024 };

/** One durable append of one small event, the unit each job pays three times in a row. */
async function appendLatency(): Promise<Stats> {
  const store = EventStore.open<{ type: string; jobId: string }>({ path: join(base, 'events') });
  try {
    return await measure(async () => { const t0 = performance.now(); await store.append([{ type: 'BenchEvent', jobId: 'bench' }]); return performance.now() - t0; });
  } finally {
    await store.close();
  }
}

const line = (name: string, s: Stats, base?: Stats) =>
  console.log(`${name.padEnd(52)} p50 ${s.p50.toFixed(2).padStart(6)} ms  p99 ${s.p99.toFixed(2).padStart(6)} ms  mean ${s.mean.toFixed(2).padStart(6)} ms${base ? `  p50 ratio to (a) ${(s.p50 / base.p50).toFixed(2)}` : ''}`);

// ---- (c), (d): through the daemon -----------------------------------------------------------

const CLIENTS = 8;
const sustainS = Number(process.env.LAUNCH_SUSTAIN_S ?? 20);
const rssJobs = Number(process.env.LAUNCH_RSS_JOBS ?? 10_000);
const daemonFlags = process.env.BENCH_DAEMON_FLAGS === undefined ? DAEMON_NODE_FLAGS : process.env.BENCH_DAEMON_FLAGS.split(' ').filter(Boolean);
let daemon: DaemonProcess | undefined;

const mib = (m: Memory) => `VmRSS ${m.rssMb.toFixed(1)} MiB (anon ${m.anonMb.toFixed(1)}, file ${m.fileMb.toFixed(1)}), VmHWM ${m.hwmMb.toFixed(1)} MiB`;

/** Medians of each step between the daemon's own event times (ms clock), for the jobs given. */
function phases(name: string, ids: string[], times: Map<string, JobTimes>, clientMs: number[]): void {
  const js = ids.map((id) => times.get(id)!).filter((j) => j.status === 'COMPLETED');
  const med = (f: (j: JobTimes) => number) => stats(js.map(f)).p50.toFixed(0);
  // A job that gets a slot at once has no JobLaunching event (it is INITIALIZING from submission).
  console.log(`     ${name} daemon event times (p50, ms clock): submitted→started ${med((j) => j.started! - j.submitted)}`
    + `, started→finished ${med((j) => j.finished! - j.started!)}`
    + `, submitted→finished ${med((j) => j.finished! - j.submitted)} of ${stats(clientMs).p50.toFixed(2)} ms seen by the client`);
}

async function throughDaemon(a: Stats | undefined): Promise<void> {
  console.log(`daemon: node ${[...daemonFlags, 'bin/joblet.js'].join(' ')}`);
  daemon = await spawnDaemon(daemonFlags);
  const atStart = daemon.memory();
  const one = daemon.client();
  let jobs = 0;
  for (let i = 0; i < 10; i++, jobs++) {  // warm-up, and a check that jobs really complete
    const { jobId } = await runToEnd(one, '/bin/true');
    const st = await new Promise<{ status: string; exit_code: number }>((res, rej) => one.GetJobStatus({ uuid: jobId }, (e, r) => (e || !r ? rej(e) : res(r))));
    if (st.status !== 'COMPLETED') {
      const why = (await jobTimes(daemon.dataDir)).get(jobId)?.reason ?? 'no reason recorded';
      throw new Error(`bench launch: warm-up job ${jobId} ended ${st.status} (exit ${st.exit_code}), not COMPLETED: ${why}`);
    }
  }
  // (c) as the issue words it: RunJob until the COMPLETED event reaches the client, on an event
  // stream opened before (as `docker run` opens its wait before the start); (c') the same job
  // seen through a second call, GetJobLogs, which ends once the end is durable.
  const watcher = endWatcher(daemon.eventsClient());
  const seq: number[] = [];
  const seqIds: string[] = [];
  const seqLogs: number[] = [];
  for (let i = 0; i < runs; i++, jobs += 2) {
    const r = await runToEndEvent(one, watcher, '/bin/true');
    seq.push(r.ms);
    seqIds.push(r.jobId);
    seqLogs.push((await runToEnd(one, '/bin/true')).ms);
  }
  watcher.close();
  const c = stats(seq);
  line('(c)  daemon: RunJob → COMPLETED event, sequential', c, a);
  line("(c') daemon: RunJob, then GetJobLogs to its end", stats(seqLogs), a);

  const clients = Array.from({ length: CLIENTS }, () => daemon!.client());
  const deadline = performance.now() + sustainS * 1000;
  const pids = [daemon.pid, ...childPids(daemon.pid)];
  const cpu0 = { daemon: pids.map(procCpuMs), bench: process.cpuUsage(), machine: machineBusyMs() };
  const d = await closedLoop(clients, () => performance.now() < deadline);
  const n = d.jobIds.length;
  const perJob = (msTotal: number) => (msTotal / n).toFixed(2);
  const [daemonCpu, ...childCpu] = pids.map((pid, i) => procCpuMs(pid) - cpu0.daemon[i]);
  const benchCpu = process.cpuUsage(cpu0.bench);
  const machineCpu = machineBusyMs() - cpu0.machine;
  jobs += n;
  line(`(d)  daemon: ${CLIENTS} clients in a loop, latency each`, stats(d.ms), a);
  console.log(`(d)  sustained ${(n / (d.wallMs / 1000)).toFixed(1)} jobs/s (${n} jobs in ${(d.wallMs / 1000).toFixed(1)} s); CPU ms per job:`
    + ` daemon ${perJob(daemonCpu)}, its children ${perJob(childCpu.reduce((x, y) => x + y, 0))}, the clients (this process) ${perJob((benchCpu.user + benchCpu.system) / 1000)},`
    + ` whole machine ${perJob(machineCpu)} of ${perJob(os.cpus().length * d.wallMs)} available (other users' load included)`);
  const afterD = daemon.memory();

  const rest = Math.max(0, rssJobs - jobs);
  let submitted = 0;
  const fill = await closedLoop(clients, () => submitted++ < rest);
  jobs += fill.jobIds.length;
  const after = daemon.memory();
  const stateChild = childPids(daemon.pid).map((pid) => `pid ${pid}: ${mib(procMemory(pid))}`).join('; ');
  console.log(`daemon RSS: at serving ${mib(atStart)}; after (d) ${mib(afterD)}; after ${jobs} jobs ${mib(after)}`
    + ` (${((after.rssMb - atStart.rssMb) * 1024 / jobs).toFixed(1)} KiB/job)${fill.jobIds.length ? `; the fill ran ${(fill.jobIds.length / (fill.wallMs / 1000)).toFixed(1)} jobs/s` : ''}`);
  if (stateChild) console.log(`     its child processes (State service): ${stateChild}`);
  console.log('targets: (b) p50 <= 5 ms, (c) p50 <= 10 ms, (d) >= 150 jobs/s, daemon RSS < 150 MB after 10,000 jobs');

  await daemon.stop();
  const times = await jobTimes(daemon.dataDir);
  // Another daemon on this host that starts sweeps the shared cgroup parent and can fail our jobs
  // (join cgroup: ENOENT); such jobs are counted and named, and the run exits non-zero.
  const notCompleted = [...times].filter(([, t]) => t.status !== 'COMPLETED');
  if (times.size !== jobs) throw new Error(`bench launch: the daemon's log holds ${times.size} jobs, the clients ran ${jobs}`);
  if (notCompleted.length > 0) {
    const [id, t] = notCompleted[0];
    console.log(`FAILED RUN: ${notCompleted.length} of ${jobs} jobs did not end COMPLETED; first: ${id} ${t.status}: ${t.reason}`);
    process.exitCode = 1;
  }
  phases('(c)', seqIds, times, seq);
  phases('(d)', d.jobIds, times, d.ms);
  daemon.remove();
  daemon = undefined;
}

if (process.getuid?.() !== 0) throw new Error('bench launch: needs root (namespaces, mounts, cgroups)');
const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;
try {
  console.log(`${runs} sequential launches of /bin/true per variant; cgroups: ${v2 ? 'v2' : 'v1'}; supervisor state dirs ${tmpfsBase ? `on a tmpfs (${tmpfsBase})` : 'on disk (no tmpfs at /dev/shm)'}`);
  const timer = buildLaunchtime(base);
  const timed = (cmd: string[], limits?: CgroupLimit[], netnsFd?: number) => stats(timeLaunches(timer, runs, cmd, limits, netnsFd));
  let a: Stats | undefined;
  if (hasBwrap) {
    a = timed(['bwrap', '--unshare-all', '--ro-bind', '/', '/', 'true']);
    line('(a)  bwrap --unshare-all --ro-bind / / true', a);
    const like = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib',
      '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/sbin', '/sbin', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/work', '--chdir', '/work', 'true'];
    line("(a') bwrap with a root like ours", timed(['bwrap', ...like]), a);
  } else console.log('(a)  bwrap not installed (apt-get install bubblewrap): no baseline, no ratios');

  cgParents.forEach((d) => mkdirSync(d, { recursive: true }));
  const cgLimits = Object.entries(limits).flatMap(([c, files]) => Object.entries(files).map(([file, value]) => ({ dir: join('/sys/fs/cgroup', c, 'joblet-bench-launch'), file, value })));
  const cgSpec = () => spec(cgParents.map((d) => join(d, '@')));
  const b = timed([defaultLauncherPath(), ...launcherArgs({ ...cgSpec(), ...timerState() }, { netnsFd: NETNS_FD })], cgLimits, NETNS_FD);
  line(`(b)  joblet-launcher, full isolation, net none, ${cgParents.length} cgroup(s)`, b, a);
  line('(b-) the same without cgroups', timed([defaultLauncherPath(), ...launcherArgs({ ...spec(), ...timerState() }, { netnsFd: NETNS_FD })], [], NETNS_FD), a);
  line('(bn) (b) making its network namespace itself', timed([defaultLauncherPath(), ...launcherArgs({ ...cgSpec(), ...timerState() })], cgLimits), a);
  line("(b') (b) spawned from Node", await measure(withCgroups), a);
  line("     cgroup mkdir + limits + rmdir (driver's cost)", stats(cgroupMs));
  line('(b") (b-) through createNativeExecutor', await measure(executorRunner(ex)), a);
  line("(b‴) (b\") + the daemon's cgroup driver", await measure(executorRunner(exCg, DEFAULT_LIMITS)), a);
  line('     event log: one durable append (fsync)', await appendLatency());
  console.log('target: (b) p50 <= 5 ms (timed by the C timer; (b\') is the same spawned from Node)');

  await throughDaemon(a);
} finally {
  await ex.close();
  await exCg.close();
  for (const c of readdirSync('/sys/fs/cgroup')) { try { rmdirSync(join('/sys/fs/cgroup', c, DRIVER_PARENT)); } catch { /* not made */ } }
  // once the spawner, which the executor's close told to exit, has left it
  const supervisors = driver.supervisorsCgroup();
  if (supervisors) await removeSupervisorsCgroup(supervisors);
  if (daemon) { await daemon.stop().catch((e) => console.error(e)); daemon.remove(); }
  cgParents.forEach((d) => { try { rmdirSync(d); } catch { /* not created */ } });
  cgroupMs = [];
  rmSync(base, { recursive: true, force: true });
  if (tmpfsBase) rmSync(tmpfsBase, { recursive: true, force: true });
}
