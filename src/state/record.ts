// The job record the State service replicates: the fields of Joblet's `Job` message under their
// wire names (so any Joblet tool reading the backend understands them), plus what a shared
// backend needs to merge writes from many nodes: the node, timestamps, the log position the
// record reflects and whether the job is final. Records are built from the domain Job with a pure
// function and turned back into one for import, so the two directions are tested as a pair.
import type { Caller, Job, JobSpec, JobStatus } from '../events/job.js';
import { isFinal } from '../events/job.js';
import { jobWireFields } from '../projections/jobWireFields.js';

export { SECRET_MASK } from '../projections/jobWireFields.js';

/** Which write wins: a higher epoch (a newer log of the node), then a higher position in it. */
export interface RecordVersion {
  /**
   * `at` of the log's first event. A node rebuilt with an empty disk starts a new log at position
   * 1; its epoch is later, so its writes still replace what its old log wrote.
   */
  logEpoch: number;
  position: number;
}

export interface JobRecord extends RecordVersion {
  uuid: string;
  command: string;
  args: string[];
  max_cpu: number;
  cpu_cores: string;
  max_memory: number;
  max_io_bps: number;
  status: JobStatus;
  start_time: string;
  end_time: string;
  exit_code: number;
  scheduled_time: string;
  runtime: string;
  environment: Record<string, string>;
  /** Names only; values never leave the node. */
  secret_environment: Record<string, string>;
  gpu_count: number;
  gpu_memory_mb: number;
  node_id: string;
  network: string;
  volumes: string[];
  work_dir: string;
  nodeId: string;
  submittedAt: string;
  /** `at` of the event this record reflects. */
  updatedAt: string;
  final: boolean;
  /** The job was deleted; kept as a tombstone so an older write cannot bring it back. */
  deleted: boolean;
  /** What the record needs to become a domain Job again on import. */
  submittedBy: Caller;
  timeoutMs: number;
  uploads: JobSpec['uploads'];
  reason?: string;
  pid?: number;
}

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());
const ms = (text: string): number | undefined => (text === '' ? undefined : Date.parse(text));

export function toRecord(job: Job, version: RecordVersion, at: number, deleted = false): JobRecord {
  const s = job.spec;
  return {
    ...jobWireFields(job),
    network: s.network,
    volumes: s.volumes,
    work_dir: s.workDir,
    nodeId: job.nodeId,
    submittedAt: iso(job.submittedAt),
    updatedAt: iso(at),
    final: isFinal(job),
    deleted,
    submittedBy: job.submittedBy,
    timeoutMs: s.timeoutMs,
    uploads: s.uploads,
    ...('reason' in job && job.reason !== undefined ? { reason: job.reason } : {}),
    ...('pid' in job ? { pid: job.pid } : {}),
    logEpoch: version.logEpoch,
    position: version.position,
  };
}

/** The domain Job a record describes (for import on a rebuilt node). */
export function toJob(r: JobRecord): Job {
  const spec: JobSpec = {
    command: r.command, args: r.args, maxCpu: r.max_cpu, cpuCores: r.cpu_cores, maxMemory: r.max_memory,
    maxIoBps: r.max_io_bps, environment: r.environment, secretKeys: Object.keys(r.secret_environment),
    uploads: r.uploads ?? [], workDir: r.work_dir, network: r.network, volumes: r.volumes, runtime: r.runtime,
    gpuCount: r.gpu_count, gpuMemoryMb: r.gpu_memory_mb, timeoutMs: r.timeoutMs,
  };
  const scheduledAt = ms(r.scheduled_time);
  const base = {
    id: r.uuid, nodeId: r.nodeId, spec, submittedBy: r.submittedBy, submittedAt: ms(r.submittedAt) ?? 0,
    ...(scheduledAt !== undefined ? { scheduledAt } : {}),
  };
  const startedAt = ms(r.start_time);
  switch (r.status) {
    case 'SCHEDULED': case 'QUEUED': case 'INITIALIZING':
      return { ...base, status: r.status };
    case 'RUNNING':
      return { ...base, status: 'RUNNING', startedAt: startedAt ?? 0, pid: r.pid ?? 0 };
    default:
      return {
        ...base, status: r.status, ...(startedAt !== undefined ? { startedAt } : {}),
        endedAt: ms(r.end_time) ?? 0, exitCode: r.exit_code, ...(r.reason !== undefined ? { reason: r.reason } : {}),
      };
  }
}

/** True when `a` must replace `b` (b may be missing). Equal versions are the same write: no. */
export function isNewer(a: RecordVersion, b: RecordVersion | undefined): boolean {
  if (!b) return true;
  return a.logEpoch > b.logEpoch || (a.logEpoch === b.logEpoch && a.position > b.position);
}
