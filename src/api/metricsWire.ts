// A recorded sample → joblet.JobMetricsEvent (spec/joblet-api.md): timestamps in Unix nanoseconds,
// 64-bit numbers as decimal strings (the loader's longs: String), GPU fields 0 (no GPU support
// yet). memoryPeakBytes and pids have no field in Joblet's message; `rnx job metrics` reads them
// from the event tail instead.
import type { MetricsSample } from '../events/jobMetrics.js';
import type { JobMetricsEvent } from '../gen/joblet/JobMetricsEvent.js';
import { invalid } from '../events/errors.js';

const NS_PER_MS = 1_000_000n;

/** Unix ms → Unix ns as the decimal string an int64 field takes (ns overflow a double's exact range). */
export function unixNs(atMs: number): string {
  return (BigInt(Math.trunc(atMs)) * NS_PER_MS).toString();
}

export function toWireMetrics(jobId: string, atMs: number, s: MetricsSample): JobMetricsEvent {
  return {
    timestamp: unixNs(atMs),
    job_uuid: jobId,
    cpu_percent: s.cpuPercent,
    memory_bytes: s.memoryBytes,
    memory_limit: s.memoryLimitBytes,
    disk_read_bytes: s.ioReadBytes,
    disk_write_bytes: s.ioWriteBytes,
    net_recv_bytes: s.netRecvBytes ?? 0,
    net_sent_bytes: s.netSentBytes ?? 0,
    gpu_percent: 0,
    gpu_memory_bytes: 0,
  };
}

export interface MetricsRange {
  /** inclusive bounds in Unix ns; undefined = open */
  start?: bigint;
  end?: bigint;
  /** undefined = all */
  limit?: number;
}

/** GetJobMetricsRequest's range, checked: times are Unix ns with 0 = open, limit 0 = no limit. */
export function parseMetricsRange(req: { start_time: string; end_time: string; limit: number }): MetricsRange {
  const time = (field: string, text: string): bigint | undefined => {
    let v: bigint;
    try { v = BigInt(text || '0'); } catch { throw invalid(field, `must be Unix nanoseconds (got ${JSON.stringify(text)})`); }
    if (v < 0n) throw invalid(field, `must be Unix nanoseconds >= 0, 0 = open (got ${text})`);
    return v === 0n ? undefined : v;
  };
  const start = time('start_time', req.start_time);
  const end = time('end_time', req.end_time);
  if (start !== undefined && end !== undefined && end < start) throw invalid('end_time', `must not be before start_time (got end_time ${end} < start_time ${start})`);
  if (!Number.isInteger(req.limit) || req.limit < 0) throw invalid('limit', `must be >= 0, 0 = no limit (got ${req.limit})`);
  return { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}), ...(req.limit > 0 ? { limit: req.limit } : {}) };
}

export function inRange(r: MetricsRange, atMs: number): boolean {
  const ns = BigInt(Math.trunc(atMs)) * NS_PER_MS;
  return (r.start === undefined || ns >= r.start) && (r.end === undefined || ns <= r.end);
}
