// Recovery time (issue 5): how long a fresh daemon process takes from startDaemon() to serving
// when the log holds ~1M events AND K jobs are still running under their supervisors, so start-up
// must re-attach to each (pid file, status file, spool check, cgroup adoption, watcher) before it
// serves. Baseline in the same run: the same log with those K jobs finished (nothing to re-attach).
// Both logs end in a snapshot (a clean stop), so the difference is the re-attach work.
//
// The running jobs are real supervisors (joblet-launcher) running `sleep`, launched by the same
// executor the daemon uses, without the mount/user isolation (paid at launch, not at re-attach) and
// without cgroups: the baseline daemon's orphan sweep would kill cgroups its log does not know, so
// the re-attach looks for each job's cgroup and finds none (a few stat calls less than real).
// Usage: node dist/bench/recovery.js [events=1000000]  BENCH_JOBS=1000 running jobs; BENCH_RUNS=3
import { cpSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig, ensureNodeId } from '../src/config/index.js';
import { ensureCertificates } from '../src/certs/index.js';
import { startDaemon } from '../src/daemon.js';
import { EventStore } from '../src/persist/eventStore.js';
import { JobTable } from '../src/projections/jobTable.js';
import { JOBS_SNAPSHOT } from '../src/daemon/snapshotter.js';
import { createNativeExecutor, SPOOL_START } from '../src/executor/index.js';
import { readSupervisorId, supervisorAlive } from '../src/executor/supervisorFiles.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import type { Caller, JobSpec } from '../src/events/job.js';
import { benchSize, fmt, ms, median, runChild } from './common.js';

const SELF = fileURLToPath(import.meta.url);
const caller: Caller = { cn: 'joblet-admin', role: 'admin' };
const spec = (command: string, args: string[]): JobSpec => ({
  command, args, maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, environment: {}, secretKeys: [], uploads: [],
  workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
});

/** A finished job's life: 10 events (submitted, launching, started, 6 output, finished). */
function finishedLife(nodeId: string, at: number): JobEvent[] {
  const jobId = randomUUID();
  return [
    { type: 'JobSubmitted', jobId, at, by: caller, nodeId, spec: spec('echo', ['hi']) },
    { type: 'JobLaunching', jobId, at },
    { type: 'JobStarted', jobId, at, pid: 4242 },
    ...Array.from({ length: 6 }, (_, k): JobEvent => ({ type: 'JobOutputWritten', jobId, at, stream: 'stdout', data: Buffer.from(`step ${k} of a finished job\n`) })),
    { type: 'JobFinished', jobId, at, status: 'COMPLETED', exitCode: 0 },
  ];
}

async function append(dir: string, table: JobTable, events: JobEvent[]): Promise<void> {
  const store = EventStore.open<JobEvent>({ path: dir, mapSizeBytes: 4 * 2 ** 30 });
  try {
    for (let i = 0; i < events.length; i += 10_000) {
      const batch = events.slice(i, i + 10_000);
      const positions = await store.append(batch);
      batch.forEach((e, k) => table.apply(positions[k], e));
    }
    await store.saveSnapshot(JOBS_SNAPSHOT, table.position, table.snapshot());
  } finally {
    await store.close();
  }
}

interface Measured { ms: number; rssMb: number }

async function child(dataDir: string): Promise<Measured> {
  const config = loadConfig({ overrides: { dataDir, listen: '127.0.0.1:0' }, searchPaths: [] });
  const t0 = performance.now();
  const d = await startDaemon(config, pino({ level: 'warn' }));
  const took = performance.now() - t0;
  void d;
  return { ms: took, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) };
}

