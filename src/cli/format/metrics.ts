// Output of `rnx job metrics <id>`: one line per sample, or one JSON object per line with --json
// (camelCase keys, numbers as numbers), and on a terminal a CPU and memory chart at the end.
// Samples come from the event tail (joblet.events.v1), whose payload also has the memory peak
// and pids that Joblet's JobMetricsEvent lacks.
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import { sparkline } from './sparkline.js';

export interface MetricsLine {
  time: string;
  unixMs: number;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  memoryPeakBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  pids: number;
  netRecvBytes?: number;
  netSentBytes?: number;
}

/** The sample an event carries, or undefined for any other event. */
export function sampleOf(e: Event__Output): MetricsLine | undefined {
  const m = e.metrics;
  if (!m) return undefined;
  return {
    time: e.time, unixMs: Number(e.unix_ms), cpuPercent: m.cpu_percent,
    memoryBytes: Number(m.memory_bytes), memoryLimitBytes: Number(m.memory_limit_bytes), memoryPeakBytes: Number(m.memory_peak_bytes),
    ioReadBytes: Number(m.io_read_bytes), ioWriteBytes: Number(m.io_write_bytes), pids: m.pids,
    ...(m.has_network ? { netRecvBytes: Number(m.net_recv_bytes), netSentBytes: Number(m.net_sent_bytes) } : {}),
  };
}

/** 0 B, 512 B, 4.0 KiB, 12.3 MiB, 1.5 GiB. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function formatMetricsLine(s: MetricsLine): string {
  const limit = s.memoryLimitBytes > 0 ? bytes(s.memoryLimitBytes) : 'unlimited';
  const net = s.netRecvBytes !== undefined ? `  net rx ${bytes(s.netRecvBytes)} tx ${bytes(s.netSentBytes ?? 0)}` : '';
  return `${s.time}  cpu ${s.cpuPercent.toFixed(1).padStart(6)}%  mem ${bytes(s.memoryBytes)} / ${limit} (peak ${bytes(s.memoryPeakBytes)})`
    + `  io r ${bytes(s.ioReadBytes)} w ${bytes(s.ioWriteBytes)}  pids ${s.pids}${net}\n`;
}

export function formatMetricsJson(s: MetricsLine): string {
  return `${JSON.stringify(s)}\n`;
}

/** Width of the chart in samples: the newest ones when there are more. */
export const CHART_WIDTH = 60;

/** Two rows, CPU and memory, scaled to their peaks (memory to its limit when it has one). */
export function formatMetricsChart(samples: readonly MetricsLine[]): string {
  if (samples.length === 0) return 'no samples recorded\n';
  const cpu = samples.map((s) => s.cpuPercent);
  const mem = samples.map((s) => s.memoryBytes);
  const limit = samples.at(-1)!.memoryLimitBytes;
  const cpuPeak = Math.max(...cpu);
  const memPeak = Math.max(...mem);
  return [
    `cpu ${sparkline(cpu, { width: CHART_WIDTH })}  peak ${cpuPeak.toFixed(1)}%`,
    `mem ${sparkline(mem, { width: CHART_WIDTH, ...(limit > 0 ? { max: limit } : {}) })}  peak ${bytes(memPeak)}${limit > 0 ? ` of ${bytes(limit)}` : ''}`,
  ].join('\n') + '\n';
}
