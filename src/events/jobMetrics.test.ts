// Decider specs for metric samples: recorded for a job that has not ended, dropped after its end,
// refused for an unknown one; a sample changes nothing about the job.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JOB_ID, given, replay, running, submitted } from '../../test/unit/givenWhenThen.js';
import { summarizeEvent } from './eventSummary.js';
import type { JobEvent, MetricsSample } from './jobEvents.js';

const sample: MetricsSample = {
  cpuPercent: 49.8, memoryBytes: 12 * 2 ** 20, memoryLimitBytes: 64 * 2 ** 20, memoryPeakBytes: 13 * 2 ** 20,
  ioReadBytes: 0, ioWriteBytes: 4096, pids: 3, netRecvBytes: 10, netSentBytes: 20,
};
const ended: JobEvent[] = [...running(), { type: 'JobFinished', jobId: JOB_ID, at: 1100, status: 'COMPLETED', exitCode: 0 }];

test('a sample of a running job is recorded as JobMetricsSampled and leaves the job as it was', () => {
  const events = given(running()).when({ type: 'RecordMetrics', jobId: JOB_ID, at: 1050, sample })
    .then([{ type: 'JobMetricsSampled', jobId: JOB_ID, at: 1050, sample }]);
  const after = replay([...running(), ...events]);
  assert.equal(after, replay(running()));
  assert.is(after?.status, 'RUNNING');
});

test('a sample taken while the job is still launching is recorded too (its cgroup exists already)', () => {
  given([submitted(1000)]).when({ type: 'RecordMetrics', jobId: JOB_ID, at: 1001, sample })
    .then([{ type: 'JobMetricsSampled', jobId: JOB_ID, at: 1001, sample }]);
});

test('a sample after the job ended is dropped, like late output', () => {
  given(ended).when({ type: 'RecordMetrics', jobId: JOB_ID, at: 1200, sample }).then([]);
});

test('a sample of an unknown job is NOT_FOUND', () => {
  given([]).when({ type: 'RecordMetrics', jobId: JOB_ID, at: 1000, sample }).thenFails('NOT_FOUND', `job not found: ${JOB_ID}`);
});

test('the summary line: cpu, memory of limit, peak, io, pids and net', () => {
  const line = summarizeEvent({ type: 'JobMetricsSampled', jobId: JOB_ID, at: 1, sample });
  assert.is(line, 'cpu 49.8% mem 12.0/64.0 MiB peak 13.0 MiB io r0 w4096 pids 3 net rx10 tx20');
  const { netRecvBytes: _r, netSentBytes: _s, ...hostNet } = sample;
  assert.is(summarizeEvent({ type: 'JobMetricsSampled', jobId: JOB_ID, at: 1, sample: { ...hostNet, memoryLimitBytes: 0 } }),
    'cpu 49.8% mem 12.0 MiB peak 13.0 MiB io r0 w4096 pids 3');
});

test.run();
