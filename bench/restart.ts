// Restart time with a big log: how long startDaemon takes to resolve (serving) when the log holds
// N job events, (a) with no snapshot (full replay), (b) with a snapshot one snapshot interval
// (storage.snapshotEvery - 1 events) short of the end, the most a crash can leave to replay, and
// (c) with a snapshot at the very end (what close() leaves after a clean stop). Baselines in the
// same run, on the same file: store.read() over every event with no projection, and that read plus
// JobTable.apply (the replay step alone). Every measurement is a fresh process, as a restart is.
//
// The log: N/10 jobs of 10 events each (submitted, sometimes queued, launching, started, 5-6 output
// chunks, finished), 16 jobs running at a time so their events interleave as they do live. A job
// table of 100k finished jobs is the heavy case: every job costs memory, snapshot bytes and replay
// work, while an extra output event only bumps a counter; fewer jobs with more output would be
// cheaper to restart for the same event count. Every job has finished, so the daemon has nothing
// to relaunch or mark lost and startup writes nothing: each run sees the same log.
// Usage: node dist/bench/restart.js [events=1000000]   (or BENCH_EVENTS)
//   BENCH_RUNS=3 runs per case; BENCH_PROFILE_DIR=dir writes --cpu-prof profiles of cases (a) and (b);
//   BENCH_NODE_FLAGS adds node flags to every measured process.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig, ensureNodeId } from '../src/config/index.js';
import { ensureCertificates } from '../src/certs/index.js';
import { startDaemon } from '../src/daemon.js';
import { EventStore } from '../src/persist/eventStore.js';
import { JobTable, type JobTableSnapshot } from '../src/projections/jobTable.js';
import { JOBS_SNAPSHOT } from '../src/daemon/snapshotter.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import type { Caller, JobSpec } from '../src/events/job.js';
import { benchSize, fmt, ms, median, runChild } from './common.js';
import { freePort } from '../test/support/freePort.js';

const TARGET_MS = 1000;
const CONCURRENT_JOBS = 16;
const APPEND_BATCH = 10_000;
const SELF = fileURLToPath(import.meta.url);

// ---- the log ---------------------------------------------------------------------------------

const caller: Caller = { cn: 'joblet-admin', role: 'admin', peer: 'ipv4:10.0.3.17:51724' };
const spec = (i: number): JobSpec => ({
  command: 'python3', args: ['train.py', '--epochs', String(1 + (i % 5)), '--seed', String(i)],
  maxCpu: 200, cpuCores: '', maxMemory: 2048, maxIoBps: 0,
  environment: { PYTHONUNBUFFERED: '1', RUN_ID: `run-${i}` }, secretKeys: i % 4 === 0 ? ['API_TOKEN'] : [],
  uploads: [{ path: 'train.py', size: 4812, mode: 0o644, isDirectory: false }],
  workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 3_600_000,
});

/** One job's life, `at` filled in later; exactly 10 events. */
function jobLife(i: number, nodeId: string): JobEvent[] {
  const jobId = randomUUID();
  const out = (k: number): JobEvent => ({ type: 'JobOutputWritten', jobId, at: 0, stream: k === 4 ? 'stderr' : 'stdout',
    data: Buffer.from(`epoch ${k} step ${i * 7 + k} loss ${(1 / (k + 2)).toFixed(4)} lr 3e-4\n`) });
  const queued = i % 5 === 0;  // one job in five waited for a slot
  const outputs = Array.from({ length: queued ? 5 : 6 }, (_, k) => out(k));
  return [
    { type: 'JobSubmitted', jobId, at: 0, by: caller, nodeId, spec: spec(i) },
    ...(queued ? [{ type: 'JobQueued', jobId, at: 0 } as JobEvent] : []),
    { type: 'JobLaunching', jobId, at: 0 },
    { type: 'JobStarted', jobId, at: 0, pid: 10_000 + (i % 50_000) },
    ...outputs,
    i % 10 === 9
      ? { type: 'JobFinished', jobId, at: 0, status: 'FAILED', exitCode: 1 }
      : { type: 'JobFinished', jobId, at: 0, status: 'COMPLETED', exitCode: 0 },
  ];
}

