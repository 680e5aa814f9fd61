// A stored event → joblet.events.v1.Event: the common fields every event has, plus one typed
// payload per event type (a oneof), so clients read fields rather than parse JSON. Secret values
// are never in an event (decision 0002); secret names go out with the same `***` mask as Job.
import type { JobEvent, JobEventType } from '../events/jobEvents.js';
import type { RejectedCaller } from '../events/requestRejected.js';
import { callerOf, outputBytes, summarizeEvent } from '../events/eventSummary.js';
import type { Event } from '../gen/joblet/events/v1/Event.js';
import { SECRET_MASK, rfc3339 } from './jobWire.js';

/** The oneof field each event type fills; a Record so a new event type fails to compile here. */
export const PAYLOAD_FIELD: Readonly<Record<JobEventType, NonNullable<Event['payload']>>> = {
  JobSubmitted: 'submitted',
  JobQueued: 'queued',
  JobLaunching: 'launching',
  JobStarted: 'started',
  JobOutputWritten: 'output',
  JobStopRequested: 'stop_requested',
  JobFinished: 'finished',
  JobCanceled: 'canceled',
  JobDeleted: 'deleted',
  RequestRejected: 'rejected',
  JobImported: 'imported',
  JobMetricsSampled: 'metrics',
};

export const EVENT_TYPES = Object.keys(PAYLOAD_FIELD) as JobEventType[];

export interface WireOptions {
  /** Chain hash stored for the position, if any. */
  hash?: Buffer;
  /** The node the event belongs to (nodeOf). */
  nodeId: string;
  /** Whether this viewer may see the caller's network address. */
  showPeer: (by: RejectedCaller) => boolean;
  /** Send output bytes (the request asked and the role may read logs). */
  includeOutput: boolean;
}

/** The node an event belongs to: the one it names, else the node whose log holds it. */
export function nodeOf(event: JobEvent, logNodeId: string): string {
  if (event.type === 'JobSubmitted') return event.nodeId;
  if (event.type === 'JobImported') return event.job.nodeId;
  return logNodeId;
}

export function toWireEvent(position: number, event: JobEvent, o: WireOptions): Event {
  const by = callerOf(event);
  return {
    position,
    time: Number.isFinite(event.at) ? new Date(event.at).toISOString() : '',
    unix_ms: Number.isFinite(event.at) ? event.at : 0,
    type: event.type,
    job_id: event.jobId ?? '',
    node_id: o.nodeId,
    caller: by ? { cn: by.cn, role: by.role, peer: by.peer && o.showPeer(by) ? by.peer : '', ou: by.ou ?? '' } : null,
    hash: o.hash ? o.hash.toString('hex') : '',
    summary: summarizeEvent(event),
    ...payload(event, o.includeOutput),
  };
}

function payload(event: JobEvent, includeOutput: boolean): Partial<Event> {
  switch (event.type) {
    case 'JobSubmitted': {
      const s = event.spec;
      return {
        submitted: {
          command: s.command, args: s.args,
          limits: { max_cpu: s.maxCpu, cpu_cores: s.cpuCores, max_memory: s.maxMemory, max_io_bps: s.maxIoBps, timeout_ms: s.timeoutMs, gpu_count: s.gpuCount, gpu_memory_mb: s.gpuMemoryMb },
          environment: s.environment,
          secret_environment: Object.fromEntries(s.secretKeys.map((k) => [k, SECRET_MASK])),
          uploads: s.uploads.map((u) => ({ path: u.path, size: u.size, mode: u.mode, is_directory: u.isDirectory })),
          work_dir: s.workDir, network: s.network, volumes: s.volumes, runtime: s.runtime,
          scheduled_time: rfc3339(event.scheduledAt),
        },
      };
    }
    case 'JobQueued': return { queued: {} };
    case 'JobLaunching': return { launching: {} };
    case 'JobStarted': return { started: { pid: event.pid } };
    case 'JobOutputWritten':
      return { output: { stream: event.stream, byte_count: outputBytes(event), compacted: event.compactedBytes !== undefined, ...(includeOutput ? { data: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength) } : {}) } };
    case 'JobStopRequested': return { stop_requested: { reason: event.reason } };
    case 'JobFinished': return { finished: { status: event.status, exit_code: event.exitCode, reason: event.reason ?? '' } };
    case 'JobCanceled': return { canceled: {} };
    case 'JobDeleted': return { deleted: {} };
    case 'RequestRejected':
      return { rejected: { method: event.method, code: event.code, message: event.message, request: flatRequest(event.request) } };
    case 'JobImported':
      return { imported: { source: event.source, source_epoch: event.sourceEpoch, source_position: event.sourcePosition, status: event.job.status, command: event.job.spec.command, args: event.job.spec.args } };
    case 'JobMetricsSampled': {
      const m = event.sample;
      return {
        metrics: {
          cpu_percent: m.cpuPercent, memory_bytes: m.memoryBytes, memory_limit_bytes: m.memoryLimitBytes, memory_peak_bytes: m.memoryPeakBytes,
          io_read_bytes: m.ioReadBytes, io_write_bytes: m.ioWriteBytes, pids: m.pids,
          has_network: m.netRecvBytes !== undefined, net_recv_bytes: m.netRecvBytes ?? 0, net_sent_bytes: m.netSentBytes ?? 0,
        },
      };
    }
    default: {
      // A newer daemon's event type read by this build: common fields only (summary says which).
      const unknown: never = event;
      void unknown;
      return {};
    }
  }
}

/** The recorded request summary as one string per field: strings as they are, the rest as JSON. */
function flatRequest(request: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(request ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? '']));
}
