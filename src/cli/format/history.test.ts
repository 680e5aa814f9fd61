// `rnx job history`: the timeline from a job's events (through the real wire conversion and
// protobuf encoding), compared exactly: steps with the time since the previous one, output summed
// into one line, metrics when there are samples, and the waited / ran / total durations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobEvent } from '../../events/jobEvents.js';
import type { Caller } from '../../events/job.js';
import { toWireEvent } from '../../api/eventWire.js';
import { eventsProto } from '../../proto.js';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import type { JobMetricsEvent__Output } from '../../gen/joblet/JobMetricsEvent.js';
import { buildTimeline, formatTimeline, timelineJson } from './history.js';

const JOB = '3f2b8c1e-5d4a-4b6c-9e8f-0a1b2c3d4e5f';
const T = Date.UTC(2030, 0, 2, 3, 4, 5, 0);
const alice: Caller = { cn: 'alice', role: 'developer', peer: 'ipv4:10.0.0.7:5123' };
const spec = {
  command: 'sleep', args: ['30'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, environment: {}, secretKeys: [], uploads: [],
  workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
};
const out = (at: number, stream: 'stdout' | 'stderr', text: string): JobEvent => ({ type: 'JobOutputWritten', jobId: JOB, at, stream, data: new Uint8Array(Buffer.from(text)) });

const LIFE: JobEvent[] = [
  { type: 'JobSubmitted', jobId: JOB, at: T, by: alice, nodeId: 'n', spec },
  { type: 'JobQueued', jobId: JOB, at: T + 5 },
  { type: 'JobLaunching', jobId: JOB, at: T + 1500 },
  { type: 'JobStarted', jobId: JOB, at: T + 1512, pid: 77 },
  out(T + 1600, 'stdout', 'hello\n'),
  out(T + 1700, 'stderr', 'oops\n'),
  out(T + 1800, 'stdout', 'bye\n'),
  { type: 'RequestRejected', jobId: JOB, at: T + 2000, by: { cn: 'bob', role: 'reader' }, method: 'joblet.JobService/StopJob', code: 'PERMISSION_DENIED', message: 'role reader may not call joblet.JobService/StopJob (needs developer)', request: { uuid: JOB } },
  { type: 'JobStopRequested', jobId: JOB, at: T + 62_000, by: alice, reason: 'user' },
  { type: 'JobFinished', jobId: JOB, at: T + 62_104, status: 'STOPPED', exitCode: -1 },
];

const def = eventsProto().joblet.events.v1.EventService.service.TailEvents;
const wire = (events: JobEvent[]): Event__Output[] => events.map((e, i) =>
  def.responseDeserialize(def.responseSerialize(toWireEvent(i + 10, e, { nodeId: 'n', showPeer: () => true, includeOutput: false }))));

test('a stopped job: every step, output totals, no metrics, durations', () => {
  assert.is(formatTimeline(buildTimeline(JOB, wire(LIFE), undefined)), [
    `Job ID: ${JOB}`,
    'Command: sleep 30',
    '',
    'TIME                      POSITION  STEP            AFTER    DETAIL',
    '2030-01-02T03:04:05.000Z  #10       submitted       -        sleep 30 (by alice/developer)',
    '2030-01-02T03:04:05.005Z  #11       queued          +5ms     waiting for a free slot',
    '2030-01-02T03:04:06.500Z  #12       launching       +1.495s  launching',
    '2030-01-02T03:04:06.512Z  #13       started         +12ms    pid 77',
    '2030-01-02T03:04:07.000Z  #17       refused         +488ms   joblet.JobService/StopJob PERMISSION_DENIED: role reader may not call joblet.JobService/StopJob (needs developer) (by bob/reader)',
    '2030-01-02T03:05:07.000Z  #18       stop requested  +1m0s    stop requested (user) (by alice/developer)',
    '2030-01-02T03:05:07.104Z  #19       finished        +104ms   STOPPED exit -1',
    '',
    'Output: stdout 10 bytes, stderr 5 bytes (3 chunks)',
    'Metrics: none recorded',
    'Durations: waited 1.512s, ran 1m0s, total 1m2s',
    '',
  ].join('\n'));
});

test('a job still running, and one canceled before it ran', () => {
  const running = formatTimeline(buildTimeline(JOB, wire(LIFE.slice(0, 5)), []));
  assert.match(running, /\nOutput: stdout 6 bytes, stderr 0 bytes \(1 chunk\)\nMetrics: none recorded\nDurations: waited 1.512s, ran still running, total not ended\n$/);
  const canceled = formatTimeline(buildTimeline(JOB, wire([LIFE[0], { type: 'JobCanceled', jobId: JOB, at: T + 250, by: alice }]), undefined));
  assert.match(canceled, /\nDurations: waited not started, ran never, total 250ms\n$/);
});

test('metrics: sample count, average and peak cpu, peak memory', () => {
  const sample = (cpu: number, mem: number): JobMetricsEvent__Output => ({
    timestamp: '0', job_uuid: JOB, cpu_percent: cpu, memory_bytes: String(mem), memory_limit: '0', disk_read_bytes: '0', disk_write_bytes: '0',
    net_recv_bytes: '0', net_sent_bytes: '0', gpu_percent: 0, gpu_memory_bytes: '0',
  });
  const t = buildTimeline(JOB, wire(LIFE), [sample(10, 2 ** 20), sample(90, 3 * 2 ** 20), sample(20, 2 ** 21)]);
  assert.match(formatTimeline(t), /\nMetrics: 3 samples, cpu avg 40\.0% peak 90\.0%, memory peak 3\.0 MiB\n/);
  const j = JSON.parse(timelineJson(t));
  assert.equal(j.metrics, { samples: 3, cpu_avg_percent: 40, cpu_peak_percent: 90, memory_peak_bytes: 3 * 2 ** 20 });
  assert.equal(j.durations, { waiting_ms: 1512, running_ms: 60_592, total_ms: 62_104 });
  assert.equal(j.steps.map((s: { step: string }) => s.step), ['submitted', 'queued', 'launching', 'started', 'refused', 'stop requested', 'finished']);
  assert.equal(j.output, { stdout_bytes: 10, stderr_bytes: 5, chunks: 3 });
});

test.run();