async function main(): Promise<void> {
  const total = benchSize(1_000_000);
  const jobs = Number(process.env.BENCH_JOBS ?? 1000);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const root = mkdtempSync(join(tmpdir(), 'joblet-bench-recovery-'));
  const withJobs = join(root, 'running');
  const baseline = join(root, 'baseline');
  const executor = createNativeExecutor();
  const launched: string[] = [];
  try {
    // 1. The common log: finished jobs up to ~total events, written straight through the store.
    const nodeId = ensureNodeId(withJobs);
    const base: JobEvent[] = [];
    for (let i = 0; base.length + jobs * 3 < total; i++) base.push(...finishedLife(nodeId, 1_700_000_000_000 + i));
    const t0 = performance.now();
    const tableA = new JobTable();
    await append(join(withJobs, 'events'), tableA, base);
    console.log(`log: ${fmt(base.length)} events of finished jobs, built in ${ms(performance.now() - t0)}`);
    await ensureCertificates({ certsDir: join(withJobs, 'certs'), configDir: join(withJobs, 'config'), address: '127.0.0.1:0', serverNames: [], nodeId });
    cpSync(withJobs, baseline, { recursive: true });

    // 2. Baseline: the same log plus `jobs` jobs that ran and finished (3 + 1 events each).
    const tableB = new JobTable();
    const copy = EventStore.open<JobEvent>({ path: join(baseline, 'events'), readOnly: true });
    for (const { position, event } of copy.read()) tableB.apply(position, event);
    await copy.close();
    const doneJobs = Array.from({ length: jobs }, () => randomUUID()).flatMap((jobId): JobEvent[] => [
      { type: 'JobSubmitted', jobId, at: Date.now(), by: caller, nodeId, spec: spec('sleep', ['3600']) },
      { type: 'JobLaunching', jobId, at: Date.now() },
      { type: 'JobStarted', jobId, at: Date.now(), pid: 4242 },
      { type: 'JobFinished', jobId, at: Date.now(), status: 'COMPLETED', exitCode: 0 },
    ]);
    await append(join(baseline, 'events'), tableB, doneJobs);

    // 3. The running jobs: real supervisors with their state dirs in the data dir, then their
    // events (submitted, launching, started with the real pid) in the log.
    const started = new Map<string, number>();
    const allStarted = new Promise<void>((resolve, reject) => executor.onObservation((o) => {
      if (o.type === 'started') { started.set(o.jobId, o.pid); if (started.size === jobs) resolve(); }
      if (o.type === 'startFailed' || o.type === 'exited') reject(new Error(`bench job ${o.jobId}: ${JSON.stringify(o)}`));
    }));
    const tl = performance.now();
    for (let i = 0; i < jobs; i++) {
      const jobId = randomUUID();
      const stateDir = join(withJobs, 'jobs', jobId);
      mkdirSync(join(stateDir, 'work'), { recursive: true });
      executor.launch({ jobId, command: 'sleep', args: ['3600'], env: { PATH: '/usr/bin:/bin' }, workDir: join(stateDir, 'work'), stateDir });
      launched.push(jobId);
    }
    await allStarted;
    console.log(`running jobs: ${fmt(jobs)} supervisors with sleep launched in ${ms(performance.now() - tl)}`);
    await executor.close();  // detach: they keep running, as after a daemon stop
    await append(join(withJobs, 'events'), tableA, launched.flatMap((jobId): JobEvent[] => [
      { type: 'JobSubmitted', jobId, at: Date.now(), by: caller, nodeId, spec: spec('sleep', ['3600']) },
      { type: 'JobLaunching', jobId, at: Date.now() },
      { type: 'JobStarted', jobId, at: Date.now(), pid: started.get(jobId)! },
    ]));

    // 4. Fresh processes, baseline first and last (so page cache and machine state are the same).
    const measure = (dir: string) => {
      const all = Array.from({ length: runs }, () => runChild<Measured>(SELF, ['--child', dir]));
      return { ms: median(all.map((m) => m.ms)), each: all.map((m) => m.ms), rssMb: all[all.length - 1].rssMb };
    };
    const before = measure(baseline);
    const attach = measure(withJobs);
    const after = measure(baseline);
    const line = (name: string, m: ReturnType<typeof measure>) =>
      console.log(`${name.padEnd(62)} ${ms(m.ms).padStart(10)}  runs [${m.each.map((x) => x.toFixed(0)).join(', ')}] ms  rss ${m.rssMb} MiB`);
    console.log(`median of ${runs} fresh processes each; ${fmt(tableA.position)} events in the log, snapshot at its end`);
    line('baseline: daemon start, 0 running jobs', before);
    line(`daemon start re-attaching ${fmt(jobs)} running jobs`, attach);
    line('baseline again', after);
    const base2 = (before.ms + after.ms) / 2;
    console.log(`re-attach cost: ${ms(attach.ms - base2)} for ${fmt(jobs)} jobs (${((attach.ms - base2) / jobs).toFixed(3)} ms per job)`);
    const alive = launched.filter((id) => { const sup = readSupervisorId(join(withJobs, 'jobs', id)); return sup && supervisorAlive(sup); }).length;
    const log = EventStore.open<JobEvent>({ path: join(withJobs, 'events'), readOnly: true });
    const ended = [...log.read(tableA.position + 1)].filter((e) => e.event.type === 'JobFinished').length;
    await log.close();
    console.log(`${fmt(alive)} of ${fmt(jobs)} supervisors still run after ${runs} re-attaches; ${ended} recorded as ended`);
    if (alive !== jobs || ended !== 0) throw new Error('re-attach lost jobs');
  } finally {
    // the bench's jobs end with it: one more re-attach, then a stop of them all
    const stopper = createNativeExecutor();
    for (const jobId of launched) {
      await stopper.attach({ jobId, stateDir: join(withJobs, 'jobs', jobId), spoolOffset: SPOOL_START, started: true }).catch(() => undefined);
    }
    await stopper.close({ stopJobs: true });
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).then((m) => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    process.exit(0);  // the daemon keeps the loop alive; exiting like a crash leaves the jobs running
  }, (err) => { console.error(err); process.exit(1); });
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1; });
}
