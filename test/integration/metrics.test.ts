// Job metrics against a real daemon sampling real cgroups once a second: CPU % under a CPU limit,
// memory rising, the exit sample, GetJobMetrics ranges and limits, StreamJobMetrics from history
// into live samples until the job ends, roles, unknown jobs, and samples in the event tail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, call, FINAL, collect, type TestDaemon } from '../support/testDaemon.js';
import { until } from '../support/until.js';
import { tail } from '../support/eventTail.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { JobMetricsEvent__Output as Metrics } from '../../src/gen/joblet/JobMetricsEvent.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import type { RunJobRequest } from '../../src/gen/joblet/RunJobRequest.js';

let d: TestDaemon;
let jobs: JobServiceClient;
let cpuJob = '';

const runJob = (req: Partial<RunJobRequest>) => call<{ job_uuid: string }>(jobs, 'RunJob', req).then((r) => r.job_uuid);
const getMetrics = (req: Record<string, unknown>, client: JobServiceClient = jobs) => collect<Metrics>(client, 'GetJobMetrics', req);
const ended = (s: Status) => FINAL.includes(s.status);

const finish = (id: string) => until(() => call<Status>(jobs, 'GetJobStatus', { uuid: id }), ended);

/** The job's samples as the event tail has them (with peak and pids), and the type of the event before JobFinished. */
async function tailSamples(id: string) {
  const events = await tail(d, 'admin', { job_id: id });
  const fin = events.findIndex((e) => e.type === 'JobFinished');
  return { samples: events.filter((e) => e.metrics).map((e) => e.metrics!), beforeEnd: events[fin - 1]?.type, events };
}

test.before(async () => {
  d = await startTestDaemon({ configYaml: 'joblet:\n  metricsInterval: 1s\n' });
  jobs = d.jobs('developer');
  // ~3 s of a busy loop under max_cpu=50: the cgroup lets it run half of one core
  cpuJob = await runJob({ command: 'timeout', args: ['3', 'sh', '-c', 'while :; do :; done'], max_cpu: 50 });
  await finish(cpuJob);
});
test.after(async () => { await d?.close(); });

test('a CPU-bound job under max_cpu=50: periodic samples near 50 %, never far above, and an exit sample', async () => {
  const samples = await getMetrics({ job_uuid: cpuJob });
  assert.ok(samples.length >= 3, `expected a sample per second and one at exit, got ${samples.length}`);
  const periodic = samples.slice(0, -1).map((s) => s.cpu_percent);
  for (const p of periodic) assert.ok(p >= 0 && p <= 75, `cpu ${p}% is outside 0..75 under a 50% limit: ${periodic}`);
  // the limit caps it from above; from below only a busy host (other jobs on 2 cores) holds it back
  assert.ok(Math.max(...periodic) >= 20, `no sample near 50%: ${periodic}`);
  for (const s of samples) {
    assert.is(s.job_uuid, cpuJob);
    assert.ok(BigInt(s.timestamp) > 1_600_000_000_000_000_000n, `timestamp ${s.timestamp} is not Unix ns`);
    assert.is(s.gpu_percent, 0);
  }
  const stamps = samples.map((s) => BigInt(s.timestamp));
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] >= stamps[i - 1], 'samples are in time order');
  // the exit sample is the event right before the job's end, taken after its processes are gone
  const t = await tailSamples(cpuJob);
  assert.is(t.beforeEnd, 'JobMetricsSampled');
  assert.is(t.samples.at(-1)!.pids, 0);
  assert.ok(t.samples.slice(0, -1).some((s) => s.pids > 0), 'a running sample counts the job\'s processes');
  assert.ok(t.samples.every((s) => s.has_network && Number(s.net_recv_bytes) === 0), 'own netns, loopback not counted');
});

test('a job filling tmpfs (charged to its memory): memory and peak rise, the limit is reported', async () => {
  const id = await runJob({ command: 'sh', args: ['-c', 'for i in $(seq 1 30); do head -c 2097152 /dev/zero >> /tmp/fill; sleep 0.1; done; sleep 1.2'], max_memory: 256 });
  await finish(id);
  const { samples } = await tailSamples(id);
  assert.ok(samples.length >= 3, `got ${samples.length} samples`);
  const mem = samples.map((s) => Number(s.memory_bytes));
  const peak = Number(samples.at(-1)!.memory_peak_bytes);
  assert.ok(mem.slice(0, -1).some((m, i) => i > 0 && m > mem[0]), `memory did not rise: ${mem}`);
  assert.ok(peak >= 50 * 2 ** 20, `peak ${peak} is below the 60 MiB written to tmpfs`);
  assert.ok(samples.every((s) => Number(s.memory_limit_bytes) === 256 * 2 ** 20), 'limit is max_memory');
  const wire = await getMetrics({ job_uuid: id });
  assert.is(wire.length, samples.length);
  assert.is(wire.at(-1)!.memory_limit, String(256 * 2 ** 20));
});

