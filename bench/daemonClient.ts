// A real joblet daemon in its own process for the end-to-end benches, and the client side of one
// job. The daemon runs as `node bin/joblet.js` (not in the bench's process) so that its RSS and
// its CPU profile are its own, and the clients' gRPC work competes with it the way a separate
// rnx process would. Clients use the admin rnx config the daemon writes, over real mTLS.
// Nothing runs on import: scripts/run-bench.mjs runs every dist/bench/*.js file it finds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { eventsProto, jobletProto } from '../src/proto.js';
import type { JobServiceClient } from '../src/gen/joblet/JobService.js';
import type { EventServiceClient } from '../src/gen/joblet/events/v1/EventService.js';
import { EventStore } from '../src/persist/eventStore.js';
import { upcastJobEvent } from '../src/events/upcasters.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import { benchDir } from './common.js';

const JOBLET_BIN = fileURLToPath(new URL('../../bin/joblet.js', import.meta.url));
/**
 * The node flags docs/operations.md recommends for the daemon ("Memory"): V8's default sizing
 * lets the heap grow to ~4x what the daemon holds live (~300 MiB RSS after 10,000 jobs, ~150 MiB
 * with this flag, for ~0.3 ms more CPU per job in bench/launch).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];
const START_TIMEOUT_MS = 30_000;
const CHANNEL = { 'grpc.ssl_target_name_override': 'joblet', 'grpc.use_local_subchannel_pool': 1 };
const STOP_TIMEOUT_MS = 30_000;

/** MiB. rss = anon + file (+ shmem): file pages are mapped files, chiefly the LMDB event log. */
export interface Memory { rssMb: number; hwmMb: number; anonMb: number; fileMb: number }

