// Output of `rnx job history <id>`: one job's timeline from its events. Every event but output is
// a step, with the time since the step before; output chunks are summed into one line, since a
// chatty job writes thousands of them. Then the totals: how long it waited, ran, and took.
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import type { JobMetricsEvent__Output } from '../../gen/joblet/JobMetricsEvent.js';
import { callerLabel } from './events.js';
import { commandLine, displayDuration, json, table } from './text.js';

const STEP: Record<string, string> = {
  JobSubmitted: 'submitted', JobQueued: 'queued', JobLaunching: 'launching', JobStarted: 'started',
  JobStopRequested: 'stop requested', JobFinished: 'finished', JobCanceled: 'canceled', JobDeleted: 'deleted',
  RequestRejected: 'refused', JobImported: 'imported',
};

export interface Step { position: number; time: string; at: number; step: string; sincePreviousMs: number | null; detail: string; caller: string | null }
export interface OutputTotals { stdoutBytes: number; stderrBytes: number; chunks: number }
export interface MetricsSummary { samples: number; cpuAvgPercent: number; cpuPeakPercent: number; memoryPeakBytes: number }
export interface Durations { waitingMs: number | null; runningMs: number | null; totalMs: number | null }

export interface Timeline {
  jobId: string;
  command: string;
  args: string[];
  steps: Step[];
  output: OutputTotals;
  metrics: MetricsSummary | null;
  durations: Durations;
}

export function buildTimeline(jobId: string, events: readonly Event__Output[], samples: readonly JobMetricsEvent__Output[] | undefined): Timeline {
  const steps: Step[] = [];
  const output: OutputTotals = { stdoutBytes: 0, stderrBytes: 0, chunks: 0 };
  let command = '';
  let args: string[] = [];
  const firstAt: Record<string, number> = {};
  for (const e of events) {
    const at = Number(e.unix_ms);
    if (e.output) {
      output.chunks++;
      if (e.output.stream === 'stderr') output.stderrBytes += Number(e.output.byte_count);
      else output.stdoutBytes += Number(e.output.byte_count);
      continue;
    }
    // samples are summed up from GetJobMetrics below the table, not listed as steps
    if (e.metrics) continue;
    if (e.submitted) ({ command, args } = e.submitted);
    else if (e.imported && !command) ({ command, args } = e.imported);
    firstAt[e.type] ??= at;
    const previous = steps.at(-1);
    steps.push({
      position: Number(e.position), time: e.time, at, step: STEP[e.type] ?? e.type,
      sincePreviousMs: previous ? at - previous.at : null, detail: e.summary, caller: e.caller ? callerLabel(e) : null,
    });
  }
  const start = firstAt.JobSubmitted ?? firstAt.JobImported;
  const started = firstAt.JobStarted;
  const ended = firstAt.JobFinished ?? firstAt.JobCanceled;
  const span = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : null);
  return {
    jobId, command, args, steps, output, metrics: summarizeMetrics(samples),
    durations: { waitingMs: span(start, started), runningMs: span(started, ended), totalMs: span(start, ended) },
  };
}

export function summarizeMetrics(samples: readonly JobMetricsEvent__Output[] | undefined): MetricsSummary | null {
  if (!samples || samples.length === 0) return null;
  const cpu = samples.map((s) => s.cpu_percent);
  return {
    samples: samples.length,
    cpuAvgPercent: cpu.reduce((a, b) => a + b, 0) / cpu.length,
    cpuPeakPercent: Math.max(...cpu),
    memoryPeakBytes: Math.max(...samples.map((s) => Number(s.memory_bytes))),
  };
}

export function formatTimeline(t: Timeline): string {
  const rows = t.steps.map((s) => [
    s.time, `#${s.position}`, s.step, s.sincePreviousMs === null ? '-' : `+${displayDuration(s.sincePreviousMs)}`,
    s.caller ? `${s.detail} (by ${s.caller})` : s.detail,
  ]);
  const o = t.output;
  const m = t.metrics;
  const d = t.durations;
  const lines = [
    `Job ID: ${t.jobId}`,
    `Command: ${commandLine(t.command, t.args)}`,
    '',
    table(['TIME', 'POSITION', 'STEP', 'AFTER', 'DETAIL'], rows).trimEnd(),
    '',
    `Output: stdout ${o.stdoutBytes} bytes, stderr ${o.stderrBytes} bytes (${o.chunks} ${o.chunks === 1 ? 'chunk' : 'chunks'})`,
    m ? `Metrics: ${m.samples} ${m.samples === 1 ? 'sample' : 'samples'}, cpu avg ${m.cpuAvgPercent.toFixed(1)}% peak ${m.cpuPeakPercent.toFixed(1)}%, memory peak ${mib(m.memoryPeakBytes)}` : 'Metrics: none recorded',
    `Durations: waited ${span(d.waitingMs, 'not started')}, ran ${span(d.runningMs, d.waitingMs === null ? 'never' : 'still running')}, total ${span(d.totalMs, 'not ended')}`,
  ];
  return lines.join('\n') + '\n';
}

export function timelineJson(t: Timeline): string {
  return json({
    job_id: t.jobId, command: t.command, args: t.args,
    steps: t.steps.map((s) => ({ position: s.position, time: s.time, step: s.step, since_previous_ms: s.sincePreviousMs, detail: s.detail, caller: s.caller })),
    output: { stdout_bytes: t.output.stdoutBytes, stderr_bytes: t.output.stderrBytes, chunks: t.output.chunks },
    metrics: t.metrics && { samples: t.metrics.samples, cpu_avg_percent: t.metrics.cpuAvgPercent, cpu_peak_percent: t.metrics.cpuPeakPercent, memory_peak_bytes: t.metrics.memoryPeakBytes },
    durations: { waiting_ms: t.durations.waitingMs, running_ms: t.durations.runningMs, total_ms: t.durations.totalMs },
  });
}

function span(ms: number | null, otherwise: string): string {
  return ms === null ? otherwise : displayDuration(ms);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
