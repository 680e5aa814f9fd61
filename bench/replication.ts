// Replication benchmark of the State service, against real servers on loopback (redis-server and
// dynalite, started here):
//   1. throughput: a log of N events (N/4 simulated jobs: submitted, launching, started,
//      finished) is replicated from position 1; job records per second until caught up.
//   2. outage: jobs are appended at 100 jobs/s, the backend is stopped for BENCH_OUTAGE_S seconds
//      (default 60) and started again; how long until the backlog is acknowledged.
// Jobs are simulated by appending their events straight to an event store (no processes run), so
// the numbers measure replication alone. Settings are the defaults (batch 500, 20 ms, backoff cap 10 s).
// Usage: node dist/bench/replication.js [EVENTS]   BENCH_OUTAGE_S=10 for a short outage run
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventStore } from '../src/persist/eventStore.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import type { JobSpec } from '../src/events/job.js';
import { StateService } from '../src/state/stateService.js';
import type { StateSettings } from '../src/state/backend.js';
import { RedisServer, DynaliteServer, redisUnavailable } from '../test/integration/state/services.js';
import { benchSize, fmt } from './common.js';

const spec: JobSpec = {
  command: 'echo', args: ['hello'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, environment: {}, secretKeys: [],
  uploads: [], workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
};
const by = { cn: 'bench', role: 'admin' as const };
let seq = 0;
function jobEvents(at: number): JobEvent[] {
  const jobId = `bench-${process.pid}-${seq++}`;
  return [
    { type: 'JobSubmitted', jobId, at, by, nodeId: 'bench-node', spec },
    { type: 'JobLaunching', jobId, at },
    { type: 'JobStarted', jobId, at: at + 1, pid: 1000 },
    { type: 'JobFinished', jobId, at: at + 2, status: 'COMPLETED', exitCode: 0 },
  ];
}

const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settings(backend: 'redis' | 'dynamodb', url: string, table: string): StateSettings {
  return {
    backend, batchSize: 500, batchDelayMs: 20, retryMaxMs: 10_000, syncOnStart: false, syncTimeoutMs: 10_000,
    redis: { url, keyPrefix: `bench${process.pid}:`, cluster: [], options: {} },
    dynamodb: { tableName: table, region: 'us-east-1', endpoint: url, ttlMs: 0, createTable: true },
  };
}

async function throughput(name: string, s: StateSettings, events: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-repl-'));
  const store = EventStore.open<JobEvent>({ path: dir });
  try {
    for (let i = 0; i < events / 4; i += 1000) {
      const batch: JobEvent[] = [];
      for (let j = i; j < Math.min(i + 1000, events / 4); j++) batch.push(...jobEvents(Date.now()));
      await store.append(batch);
    }
    const t0 = performance.now();
    const state = StateService.start({ store, settings: s, dataDir: dir, log });
    if (!(await state.caughtUp(store.lastPosition, 600_000))) throw new Error(`${name}: not caught up in 10 min`);
    const sec = (performance.now() - t0) / 1000;
    const jobs = events / 4;
    const written = state.status().recordsWritten;
    console.log(`${name.padEnd(9)} ${fmt(events)} events, ${fmt(jobs)} jobs in ${sec.toFixed(2)} s: ` +
      `${fmt(Math.round(jobs / sec))} job records/s (${fmt(written)} record writes after coalescing, ${fmt(Math.round(written / sec))} writes/s)`);
    await state.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function outage(name: string, s: StateSettings, server: { stop(): Promise<void>; up(): Promise<void> }, outageS: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-outage-'));
  const store = EventStore.open<JobEvent>({ path: dir });
  const state = StateService.start({ store, settings: s, dataDir: dir, log });
  let appending = true;
  // 100 jobs/s: 10 jobs every 100 ms, each four events.
  const load = (async () => {
    while (appending) {
      const batch: JobEvent[] = [];
      for (let i = 0; i < 10; i++) batch.push(...jobEvents(Date.now()));
      await store.append(batch);
      await sleep(100);
    }
  })();
  try {
    await sleep(3000);
    await server.stop();
    const down = Date.now();
    await sleep(outageS * 1000);
    const backlog = store.lastPosition - state.status().position;
    await server.up();
    const up = performance.now();
    const target = store.lastPosition;
    let firstAck = 0;
    const acked0 = state.status().position;
    while (state.status().position < target) {
      if (!firstAck && state.status().position > acked0) firstAck = performance.now() - up;
      if (performance.now() - up > 600_000) throw new Error(`${name}: backlog not written in 10 min`);
      await sleep(5);
    }
    const catchUp = (performance.now() - up) / 1000;
    console.log(`${name.padEnd(9)} outage ${((Date.now() - down) / 1000 - catchUp).toFixed(0)} s at 100 jobs/s: backlog ${fmt(backlog)} events ` +
      `(${fmt(Math.round(backlog / 4))} jobs); first write ${(firstAck / 1000).toFixed(2)} s after the backend was back ` +
      `(backoff cap 10 s), whole backlog acknowledged in ${catchUp.toFixed(2)} s`);
  } finally {
    appending = false;
    await load;
    await state.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const events = Math.max(4, Math.floor(benchSize(80_000) / 4) * 4);
const outageS = Number(process.env.BENCH_OUTAGE_S ?? 60);
const why = redisUnavailable();
if (why) console.log(`redis: skipped (${why})`);
else {
  const redis = await RedisServer.start();
  try {
    await throughput('redis', settings('redis', redis.url, ''), events);
    await outage('redis', settings('redis', redis.url, ''), redis, outageS);
  } finally {
    await redis.close();
  }
}
const dynalite = await DynaliteServer.start();
try {
  await throughput('dynalite', settings('dynamodb', dynalite.endpoint, 'bench-throughput'), Math.min(events, 20_000));
  await outage('dynalite', settings('dynamodb', dynalite.endpoint, 'bench-outage'), dynalite, outageS);
} finally {
  await dynalite.close();
}