/** Appends `total` events; returns the table as it stood at `snapAt` and at the end. */
async function buildLog(dir: string, total: number, snapAt: number, nodeId: string) {
  const store = EventStore.open<JobEvent>({ path: dir, mapSizeBytes: 4 * 2 ** 30 });
  const table = new JobTable();
  let tail: JobTableSnapshot | undefined;
  let batch: JobEvent[] = [];
  let position = 0;
  const t0 = performance.now();
  for (let job = 0; position < total; job += CONCURRENT_JOBS) {
    // Round-robin over the running jobs' lives, as concurrent jobs write to the log.
    const lives = Array.from({ length: CONCURRENT_JOBS }, (_, k) => jobLife(job + k, nodeId));
    for (let step = 0; step < 10 && position < total; step++) {
      for (const life of lives) {
        const e = life[step];
        if (!e || position >= total) continue;
        e.at = 1_700_000_000_000 + position * 20;
        batch.push(e);
        table.apply(++position, e);
        if (position === snapAt) tail = table.snapshot();
      }
    }
    if (batch.length >= APPEND_BATCH || position >= total) { await store.append(batch); batch = []; }
  }
  const buildMs = performance.now() - t0;
  if (store.lastPosition !== total) throw new Error(`log holds ${store.lastPosition} events, wanted ${total}`);
  await store.close();
  return { buildMs, tail: tail ?? table.snapshot(), end: table.snapshot(), jobs: table.snapshot().jobs.length };
}

async function saveSnapshot(dir: string, snap: JobTableSnapshot): Promise<void> {
  const store = EventStore.open<JobEvent>({ path: dir });
  try { await store.saveSnapshot(JOBS_SNAPSHOT, snap.position, snap); } finally { await store.close(); }
}

// ---- what each fresh process measures -------------------------------------------------------

interface Measured { ms: number; processMs: number; events?: number; replayed?: number; rssMb: number; heapMb: number }

const memory = () => ({ rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) });

async function child(mode: string, dataDir: string, port: string): Promise<Measured> {
  const logDir = join(dataDir, 'events');
  if (mode === 'read' || mode === 'replay') {
    const store = EventStore.open<JobEvent>({ path: logDir });
    const table = new JobTable();
    const t0 = performance.now();
    let events = 0;
    for (const { position, event } of store.read()) { events++; if (mode === 'replay') table.apply(position, event); }
    const took = performance.now() - t0;
    return { ms: took, processMs: performance.now(), events, ...memory() };
  }
  if (mode !== 'daemon') throw new Error(`bench child mode ${mode}: must be read, replay or daemon`);
  let replayed: number | undefined;
  const log = pino({ level: 'info' }, { write(line: string) { const m = /"replayed":(\d+)/.exec(line); if (m) replayed = Number(m[1]); } });
  const config = loadConfig({ overrides: { dataDir, listen: `127.0.0.1:${port}` }, searchPaths: [] });
  const t0 = performance.now();
  await startDaemon(config, log);
  const took = performance.now() - t0;
  return { ms: took, processMs: performance.now(), replayed, ...memory() };
}

// ---- the run ---------------------------------------------------------------------------------


