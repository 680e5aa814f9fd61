// `rnx job metrics` output: the sparkline, the sample line, JSON lines and the chart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import { sparkline } from './sparkline.js';
import { bytes, formatMetricsChart, formatMetricsJson, formatMetricsLine, sampleOf } from './metrics.js';

test('sparkline: scaled from 0 to the peak (or a given max), newest values kept at the width', () => {
  assert.is(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█');
  assert.is(sparkline([50, 50, 25, 0], { max: 100 }), '▅▅▃▁');
  assert.is(sparkline([1, 2, 3, 4], { width: 2 }), '▆█');
  assert.is(sparkline([]), '');
  assert.is(sparkline([0, 0]), '▁▁');
  assert.is(sparkline([3, 3]), '██');
  assert.is(sparkline([10, 20], { fromZero: false }), '▁█');
  assert.is(sparkline([Number.NaN, 200], { max: 100 }), '▁█');
});

const event = (over: Partial<NonNullable<Event__Output['metrics']>> = {}): Event__Output => ({
  position: '7', time: '2026-11-28T06:00:01.123Z', unix_ms: '1795845601123', type: 'JobMetricsSampled', job_id: 'j', node_id: 'n',
  caller: null, hash: '', summary: '', payload: 'metrics',
  metrics: {
    cpu_percent: 49.84, memory_bytes: String(12 * 2 ** 20), memory_limit_bytes: String(64 * 2 ** 20), memory_peak_bytes: String(13 * 2 ** 20),
    io_read_bytes: '0', io_write_bytes: '4096', pids: 3, has_network: true, net_recv_bytes: '0', net_sent_bytes: '0', ...over,
  },
} as unknown as Event__Output);

test('one readable line per sample: time, cpu, memory of limit and peak, io, pids, net', () => {
  const s = sampleOf(event())!;
  assert.is(formatMetricsLine(s), '2026-11-28T06:00:01.123Z  cpu   49.8%  mem 12.0 MiB / 64.0 MiB (peak 13.0 MiB)  io r 0 B w 4.0 KiB  pids 3  net rx 0 B tx 0 B\n');
  const host = sampleOf(event({ has_network: false, memory_limit_bytes: '0' }))!;
  assert.is(formatMetricsLine(host), '2026-11-28T06:00:01.123Z  cpu   49.8%  mem 12.0 MiB / unlimited (peak 13.0 MiB)  io r 0 B w 4.0 KiB  pids 3\n');
  assert.is(sampleOf({ ...event(), metrics: null, payload: 'started' } as unknown as Event__Output), undefined);
});

test('--json: one object per line, camelCase keys, numbers as numbers, net only with a netns', () => {
  const line = formatMetricsJson(sampleOf(event())!);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  assert.equal(JSON.parse(line), {
    time: '2026-11-28T06:00:01.123Z', unixMs: 1795845601123, cpuPercent: 49.84, memoryBytes: 12 * 2 ** 20, memoryLimitBytes: 64 * 2 ** 20,
    memoryPeakBytes: 13 * 2 ** 20, ioReadBytes: 0, ioWriteBytes: 4096, pids: 3, netRecvBytes: 0, netSentBytes: 0,
  });
  assert.not.ok('netRecvBytes' in JSON.parse(formatMetricsJson(sampleOf(event({ has_network: false }))!)));
});

test('chart: cpu scaled to its peak, memory to the limit; no samples says so', () => {
  const samples = [10, 40, 80].map((cpu, i) => sampleOf(event({ cpu_percent: cpu, memory_bytes: String((i + 1) * 16 * 2 ** 20) }))!);
  assert.is(formatMetricsChart(samples), 'cpu ▂▅█  peak 80.0%\nmem ▃▅▆  peak 48.0 MiB of 64.0 MiB\n');
  assert.is(formatMetricsChart([]), 'no samples recorded\n');
  assert.is(bytes(512), '512 B');
  assert.is(bytes(1536 * 2 ** 20), '1.5 GiB');
});

test.run();
