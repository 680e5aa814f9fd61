// A recorded sample → joblet.JobMetricsEvent, and GetJobMetrics' range rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DomainError } from '../events/errors.js';
import { inRange, parseMetricsRange, toWireMetrics, unixNs } from './metricsWire.js';

test('every JobMetricsEvent field from the sample; time in Unix ns as an exact decimal; GPU 0; no netns: net 0', () => {
  const at = 1795845271863;
  const w = toWireMetrics('job-1', at, { cpuPercent: 50.41, memoryBytes: 716800, memoryLimitBytes: 0, memoryPeakBytes: 900000, ioReadBytes: 1, ioWriteBytes: 2, pids: 3 });
  assert.equal(w, {
    timestamp: '1795845271863000000', job_uuid: 'job-1', cpu_percent: 50.41, memory_bytes: 716800, memory_limit: 0,
    disk_read_bytes: 1, disk_write_bytes: 2, net_recv_bytes: 0, net_sent_bytes: 0, gpu_percent: 0, gpu_memory_bytes: 0,
  });
  const n = toWireMetrics('j', at, { cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, memoryPeakBytes: 0, ioReadBytes: 0, ioWriteBytes: 0, pids: 0, netRecvBytes: 5, netSentBytes: 6 });
  assert.is(n.net_recv_bytes, 5);
  assert.is(n.net_sent_bytes, 6);
  assert.is(unixNs(1), '1000000');
});

function refusal(req: { start_time: string; end_time: string; limit: number }): string {
  try { parseMetricsRange(req); } catch (e) {
    assert.instance(e, DomainError);
    assert.is((e as DomainError).code, 'INVALID_ARGUMENT');
    return (e as DomainError).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

test('range: 0 = open, bounds as BigInt ns, limit 0 = all', () => {
  assert.equal(parseMetricsRange({ start_time: '0', end_time: '0', limit: 0 }), {});
  assert.equal(parseMetricsRange({ start_time: '', end_time: '', limit: 0 }), {});
  assert.equal(parseMetricsRange({ start_time: '1795845271863000001', end_time: '1795845271863000002', limit: 7 }),
    { start: 1795845271863000001n, end: 1795845271863000002n, limit: 7 });
});

test('range: end before start, negative times, a negative limit are refused naming the field', () => {
  assert.match(refusal({ start_time: '20', end_time: '10', limit: 0 }), /^end_time: must not be before start_time/);
  assert.match(refusal({ start_time: '-1', end_time: '0', limit: 0 }), /^start_time: /);
  assert.match(refusal({ start_time: '0', end_time: '-1', limit: 0 }), /^end_time: /);
  assert.match(refusal({ start_time: 'soon', end_time: '0', limit: 0 }), /^start_time: must be Unix nanoseconds/);
  assert.match(refusal({ start_time: '0', end_time: '0', limit: -3 }), /^limit: must be >= 0/);
});

test('inRange: inclusive at both ends, in ns', () => {
  const r = parseMetricsRange({ start_time: unixNs(1000), end_time: unixNs(2000), limit: 0 });
  assert.ok(inRange(r, 1000));
  assert.ok(inRange(r, 2000));
  assert.not.ok(inRange(r, 999));
  assert.not.ok(inRange(r, 2001));
  assert.ok(inRange({}, 5));
});

test.run();
