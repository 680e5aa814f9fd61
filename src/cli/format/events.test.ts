// `rnx events` lines and JSON lines, from events that went through the real wire conversion and
// protobuf encoding (toWireEvent → TailEvents' serializer → deserializer). The text line must be
// exactly what `joblet replay` prints for the same event (formatEventLine in src/events).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobEvent } from '../../events/jobEvents.js';
import type { Caller } from '../../events/job.js';
import { formatEventLine as replayLine } from '../../events/eventSummary.js';
import { EVENT_TYPES, toWireEvent } from '../../api/eventWire.js';
import { eventsProto } from '../../proto.js';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import { formatEventJson, formatEventLine } from './events.js';

const JOB = '3f2b8c1e-5d4a-4b6c-9e8f-0a1b2c3d4e5f';
const AT = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const by: Caller = { cn: 'alice', role: 'developer', peer: 'ipv4:10.0.0.7:5123' };
const spec = {
  command: 'sh', args: ['-c', 'echo hi'], maxCpu: 150, cpuCores: '0-1', maxMemory: 256, maxIoBps: 0,
  environment: { MODE: 'fast' }, secretKeys: ['TOKEN'], uploads: [{ path: 'a.txt', size: 5, mode: 0o644, isDirectory: false }],
  workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 30_000,
};

const ONE_OF_EACH: JobEvent[] = [
  { type: 'JobSubmitted', jobId: JOB, at: AT, by, nodeId: 'node-a', spec },
  { type: 'JobQueued', jobId: JOB, at: AT + 1 },
  { type: 'JobLaunching', jobId: JOB, at: AT + 2 },
  { type: 'JobStarted', jobId: JOB, at: AT + 3, pid: 4242 },
  { type: 'JobOutputWritten', jobId: JOB, at: AT + 4, stream: 'stdout', data: new Uint8Array(Buffer.from('hi\n')) },
  { type: 'JobStopRequested', jobId: JOB, at: AT + 5, by, reason: 'user' },
  { type: 'JobFinished', jobId: JOB, at: AT + 6, status: 'STOPPED', exitCode: -1 },
  { type: 'JobCanceled', jobId: JOB, at: AT + 7, by },
  { type: 'JobDeleted', jobId: JOB, at: AT + 8, by },
  { type: 'RequestRejected', at: AT + 9, by: { cn: 'bob', role: 'reader', peer: 'ipv4:10.0.0.8:1' }, method: 'joblet.JobService/RunJob', code: 'PERMISSION_DENIED',
    message: 'role reader may not call joblet.JobService/RunJob (needs developer)', request: { command: 'rm', args: ['-rf', '/'], secret_environment: { K: '***' } } },
  { type: 'JobMetricsSampled', jobId: JOB, at: AT + 10, sample: { cpuPercent: 49.5, memoryBytes: 2 ** 20, memoryLimitBytes: 2 ** 28, memoryPeakBytes: 2 ** 21, ioReadBytes: 0, ioWriteBytes: 4096, pids: 3, netRecvBytes: 0, netSentBytes: 0 } },
];

const def = eventsProto().joblet.events.v1.EventService.service.TailEvents;

/** What a client receives: the event encoded and decoded with the service's own (de)serializers. */
function overTheWire(position: number, e: JobEvent, includeOutput = false, showPeer = true): Event__Output {
  const wire = toWireEvent(position, e, { nodeId: 'node-a', showPeer: () => showPeer, includeOutput, hash: Buffer.alloc(32, 0xab) });
  return def.responseDeserialize(def.responseSerialize(wire));
}

test('every event type has a fixture here and a payload on the wire', () => {
  assert.equal(ONE_OF_EACH.map((e) => e.type).sort(), EVENT_TYPES.filter((t) => t !== 'JobImported').sort());
  for (const [i, e] of ONE_OF_EACH.entries()) assert.ok(overTheWire(i + 1, e).payload, e.type);
});

