// Event tail throughput: events per second delivered to a `follow` TailEvents client over mTLS,
// on a log of N job events (default 1M), next to baselines measured in the same run on the same log:
//   read()                  plain store.read() iteration (decode only): the ceiling for any reader
//   read() + wire + encode  what the server does per event without the network: filter, chain hash
//                           lookup, toWireEvent, protobuf encoding
//   grpc-js ceiling         a bare grpc-js server (own process, same mTLS) streaming N messages of the
//                           same size with no log behind them: what one message per event costs at best
//   TailEvents              a daemon (its own process, as in production, measured once its start-up
//                           work is done) streaming the whole log, without and with `follow` (history
//                           into live), and with a type filter (one event in ten sent)
//   rnx events > /dev/null  the CLI end to end (process start, stream, one text line per event)
// Every client is a fresh process, timed from its call to the Nth event. The log is appended straight
// through EventStore in big batches (no jobs run), as bench/restart.ts does: N/10 jobs of 10 events,
// 16 jobs interleaved.
// Usage: node dist/bench/tail.js [events=1000000]   (or BENCH_EVENTS)
import { mkdtempSync, readFileSync, rmSync, statSync, openSync, closeSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { parse } from 'yaml';
import { loadConfig, ensureNodeId } from '../src/config/index.js';
import { ensureCertificates } from '../src/certs/index.js';
import { startDaemon } from '../src/daemon.js';
import { EventStore } from '../src/persist/eventStore.js';
import { eventsProto } from '../src/proto.js';
import { toWireEvent } from '../src/api/eventWire.js';
import type { Event__Output } from '../src/gen/joblet/events/v1/Event.js';
import type { TailEventsRequest } from '../src/gen/joblet/events/v1/TailEventsRequest.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import type { Caller, JobSpec } from '../src/events/job.js';
import { benchSize, fmt, runChild } from './common.js';
import { freePort } from '../test/support/freePort.js';

const SELF = fileURLToPath(import.meta.url);
const CONCURRENT_JOBS = 16;
const APPEND_BATCH = 10_000;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

// ---- the log ---------------------------------------------------------------------------------

const caller: Caller = { cn: 'joblet-developer', role: 'developer', peer: 'ipv4:10.0.3.17:51724' };
const spec = (i: number): JobSpec => ({
  command: 'python3', args: ['train.py', '--seed', String(i)], maxCpu: 200, cpuCores: '', maxMemory: 2048, maxIoBps: 0,
  environment: { PYTHONUNBUFFERED: '1' }, secretKeys: i % 4 === 0 ? ['API_TOKEN'] : [], uploads: [],
  workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
});

/** One job's life in exactly 10 events: submitted, launching, started, 6 output lines, finished. */
function jobLife(i: number, nodeId: string): JobEvent[] {
  const jobId = randomUUID();
  const out = (k: number): JobEvent => ({ type: 'JobOutputWritten', jobId, at: 0, stream: 'stdout', data: Buffer.from(`epoch ${k} step ${i} loss ${(1 / (k + 2)).toFixed(4)}\n`) });
  return [
    { type: 'JobSubmitted', jobId, at: 0, by: caller, nodeId, spec: spec(i) },
    { type: 'JobLaunching', jobId, at: 0 },
    { type: 'JobStarted', jobId, at: 0, pid: 10_000 + (i % 50_000) },
    ...Array.from({ length: 6 }, (_, k) => out(k)),
    { type: 'JobFinished', jobId, at: 0, status: 'COMPLETED', exitCode: 0 },
  ];
}

async function buildLog(dir: string, total: number, nodeId: string): Promise<number> {
  const store = EventStore.open<JobEvent>({ path: dir, mapSizeBytes: 4 * 2 ** 30 });
  let batch: JobEvent[] = [];
  let position = 0;
  const t0 = performance.now();
  for (let job = 0; position < total; job += CONCURRENT_JOBS) {
    const lives = Array.from({ length: CONCURRENT_JOBS }, (_, k) => jobLife(job + k, nodeId));
    for (let step = 0; step < 10; step++) {
      for (const life of lives) {
        if (position >= total) break;
        const e = life[step];
        e.at = 1_700_000_000_000 + position * 20;
        batch.push(e);
        position++;
      }
    }
    if (batch.length >= APPEND_BATCH || position >= total) { await store.append(batch); batch = []; }
  }
  await store.close();
  return performance.now() - t0;
}

// ---- baselines, in this process, on the same file ---------------------------------------------

function baselines(dir: string): { readRate: number; wireRate: number } {
  const store = EventStore.open<JobEvent>({ path: dir, readOnly: true });
  try {
    let n = 0;
    const t0 = performance.now();
    for (const e of store.read()) if (e.event.type) n++;
    const readRate = rate(n, performance.now() - t0);
    const serialize = eventsProto().joblet.events.v1.EventService.service.TailEvents.responseSerialize;
    let bytes = 0;
    const t1 = performance.now();
    for (const { position, event } of store.read()) {
      const hash = store.hashAt(position);
      bytes += serialize(toWireEvent(position, event, { nodeId: 'bench', showPeer: () => true, includeOutput: false, ...(hash ? { hash } : {}) })).length;
    }
    const wireRate = rate(n, performance.now() - t1);
    console.log(`${'baseline: store.read()'.padEnd(44)} ${fmt(readRate).padStart(10)} events/s`);
    console.log(`${'read() + hash + toWireEvent + encode'.padEnd(44)} ${fmt(wireRate).padStart(10)} events/s  ratio to read() ${(wireRate / readRate).toFixed(2)}  (${(bytes / n).toFixed(0)} bytes/event)`);
    return { readRate, wireRate };
  } finally {
    void store.close();
  }
}

// ---- the daemon (child process) and the client -------------------------------------------------


function startChild(mode: '--daemon' | '--bare', dataDir: string, port: number, total: number): Promise<ChildProcess> {
  // BENCH_PROFILE_DIR=dir writes a --cpu-prof profile of the server.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, SELF, mode, dataDir, String(port), String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('serving')) resolve(child); });
    child.on('exit', (code) => reject(new Error(`bench ${mode} child exited with ${code} before serving`)));
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await exited;
}

/** A bare server: TailEvents answers `total` copies of one typical event (positions 1..total), with drain. */
async function serveBare(dataDir: string, port: number, total: number): Promise<void> {
  const certs = await ensureCertificates({ certsDir: join(dataDir, 'certs'), configDir: join(dataDir, 'config'), address: `127.0.0.1:${port}`, serverNames: [], nodeId: ensureNodeId(dataDir) });
  const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events'), readOnly: true });
  const [{ event }] = [...store.read(5, 5)];
  const hash = store.hashAt(5);
  await store.close();
  const sample = toWireEvent(5, event, { nodeId: 'bench', showPeer: () => true, includeOutput: false, ...(hash ? { hash } : {}) });
  const server = new grpc.Server();
  server.addService(eventsProto().joblet.events.v1.EventService.service, {
    TailEvents: async (call: grpc.ServerWritableStream<unknown, unknown>) => {
      for (let i = 1; i <= total && !call.cancelled; i++) {
        if (!call.write({ ...sample, position: i })) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    },
  });
  const creds = grpc.ServerCredentials.createSsl(readFileSync(certs.caFile), [{ cert_chain: readFileSync(certs.serverFile), private_key: readFileSync(certs.serverKeyFile) }], true);
  await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, creds, (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write('serving\n');
  process.once('SIGTERM', () => { server.forceShutdown(); process.exit(0); });
}

/** Tails from position 1 (following unless req says otherwise); resolves with the time until the event at `last` arrived. */
function followUntil(address: string, creds: grpc.ChannelCredentials, req: TailEventsRequest, last: number): Promise<{ ms: number; received: number }> {
  const client = new (eventsProto().joblet.events.v1.EventService)(address, creds, { 'grpc.ssl_target_name_override': 'joblet' });
  return new Promise<{ ms: number; received: number }>((resolve, reject) => {
    let received = 0;
    let expect = 1;
    const t0 = performance.now();
    const s = client.TailEvents({ follow: true, ...req });
    s.on('data', (e: Event__Output) => {
      received++;
      const p = Number(e.position);
      // Every position exactly once and in order (or, with a filter, strictly increasing).
      if (req.types ? p < expect : p !== expect) { s.cancel(); reject(new Error(`position ${p} arrived, expected ${expect}`)); return; }
      expect = p + 1;
      if (p >= last) { const ms = performance.now() - t0; s.cancel(); resolve({ ms, received }); }
    });
    s.on('error', (err: grpc.ServiceError) => { if (err.code !== grpc.status.CANCELLED) reject(err); });
  }).finally(() => client.close());
}

/**
 * The client runs in a fresh process, as a real one does: this process holds the big heap left by
 * building the log, and its collector would be measured along with the stream.
 */
function followInChild(configFile: string, address: string, req: TailEventsRequest, last: number): { ms: number; received: number } {
  return runChild(SELF, ['--client', configFile, address, JSON.stringify(req), String(last)]);
}

function credentialsFrom(configFile: string): grpc.ChannelCredentials {
  const node = (parse(readFileSync(configFile, 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
  return grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
}

async function main(): Promise<void> {
  const total = benchSize(1_000_000);
  const root = mkdtempSync(join(tmpdir(), 'joblet-bench-tail-'));
  let daemon: ChildProcess | undefined;
  try {
    const dataDir = join(root, 'data');
    const logDir = join(dataDir, 'events');
    const port = await freePort();
    const nodeId = ensureNodeId(dataDir);
    const buildMs = await buildLog(logDir, total, nodeId);
    const fileMb = statSync(join(logDir, 'events.mdb')).size / 2 ** 20;
    console.log(`log: ${fmt(total)} events, ${fileMb.toFixed(0)} MiB, built in ${(buildMs / 1000).toFixed(1)} s`);
    const { readRate } = baselines(logDir);

    await ensureCertificates({ certsDir: join(dataDir, 'certs'), configDir: join(dataDir, 'config'), address: `127.0.0.1:${port}`, serverNames: [], nodeId });
    const configFile = join(dataDir, 'config', 'rnx-config.yml');
    const address = `127.0.0.1:${port}`;

    const bare = await startChild('--bare', dataDir, port, total);
    const ceiling = await Promise.resolve().then(() => followInChild(configFile, address, {}, total)).finally(() => stopChild(bare));
    const ceilingRate = rate(ceiling.received, ceiling.ms);
    console.log(`${'grpc-js ceiling: bare server, same message'.padEnd(44)} ${fmt(ceilingRate).padStart(10)} events/s  ratio to read() ${(ceilingRate / readRate).toFixed(2)}`);

    daemon = await startChild('--daemon', dataDir, port, total);

    const history = followInChild(configFile, address, { follow: false }, total);
    const historyRate = rate(history.received, history.ms);
    console.log(`${'TailEvents without follow, every event'.padEnd(44)} ${fmt(historyRate).padStart(10)} events/s  ratio to read() ${(historyRate / readRate).toFixed(2)}, to the grpc-js ceiling ${(historyRate / ceilingRate).toFixed(2)}`);
    const all = followInChild(configFile, address, {}, total);
    const allRate = rate(all.received, all.ms);
    console.log(`${'TailEvents follow, every event'.padEnd(44)} ${fmt(allRate).padStart(10)} events/s  ratio to read() ${(allRate / readRate).toFixed(2)}, to the grpc-js ceiling ${(allRate / ceilingRate).toFixed(2)}  (${fmt(all.received)} events in ${(all.ms / 1000).toFixed(2)} s)`);
    const lastFinished = total - (total % 10 === 0 ? 0 : total % 10);
    const one = followInChild(configFile, address, { types: ['JobFinished'] }, lastFinished);
    const scanRate = rate(lastFinished, one.ms);
    console.log(`${'TailEvents follow, JobFinished only'.padEnd(44)} ${fmt(scanRate).padStart(10)} log events/s scanned  ratio to read() ${(scanRate / readRate).toFixed(2)}  (${fmt(one.received)} sent)`);

    const devNull = openSync('/dev/null', 'w');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'rnx.js'), '--config', configFile, 'events'], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    const cliMs = performance.now() - t0;
    closeSync(devNull);
    if (r.status !== 0) throw new Error(`rnx events exited ${r.status}: ${r.stderr}`);
    const cliRate = rate(total, cliMs);
    console.log(`${'rnx events > /dev/null (process included)'.padEnd(44)} ${fmt(cliRate).padStart(10)} events/s  ratio to read() ${(cliRate / readRate).toFixed(2)}  (${(cliMs / 1000).toFixed(2)} s wall)`);
  } finally {
    await stopChild(daemon);
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--client') {
  const [, , , configFile, address, req, last] = process.argv;
  followUntil(address, credentialsFrom(configFile), JSON.parse(req) as TailEventsRequest, Number(last)).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }, (err) => { console.error(err); process.exit(1); });
} else if (process.argv[2] === '--bare') {
  serveBare(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).catch((err) => { console.error(err); process.exit(1); });
} else if (process.argv[2] === '--daemon') {
  const [, , , dataDir, port] = process.argv;
  const config = loadConfig({ overrides: { dataDir, listen: `127.0.0.1:${port}` }, searchPaths: [] });
  // Measured once the daemon is idle: the State service replicates every job of the log after a
  // start, and that catch-up would otherwise share the daemon's thread with the first tail.
  startDaemon(config, pino({ level: 'warn' })).then(async (d) => {
    if (!(await d.state.caughtUp(d.logPosition(), 600_000))) throw new Error('the State service did not catch up with the log in 10 min');
    process.stdout.write('serving\n');
    process.once('SIGTERM', () => { void d.close().then(() => process.exit(0)); });
  }, (err) => { console.error(err); process.exit(1); });
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1; });
}
