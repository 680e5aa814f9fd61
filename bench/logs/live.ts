// bench/logs part 2: many concurrent jobs each printing one short line every few ms, each line
// stamped with the writer's CLOCK_REALTIME in µs, and one live GetJobLogs follower per job (joined
// before the job starts writing). Checks that every line arrives once and in order, and measures
// the delay from the writer's write(2) to the follower's 'data' callback.
// The writer is a tiny C program (a shell loop would fork `date` and `sleep` per line, 200,000
// forks/s at 1,000 jobs), built here with cc and uploaded into each job's work dir. It sleeps to
// absolute times start + i·every, so all jobs write in the same window once they have launched.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { LogServiceClient } from '../../src/gen/joblet/logs/v1/LogService.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import { procCpuMs } from '../daemonClient.js';
import { fmt } from '../common.js';
import { callJobs, type ConfiguredDaemon } from './daemon.js';
import { describeSpread, liveBaselines } from './liveBaselines.js';
import { loadConfig } from '../../src/config/load-config.js';

const WRITER_C = `
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* usage: linewriter START_MS LINES EVERY_MS; line i is written at START_MS + i*EVERY_MS as "i <realtime us>" */
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  long long start = atoll(argv[1]);
  int lines = atoi(argv[2]), every = atoi(argv[3]);
  char buf[64];
  for (int i = 1; i <= lines; i++) {
    long long due = start + (long long)i * every;
    struct timespec at = { due / 1000, (due % 1000) * 1000000 }, now;
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) != 0) {}
    clock_gettime(CLOCK_REALTIME, &now);
    int n = snprintf(buf, sizeof buf, "%d %lld\\n", i, (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000);
    if (write(1, buf, (size_t)n) != n) return 1;
  }
  return 0;
}
`;

export interface LiveOptions { jobs: number; lines: number; everyMs: number }

// The supervisors' rest after a small read: the daemon's default (LOGS_CONFIG_YAML may set
// joblet.outputBatch otherwise; the baseline follows LIVE_BATCH_MS then).
const BATCH_MS = Number(process.env.LIVE_BATCH_MS ?? loadConfig({ searchPaths: [] }).joblet.outputBatchMs);

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const CLIENTS = 8;
const SUBMIT_IN_FLIGHT = 32;

interface Follower { next: number; partial: string; bad: number; ended: Promise<void> }

/** Per line: write → reader, and (StreamLogs only) write → capture by the supervisor and capture → reader, in µs. */
interface Delays { total: number[]; capture: number[]; deliver: number[] }

type Chunk = { payload: Buffer; timestamp?: string };

/**
 * Follows one job's output live. StreamLogs (joblet.logs.v1, the engine GetJobLogs runs on too)
 * tags each chunk with the supervisor's capture time (ms), which splits each line's delay in two;
 * GetJobLogs (LIVE_API=GetJobLogs) gives the total only.
 */