test('the text line is exactly the replay tool\'s line for the same event', () => {
  for (const [i, e] of ONE_OF_EACH.entries()) assert.is(formatEventLine(overTheWire(i + 1, e)), `${replayLine(i + 1, e)}\n`);
  assert.is(formatEventLine(overTheWire(4, ONE_OF_EACH[3])), `2030-01-02T03:04:05.681Z  #4  JobStarted        3f2b8c1e  -  pid 4242\n`);
  assert.is(formatEventLine(overTheWire(1, ONE_OF_EACH[0])),
    `2030-01-02T03:04:05.678Z  #1  JobSubmitted      3f2b8c1e  alice/developer  sh -c 'echo hi' (cpu 150%, cores 0-1, mem 256MB, timeout 30000ms, secrets TOKEN, 1 uploads)\n`);
});

test('JSON line: numbers as numbers, the typed payload, secrets masked, no output bytes unless sent', () => {
  const submitted = JSON.parse(formatEventJson(overTheWire(1, ONE_OF_EACH[0])));
  assert.equal(submitted, {
    position: 1, time: '2030-01-02T03:04:05.678Z', unix_ms: AT, type: 'JobSubmitted', job_id: JOB, node_id: 'node-a',
    caller: { cn: 'alice', role: 'developer', peer: 'ipv4:10.0.0.7:5123' }, hash: 'ab'.repeat(32),
    summary: "sh -c 'echo hi' (cpu 150%, cores 0-1, mem 256MB, timeout 30000ms, secrets TOKEN, 1 uploads)",
    submitted: {
      command: 'sh', args: ['-c', 'echo hi'],
      limits: { max_cpu: 150, cpu_cores: '0-1', max_memory: 256, max_io_bps: 0, timeout_ms: 30000, gpu_count: 0, gpu_memory_mb: 0 },
      environment: { MODE: 'fast' }, secret_environment: { TOKEN: '***' },
      uploads: [{ path: 'a.txt', size: 5, mode: 0o644, is_directory: false }],
      work_dir: '/work', network: 'none', volumes: [], runtime: '', scheduled_time: '',
    },
  });
  const output = ONE_OF_EACH[4];
  assert.equal(JSON.parse(formatEventJson(overTheWire(5, output))).output, { stream: 'stdout', byte_count: 3 });
  assert.equal(JSON.parse(formatEventJson(overTheWire(5, output, true))).output, { stream: 'stdout', byte_count: 3, data_base64: Buffer.from('hi\n').toString('base64') });
  const rejected = JSON.parse(formatEventJson(overTheWire(10, ONE_OF_EACH[9])));
  assert.is(rejected.job_id, null);
  assert.equal(rejected.rejected.request, { command: 'rm', args: '["-rf","/"]', secret_environment: '{"K":"***"}' });
});

test('JSON line of a metric sample: numbers as numbers, net only with the job\'s own namespace', () => {
  const sampled = ONE_OF_EACH[10];
  assert.equal(JSON.parse(formatEventJson(overTheWire(11, sampled))).metrics, {
    cpu_percent: 49.5, memory_bytes: 2 ** 20, memory_limit_bytes: 2 ** 28, memory_peak_bytes: 2 ** 21, io_read_bytes: 0, io_write_bytes: 4096, pids: 3,
    net_recv_bytes: 0, net_sent_bytes: 0,
  });
  if (sampled.type !== 'JobMetricsSampled') throw new Error('fixture order');
  const { netRecvBytes: _r, netSentBytes: _s, ...hostNet } = sampled.sample;
  assert.not.ok('net_recv_bytes' in JSON.parse(formatEventJson(overTheWire(11, { ...sampled, sample: hostNet }))).metrics);
});

test('a hidden peer address is left out of the caller', () => {
  const line = JSON.parse(formatEventJson(overTheWire(1, ONE_OF_EACH[0], false, false)));
  assert.equal(line.caller, { cn: 'alice', role: 'developer' });
});

test.run();
