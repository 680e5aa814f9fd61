// One readable line per event, shared by the replay tool, the event tail and `rnx events`:
//   time  position  type  job  caller  summary
// Pure: the event in, text out. Secret values are never in an event (decision 0002) and output
// bytes are shown as a length, so a line is safe to paste into a bug report.
import type { JobEvent, JobOutputWritten, MetricsSample } from './jobEvents.js';
import type { RejectedCaller } from './requestRejected.js';

const COMMAND_WIDTH = 80;
const MESSAGE_WIDTH = 200;

/** The identity an event records, if any (job events written by the daemon itself have none). */
export function callerOf(event: JobEvent): RejectedCaller | undefined {
  return 'by' in event ? event.by : undefined;
}

/** How many bytes of output an event stands for: a compacted one keeps the count, not the bytes. */
export function outputBytes(event: JobOutputWritten): number {
  return event.compactedBytes ?? event.data.length;
}

/** `cn/role`, or `-` for events without a caller. */
export function callerLabel(event: JobEvent): string {
  const by = callerOf(event);
  return by ? `${by.cn || '?'}/${by.role}` : '-';
}

/** What happened, in a few words; the type, job and caller are on the line already. */
export function summarizeEvent(event: JobEvent): string {
  switch (event.type) {
    case 'JobSubmitted': {
      const s = event.spec;
      const parts: string[] = [];
      if (s.maxCpu) parts.push(`cpu ${s.maxCpu}%`);
      if (s.cpuCores) parts.push(`cores ${s.cpuCores}`);
      if (s.maxMemory) parts.push(`mem ${s.maxMemory}MB`);
      if (s.maxIoBps) parts.push(`io ${s.maxIoBps}B/s`);
      if (s.timeoutMs) parts.push(`timeout ${s.timeoutMs}ms`);
      if (s.secretKeys.length) parts.push(`secrets ${s.secretKeys.join(',')}`);
      if (s.uploads.length) parts.push(`${s.uploads.length} uploads`);
      if (event.scheduledAt !== undefined) parts.push(`scheduled ${new Date(event.scheduledAt).toISOString()}`);
      const line = clip([s.command, ...s.args].map(quote).join(' '), COMMAND_WIDTH);
      return parts.length ? `${line} (${parts.join(', ')})` : line;
    }
    case 'JobQueued': return 'waiting for a free slot';
    case 'JobLaunching': return 'launching';
    case 'JobStarted': return `pid ${event.pid}`;
    case 'JobOutputWritten': return `${event.stream} ${outputBytes(event)} bytes${event.compactedBytes !== undefined ? ' (compacted: stored by the persist service)' : ''}`;
    case 'JobStopRequested': return `stop requested (${event.reason})`;
    case 'JobFinished': return `${event.status} exit ${event.exitCode}${event.reason ? `: ${clip(event.reason, MESSAGE_WIDTH)}` : ''}`;
    case 'JobCanceled': return 'canceled before it ran';
    case 'JobDeleted': return 'deleted';
    case 'RequestRejected': return `${event.method} ${event.code}: ${clip(event.message, MESSAGE_WIDTH)}`;
    case 'JobMetricsSampled': return summarizeSample(event.sample);
    case 'JobImported': return `${event.job.status} from ${event.source} (its position ${event.sourcePosition}, epoch ${event.sourceEpoch})`;
    default: {
      const unknown: never = event;
      return `(unknown event type ${(unknown as { type: string }).type})`;
    }
  }
}

/** The full line; `jobWidth` shortens job ids (8 is enough to be unique in practice, 36 is the whole id). */
export function formatEventLine(position: number, event: JobEvent, jobWidth = 8): string {
  const time = Number.isFinite(event.at) ? new Date(event.at).toISOString() : String(event.at);
  const job = event.jobId ? event.jobId.slice(0, jobWidth) : '-';
  return [time, `#${position}`, event.type.padEnd(16), job.padEnd(Math.min(jobWidth, 36)), callerLabel(event), summarizeEvent(event)].join('  ');
}

/** `cpu 49.8% mem 12.0/64.0 MiB io r0 w4096 pids 3`, and net where the job has its own namespace. */
function summarizeSample(s: MetricsSample): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const mem = s.memoryLimitBytes > 0 ? `${mib(s.memoryBytes)}/${mib(s.memoryLimitBytes)} MiB` : `${mib(s.memoryBytes)} MiB`;
  const net = s.netRecvBytes !== undefined ? ` net rx${s.netRecvBytes} tx${s.netSentBytes ?? 0}` : '';
  return `cpu ${s.cpuPercent.toFixed(1)}% mem ${mem} peak ${mib(s.memoryPeakBytes)} MiB io r${s.ioReadBytes} w${s.ioWriteBytes} pids ${s.pids}${net}`;
}

function clip(text: string, max: number): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 3)}...`;
}

/** Shell-style quoting only where needed, so `sh -c 'echo hi'` reads as it was typed. */
function quote(word: string): string {
  return word !== '' && /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