/** VmRSS, VmHWM (peak RSS), RssAnon and RssFile of a process, from /proc/<pid>/status (proc(5)), in MiB. */
export function procMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field} line (is ${pid} a live process?)`);
    return Number(m[1]);
  };
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
}

// USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux build Node runs on.
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU time of a process and all its threads (the libuv pool too), in ms (proc(5) fields 14, 15). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it are split after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_S;
}

/** Busy (non-idle) CPU time of the whole machine in ms, summed over CPUs, from /proc/stat's cpu line. */
export function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const idle = ticks[3] + ticks[4];  // idle + iowait
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle) * 1000 / CLOCK_TICKS_PER_S;
}

/** Direct children of a process (the State service's child), from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
}

export interface DaemonProcess {
  pid: number;
  address: string;
  dataDir: string;
  /** A client with its own connection (a local subchannel pool), as a separate rnx would have. */
  client(): JobServiceClient;
  /** joblet.events.v1 on its own connection */
  eventsClient(): EventServiceClient;
  memory(): Memory;
  /** SIGTERM, then waits for the clean exit (close() saves a snapshot; --cpu-prof writes its file). */
  stop(): Promise<void>;
  /** Removes the data dir; call after stop(). */
  remove(): void;
}

/** Starts `node [nodeFlags] bin/joblet.js` on a fresh data dir and loopback port 0; resolves when it logs "serving". */
export async function spawnDaemon(nodeFlags: readonly string[] = DAEMON_NODE_FLAGS): Promise<DaemonProcess> {
  const dataDir = benchDir('joblet-bench-daemon-');
  const child = spawn(process.execPath, [...nodeFlags, JOBLET_BIN, '--data-dir', dataDir, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`joblet daemon did not log "serving" within ${START_TIMEOUT_MS} ms: ${output.slice(-2000)}`)), START_TIMEOUT_MS);
    const onLine = (chunk: Buffer) => {
      output += chunk;
      const m = /"address":"([^"]+)"[^\n]*"msg":"serving"/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', (d) => { output += d; });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`joblet daemon exited ${code} before serving: ${output.slice(-2000)}`)); });
  });
  // Keep draining its output so a chatty daemon never blocks on a full pipe; keep the tail for errors.
  child.stdout!.on('data', () => { output = output.slice(-4000); });
  const node = (parse(readFileSync(join(dataDir, 'config', 'rnx-config.yml'), 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
  const clients: grpc.Client[] = [];
  const creds = () => grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
  return {
    pid: child.pid!,
    address,
    dataDir,
    client() {
      const c = new (jobletProto().joblet.JobService)(address, creds(), CHANNEL);
      clients.push(c);
      return c;
    },
    eventsClient() {
      const c = new (eventsProto().joblet.events.v1.EventService)(address, creds(), CHANNEL);
      clients.push(c);
      return c;
    },
    memory: () => procMemory(child.pid!),
    stop: () => stopChild(child, exited, clients, () => output),
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | string>, clients: grpc.Client[], output: () => string): Promise<void> {
  for (const c of clients) c.close();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`joblet daemon exited ${code} after SIGTERM (wanted 0): ${output().slice(-2000)}`);
}

/**
 * One job end to end: RunJob, then GetJobLogs, whose stream ends only after the job's durable
 * JobFinished (it replays history first, so a job that finished before the call still ends it).
 * Returns the job id and the ms from sending RunJob to the stream's end.
 */
export function runToEnd(client: JobServiceClient, command: string, args: string[] = []): Promise<{ jobId: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    client.RunJob({ command, args }, (err, res) => {
      if (err || !res) return reject(err ?? new Error('RunJob: empty response'));
      const jobId = res.job_uuid;
      const stream = client.GetJobLogs({ uuid: jobId });
      stream.on('data', () => { /* /bin/true writes nothing; output, if any, is not measured */ });
      stream.on('error', reject);
      stream.on('end', () => resolve({ jobId, ms: performance.now() - t0 }));
    });
  });
}

/**
 * One TailEvents follower of JobFinished events, opened before the jobs it waits for, the way a
 * `docker run` client opens its wait before the start: `ended(jobId)` resolves when the job's
 * durable end reaches the client (also when it came before the call).
 */
export function endWatcher(events: EventServiceClient): { ended(jobId: string): Promise<void>; close(): void } {
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const stream = events.TailEvents({ follow: true, types: ['JobFinished'] });
  stream.on('data', (e: { job_id: string }) => {
    const w = waiting.get(e.job_id);
    if (w) { waiting.delete(e.job_id); w(); } else seen.add(e.job_id);
  });
  stream.on('error', () => undefined);  // cancelled by close()
  return {
    ended: (jobId) => (seen.delete(jobId) ? Promise.resolve() : new Promise((r) => waiting.set(jobId, r))),
    close: () => stream.cancel(),
  };
}

/** One job end to end: RunJob sent until its durable end arrives on `watcher` (opened before). */
export async function runToEndEvent(client: JobServiceClient, watcher: ReturnType<typeof endWatcher>, command: string): Promise<{ jobId: string; ms: number }> {
  const t0 = performance.now();
  const jobId = await new Promise<string>((resolve, reject) => client.RunJob({ command, args: [] }, (err, res) => (err || !res ? reject(err ?? new Error('RunJob: empty response')) : resolve(res.job_uuid))));
  await watcher.ended(jobId);
  return { jobId, ms: performance.now() - t0 };
}

export interface JobTimes { submitted: number; started?: number; finished?: number; status?: string; reason?: string }

/** Each job's event times (ms, Date.now() in the daemon) from the log, read-only (a running daemon's log too). */
export async function jobTimes(dataDir: string): Promise<Map<string, JobTimes>> {
  const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events'), upcast: upcastJobEvent, readOnly: true });
  const jobs = new Map<string, JobTimes>();
  try {
    for (const { event: e } of store.read()) {
      if (e.type === 'JobSubmitted') jobs.set(e.jobId, { submitted: e.at });
      const id = (e as { jobId?: string }).jobId;
      const j = id === undefined ? undefined : jobs.get(id);
      if (!j) continue;
      if (e.type === 'JobStarted') j.started = e.at;
      else if (e.type === 'JobFinished') { j.finished = e.at; j.status = e.status; j.reason = e.reason; }
    }
  } finally {
    await store.close();
  }
  return jobs;
}

export interface LoadResult { ms: number[]; jobIds: string[]; wallMs: number }

/**
 * Every client runs jobs back to back (submit, await the end, submit the next) while `more()`
 * says so; `more` is asked once per job about to be submitted, so a count limit is exact.
 */
export async function closedLoop(clients: JobServiceClient[], more: () => boolean, command = '/bin/true'): Promise<LoadResult> {
  const out: LoadResult = { ms: [], jobIds: [], wallMs: 0 };
  const t0 = performance.now();
  await Promise.all(clients.map(async (client) => {
    while (more()) {
      const { jobId, ms } = await runToEnd(client, command);
      out.ms.push(ms);
      out.jobIds.push(jobId);
    }
  }));
  out.wallMs = performance.now() - t0;
  return out;
}