function follow(c: JobServiceClient, logs: LogServiceClient | undefined, uuid: string, delays: Delays): Follower {
  const f: Follower = { next: 1, partial: '', bad: 0, ended: Promise.resolve() };
  f.ended = new Promise((resolve, reject) => {
    const stream: grpc.ClientReadableStream<Chunk> = logs ? logs.StreamLogs({ job_uuid: uuid, follow: true }) : c.GetJobLogs({ uuid });
    stream.on('data', ({ payload, timestamp }: Chunk) => {
      const at = nowUs();
      const capturedUs = timestamp === undefined ? undefined : Number(BigInt(timestamp) / 1000n);
      const parts = (f.partial + payload.toString('latin1')).split('\n');
      f.partial = parts.pop()!;
      let first = true;
      for (const p of parts) {
        const [i, us] = p.split(' ').map(Number);
        if (i !== f.next) f.bad++;  // a lost, repeated or reordered line
        f.next = i + 1;
        delays.total.push(at - us);
        // a chunk carries the capture time of its first record (whole ms: a line read in the ms it
        // was written shows 0), so only a chunk's first line is split
        if (capturedUs !== undefined && first) {
          delays.capture.push(Math.max(0, capturedUs - us));
          delays.deliver.push(at - capturedUs);
        }
        first = false;
      }
    });
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  return f;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export async function liveLines(d: ConfiguredDaemon, dir: string, o: LiveOptions): Promise<void> {
  writeFileSync(join(dir, 'linewriter.c'), WRITER_C);
  const cc = spawnSync('cc', ['-O2', '-o', join(dir, 'linewriter'), join(dir, 'linewriter.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc linewriter.c: exit ${cc.status ?? cc.signal}: ${cc.stderr}`);
  const binary = readFileSync(join(dir, 'linewriter'));
  console.log(`2. ${fmt(o.jobs)} concurrent writers, each printing ${o.lines} lines, one per ${o.everyMs} ms; write → reader delay:`);
  const base = liveBaselines(dir, join(dir, 'linewriter'), { ...o, batchMs: BATCH_MS });
  console.log(`  baseline: all into one pipe, one reader: ${describeSpread(base.direct)}`);
  console.log(`  baseline: each relayed by its own process (as a job's supervisor), then one pipe: ${describeSpread(base.relayed)}`);
  console.log(`  baseline: the same, each relay resting ${BATCH_MS} ms after a small read (as joblet's supervisor, joblet.outputBatch): ${describeSpread(base.batched)}`);
  const clients = Array.from({ length: CLIENTS }, () => d.client());
  // time for every job to launch before the window opens (RunJob answers before the launch; on
  // this VM 1,000 launches take 10-20 s), so all of them write at once
  const startMs = Date.now() + 5000 + o.jobs * 30;
  console.log(`  joblet: ${fmt(o.jobs)} concurrent jobs, each printing ${o.lines} lines, one per ${o.everyMs} ms, from ${new Date(startMs).toISOString()}; one live follower each`);

  const delays: Delays = { total: [], capture: [], deliver: [] };
  const useStreamLogs = process.env.LIVE_API !== 'GetJobLogs';
  const logClients = clients.map(() => (useStreamLogs ? d.logsClient() : undefined));
  const followers: Follower[] = [];
  const ids: string[] = [];
  const t0 = performance.now();
  let submitted = 0;
  await Promise.all(Array.from({ length: SUBMIT_IN_FLIGHT }, async () => {
    while (submitted < o.jobs) {
      const k = submitted++ % CLIENTS;
      const c = clients[k];
      const { job_uuid } = await callJobs<{ job_uuid: string }>(c, 'RunJob', {
        command: '/work/linewriter', args: [String(startMs), String(o.lines), String(o.everyMs)],
        uploads: [{ path: 'linewriter', content: binary, mode: 0o755, is_directory: false }],
      });
      ids.push(job_uuid);
      followers.push(follow(c, logClients[k], job_uuid, delays));
    }
  }));
  const submitS = (performance.now() - t0) / 1000;
  const lateS = (Date.now() - startMs) / 1000;
  console.log(`  submitted in ${submitS.toFixed(1)} s (${lateS > 0 ? `${lateS.toFixed(1)} s after` : `${(-lateS).toFixed(1)} s before`} the window opened)`);
  // CPU is counted from the window's opening: before it the daemon only waits (and polls 1,000 tails)
  await new Promise((r) => setTimeout(r, Math.max(0, startMs - Date.now())));
  const cpu0 = procCpuMs(d.pid);
  const own0 = process.cpuUsage();
  const w0 = Date.now();
  await Promise.all(followers.map((f) => f.ended));
  const wallS = (Date.now() - Math.max(w0, startMs)) / 1000;
  const cpuS = (procCpuMs(d.pid) - cpu0) / 1000;
  const own = process.cpuUsage(own0);
  const ownS = (own.user + own.system) / 1e6;

  const statuses = await Promise.all(ids.map((uuid, i) => callJobs<Status>(clients[i % CLIENTS], 'GetJobStatus', { uuid })));
  const completed = statuses.filter((s) => s.status === 'COMPLETED').length;
  const expected = o.jobs * o.lines;
  const received = delays.total.length;
  const bad = followers.reduce((n, f) => n + f.bad + (f.next !== o.lines + 1 ? 1 : 0) + (f.partial ? 1 : 0), 0);
  const launched = statuses.filter((s) => s.start_time !== '' && Date.parse(s.start_time) <= startMs).length;
  const sorted = Float64Array.from(delays.total).sort();
  const msOf = (us: number) => `${(us / 1000).toFixed(1)} ms`;
  const spread = (us: number[]) => { const q = Float64Array.from(us).sort(); return `p50 ${msOf(quantile(q, 0.5))}, p99 ${msOf(quantile(q, 0.99))}, max ${msOf(q[q.length - 1] ?? 0)}`; };
  console.log(`  ${fmt(completed)} of ${fmt(o.jobs)} jobs COMPLETED; ${fmt(launched)} had started when the window opened`);
  console.log(`  lines: ${fmt(received)} of ${fmt(expected)} received; lost, repeated or out of order: ${fmt(expected - received + bad)}`);
  console.log(`  write → live reader (${useStreamLogs ? 'joblet.logs.v1 StreamLogs' : 'GetJobLogs'}, follow) delay: ${spread(delays.total)}` +
    `; target p99 ≤ 100 ms and no line lost: ${quantile(sorted, 0.99) <= 100_000 && received === expected && bad === 0 ? 'met' : 'MISSED'}` +
    `; p99 ${(quantile(sorted, 0.99) / 1000 / base.relayed.p99Ms).toFixed(1)}× the relayed baseline's`);
  if (useStreamLogs) {
    console.log(`    first line of each chunk: write → read by the supervisor ${spread(delays.capture)}`);
    console.log(`    and supervisor → spool → daemon → durable in the log → reader ${spread(delays.deliver)}`);
  }
  console.log(`  daemon CPU ${cpuS.toFixed(1)} s over ${wallS.toFixed(1)} s of writing and draining (${(cpuS / wallS * 100).toFixed(0)}% of one core); the readers' process ${(ownS / wallS * 100).toFixed(0)}%`);
}
