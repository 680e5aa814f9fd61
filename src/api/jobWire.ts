// Job state → Joblet's wire messages. Times are RFC 3339 UTC strings; secret values are never
// sent, only their names with `***`.
import type { Job } from '../events/job.js';
import type { Job as WireJob } from '../gen/joblet/Job.js';
import type { GetJobStatusResponse } from '../gen/joblet/GetJobStatusResponse.js';
import { jobWireFields } from '../projections/jobWireFields.js';

export { SECRET_MASK, rfc3339 } from '../projections/jobWireFields.js';

/** The fields Job and GetJobStatusResponse share, under the same names. */
function common(job: Job) {
  return { ...jobWireFields(job), gpu_indices: [] };
}

export function toWireJob(job: Job): WireJob {
  return common(job);
}

export function toStatusResponse(job: Job): GetJobStatusResponse {
  const s = job.spec;
  return { ...common(job), network: s.network, volumes: s.volumes, work_dir: s.workDir, uploads: s.uploads.map((u) => u.path) };
}