test('GetJobMetrics: start_time, end_time (Unix ns, inclusive) and limit', async () => {
  const all = await getMetrics({ job_uuid: cpuJob });
  assert.ok(all.length >= 3);
  const second = all[1].timestamp;
  assert.equal((await getMetrics({ job_uuid: cpuJob, limit: 2 })).map((s) => s.timestamp), all.slice(0, 2).map((s) => s.timestamp));
  assert.equal((await getMetrics({ job_uuid: cpuJob, start_time: second })).map((s) => s.timestamp), all.slice(1).map((s) => s.timestamp));
  assert.equal((await getMetrics({ job_uuid: cpuJob, end_time: second })).map((s) => s.timestamp), all.slice(0, 2).map((s) => s.timestamp));
  assert.equal((await getMetrics({ job_uuid: cpuJob, start_time: second, end_time: second, limit: 5 })).map((s) => s.timestamp), [second]);
  assert.equal(await getMetrics({ job_uuid: cpuJob.slice(0, 8), start_time: '1', end_time: '2' }), []);
});

test('GetJobMetrics: a bad range is INVALID_ARGUMENT naming the field; an unknown job NOT_FOUND', async () => {
  const fail = (req: Record<string, unknown>) => getMetrics(req).then(() => { throw new Error('expected an error'); }, (e: grpc.ServiceError) => e);
  let e = await fail({ job_uuid: cpuJob, start_time: '2000', end_time: '1000' });
  assert.is(e.code, grpc.status.INVALID_ARGUMENT);
  assert.match(e.details, /^end_time: /);
  e = await fail({ job_uuid: cpuJob, limit: -1 });
  assert.is(e.code, grpc.status.INVALID_ARGUMENT);
  assert.match(e.details, /^limit: /);
  e = await fail({ job_uuid: cpuJob, start_time: '-5' });
  assert.match(e.details, /^start_time: /);
  e = await fail({ job_uuid: '00000000-0000-4000-8000-000000000000' });
  assert.is(e.code, grpc.status.NOT_FOUND);
  const s = await collect<Metrics>(jobs, 'StreamJobMetrics', { job_uuid: 'deadbeef-nope' }).catch((err: grpc.ServiceError) => err);
  assert.is((s as grpc.ServiceError).code, grpc.status.NOT_FOUND);
});

test('StreamJobMetrics: the samples so far, then live ones, then it closes when the job ends', async () => {
  const id = await runJob({ command: 'sleep', args: ['3'] });
  const early = await until(() => getMetrics({ job_uuid: id }), (s) => s.length >= 1);
  assert.ok(early.length >= 1, 'a sample within the first seconds');
  const streamed = await collect<Metrics>(d.jobs('reader'), 'StreamJobMetrics', { job_uuid: id });
  const after = await getMetrics({ job_uuid: id });
  // every recorded sample exactly once, in order: history, live, and the exit sample
  assert.equal(streamed.map((s) => s.timestamp), after.map((s) => s.timestamp));
  assert.ok(streamed.length > early.length, `live samples followed the ${early.length} of history`);
  assert.is(new Set(streamed.map((s) => s.timestamp)).size, streamed.length, 'no duplicate');
  assert.ok(ended(await call<Status>(jobs, 'GetJobStatus', { uuid: id })), 'the stream closed after the end');
  // a finished job: history only, then it closes at once
  assert.equal((await collect<Metrics>(jobs, 'StreamJobMetrics', { job_uuid: id })).map((s) => s.timestamp), after.map((s) => s.timestamp));
});

test('reader may read metrics (GetJobMetrics and the samples in the event tail)', async () => {
  const samples = await getMetrics({ job_uuid: cpuJob }, d.jobs('reader'));
  assert.ok(samples.length >= 3);
  const events = await tail(d, 'reader', { job_id: cpuJob, types: ['JobMetricsSampled'] });
  assert.is(events.length, samples.length);
  assert.ok(events.every((e) => e.metrics && e.summary.startsWith('cpu ')));
});

test('shutdown ends an open StreamJobMetrics with UNAVAILABLE, not a clean end that would pass for the job\'s', async () => {
  const id = await runJob({ command: 'sleep', args: ['30'] });
  await until(() => getMetrics({ job_uuid: id }), (s) => s.length >= 1);
  const reader = d.jobs('reader');
  const got: Metrics[] = [];
  const status = new Promise<number>((resolve) => {
    const s = reader.StreamJobMetrics({ job_uuid: id });
    s.on('data', (m: Metrics) => got.push(m));
    s.on('error', (e: grpc.ServiceError) => resolve(e.code));
    s.on('end', () => resolve(grpc.status.OK));
  });
  await until(async () => got.length, (n) => n >= 1);
  await d.close();
  // The server's shutdown signal ends the call with UNAVAILABLE; never OK: the series was cut, not complete.
  const code = await status;
  assert.is(code, grpc.status.UNAVAILABLE);
});

test.run();