async function main(): Promise<void> {
  const total = benchSize(1_000_000);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  // Node flags for every measured process, to try heap settings: BENCH_NODE_FLAGS="--max-semi-space-size=32".
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const root = mkdtempSync(join(tmpdir(), 'joblet-bench-restart-'));
  try {
    const dataDir = join(root, 'data');
    const emptyDir = join(root, 'empty');
    const port = String(await freePort());
    const config = loadConfig({ overrides: { dataDir, listen: `127.0.0.1:${port}` }, searchPaths: [] });
    const every = config.storage.snapshotEvery;
    const snapAt = Math.max(1, total - (every - 1));

    // 1. The log, written straight through the store in large batches (no jobs are run).
    const nodeId = ensureNodeId(dataDir);
    const built = await buildLog(join(dataDir, 'events'), total, snapAt, nodeId);
    const fileMb = statSync(join(dataDir, 'events', 'events.mdb')).size / 2 ** 20;
    console.log(`log: ${fmt(total)} events, ${fmt(built.jobs)} jobs, ${fileMb.toFixed(0)} MiB, built in ${ms(built.buildMs)} (${fmt(Math.round(total / built.buildMs * 1000))} events/s, batches of ${fmt(APPEND_BATCH)})`);

    // 2. Certificates now, so no measured start pays for key generation (only a first start does).
    for (const dir of [dataDir, emptyDir]) {
      await ensureCertificates({ certsDir: join(dir, 'certs'), configDir: join(dir, 'config'), address: `127.0.0.1:${port}`,
        serverNames: [], nodeId: ensureNodeId(dir) });
    }

    // 3. Fresh processes, each case `runs` times; the median is reported. A daemon child exits
    // without close(): close() saves a snapshot, which would change the case under measurement
    // (an unclean exit is also what a crash looks like).
    const measure = (mode: string, dir: string, profile = false) => {
      const flags = [...nodeFlags, ...(profile && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
      const all = Array.from({ length: runs }, () => runChild<Measured>(SELF, ['--child', mode, dir, port], flags));
      return { ...all[all.length - 1], ms: median(all.map((m) => m.ms)), processMs: median(all.map((m) => m.processMs)), each: all.map((m) => m.ms) };
    };
    const read = measure('read', dataDir);
    const replay = measure('replay', dataDir);
    const empty = measure('daemon', emptyDir);
    const full = measure('daemon', dataDir, true);
    await saveSnapshot(join(dataDir, 'events'), built.tail);
    const tail = measure('daemon', dataDir, true);
    await saveSnapshot(join(dataDir, 'events'), built.end);
    const clean = measure('daemon', dataDir);

    // 4. Report.
    const line = (name: string, m: ReturnType<typeof measure>, extra = '') =>
      console.log(`${name.padEnd(58)} ${ms(m.ms).padStart(10)}  runs [${m.each.map((x) => x.toFixed(0)).join(', ')}] ms  process start→done ${ms(m.processMs)}  rss ${m.rssMb} MiB heap ${m.heapMb} MiB${extra}`);
    const ratio = (m: { ms: number }) => `  ratio to read ${(m.ms / read.ms).toFixed(2)}`;
    const verdict = (m: { ms: number }) => (m.ms <= TARGET_MS ? '  MEETS 1 s' : '  MISSES 1 s');
    console.log(`median of ${runs} fresh processes each; snapshotEvery ${fmt(every)}; warm page cache${nodeFlags.length ? `; node ${nodeFlags.join(' ')}` : ''}`);
    line(`baseline: store.read() of ${fmt(read.events ?? 0)} events`, read, `  (${fmt(Math.round((read.events ?? 0) / read.ms * 1000))} events/s)`);
    line('replay only: read() + JobTable.apply', replay, ratio(replay));
    line('daemon start, empty log (fixed cost)', empty);
    line(`(a) daemon start, no snapshot (replayed ${fmt(full.replayed ?? 0)})`, full, ratio(full) + verdict(full));
    line(`(b) daemon start, snapshot at ${fmt(snapAt)} (replayed ${fmt(tail.replayed ?? 0)})`, tail, ratio(tail) + verdict(tail));
    line(`(c) daemon start, snapshot at end (replayed ${fmt(clean.replayed ?? 0)})`, clean, ratio(clean) + verdict(clean));
    console.log(`target: serving within ${TARGET_MS} ms with ${fmt(total)} events in the log`);
    if (full.replayed !== total || tail.replayed !== total - snapAt || clean.replayed !== 0) {
      throw new Error(`the daemon replayed ${full.replayed}/${tail.replayed}/${clean.replayed} events, expected ${total}/${total - snapAt}/0: the snapshot was not used as written`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [, , , mode, dir, port] = process.argv;
  child(mode, dir, port).then((m) => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    // The daemon keeps the event loop alive (gRPC server); this process's job is done.
    process.exit(0);
  }, (err) => { console.error(err); process.exit(1); });
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1; });
}
