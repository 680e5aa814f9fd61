// The fields of Joblet's `Job` message, under their wire names, from a domain Job. The API answers
// with them and the State service replicates them, so every Joblet tool reads the same shape.
import type { Job } from '../events/job.js';

export const SECRET_MASK = '***';

export function rfc3339(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

export function jobWireFields(job: Job) {
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
    start_time: rfc3339('startedAt' in job ? job.startedAt : undefined),
    end_time: rfc3339('endedAt' in job ? job.endedAt : undefined),
    exit_code: 'exitCode' in job ? job.exitCode : 0,
    scheduled_time: rfc3339(job.scheduledAt),
    runtime: s.runtime,
    environment: s.environment,
    // secret values never leave the node: only their names, each shown as ***
    secret_environment: Object.fromEntries(s.secretKeys.map((k) => [k, SECRET_MASK])),
    gpu_count: s.gpuCount,
    gpu_memory_mb: s.gpuMemoryMb,
    node_id: job.nodeId,
  };
}
