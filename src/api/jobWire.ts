// Job state → Joblet's wire messages. Times are RFC 3339 UTC strings; secret values are never
// sent, only their names with `***`.
import type { Job } from '../events/job.js';
import type { Job as WireJob } from '../gen/joblet/Job.js';
import type { GetJobStatusResponse } from '../gen/joblet/GetJobStatusResponse.js';

export const SECRET_MASK = '***';

export function rfc3339(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

function masked(keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, SECRET_MASK]));
}

function timing(job: Job) {
  const startedAt = 'startedAt' in job ? job.startedAt : undefined;
  const endedAt = 'endedAt' in job ? job.endedAt : undefined;
  const exitCode = 'exitCode' in job ? job.exitCode : 0;
  return { start_time: rfc3339(startedAt), end_time: rfc3339(endedAt), exit_code: exitCode, scheduled_time: rfc3339(job.scheduledAt) };
}

/** The fields Job and GetJobStatusResponse share, under the same names. */
function common(job: Job) {
  const s = job.spec;
  return {
    uuid: job.id,
    command: s.command,
    args: s.args,
    max_cpu: s.maxCpu,
    cpu_cores: s.cpuCores,
    max_memory: s.maxMemory,
    max_io_bps: s.maxIoBps,
    status: job.status,
    ...timing(job),
    runtime: s.runtime,
    environment: s.environment,
    secret_environment: masked(s.secretKeys),
    gpu_indices: [],
    gpu_count: s.gpuCount,
    gpu_memory_mb: s.gpuMemoryMb,
    node_id: job.nodeId,
  };
}

export function toWireJob(job: Job): WireJob {
  return common(job);
}

export function toStatusResponse(job: Job): GetJobStatusResponse {
  const s = job.spec;
  return { ...common(job), network: s.network, volumes: s.volumes, work_dir: s.workDir, uploads: s.uploads.map((u) => u.path) };
}
