// joblet.state.v1.StateService: every node's jobs, read from the shared State backend that each
// daemon replicates its job records to (src/state). The records already carry Joblet's Job wire
// fields (record.ts), so the answer is those fields and nothing else: the merge bookkeeping
// (epochs, positions, who submitted) stays in the backend.
import { DomainError } from '../events/errors.js';
import type { Job as WireJob } from '../gen/joblet/Job.js';
import type { StateServiceHandlers } from '../gen/joblet/state/v1/StateService.js';
import { listAllNodes, type JobRecord } from '../state/index.js';
import type { Middleware } from './middleware.js';
import { registerExtensionMethod } from './rbac.js';

export const STATE_SERVICE = 'joblet.state.v1.StateService';

export interface StateServiceDeps {
  /** The daemon's configured `state.backend` (memory, local, redis, dynamodb). */
  backend: () => string | undefined;
  /** Every node's records; defaults to the running State service's. */
  listAll?: () => Promise<JobRecord[]>;
}

export function stateServiceHandlers(m: Middleware, d: StateServiceDeps): StateServiceHandlers {
  // Same rule as joblet.JobService/ListJobs: a listing, so any role may read it.
  registerExtensionMethod(STATE_SERVICE, 'ListAllNodeJobs', 'read');
  const listAll = d.listAll ?? listAllNodes;
  return {
    ListAllNodeJobs: m.unary(STATE_SERVICE, 'ListAllNodeJobs', async () => {
      const backend = d.backend();
      // `memory` lives in this daemon's State child only: no other node writes to it, so an
      // answer from it would look like "the cluster has only my jobs" when it does not.
      if (backend === undefined || backend === 'memory') {
        throw new DomainError('FAILED_PRECONDITION', `listing every node's jobs needs a shared state backend, but this daemon's state.backend is ${backend ?? 'unset'}: set state.backend to redis or dynamodb in the daemon config`);
      }
      let records: JobRecord[];
      try {
        records = await listAll();
      } catch (err) {
        throw new DomainError('UNAVAILABLE', `state backend ${backend} could not be read: ${(err as Error).message} (check state.backend and its connection settings in the daemon config)`);
      }
      return { jobs: records.sort(byNodeThenSubmit).map(toWire) };
    }),
  };
}

function byNodeThenSubmit(a: JobRecord, b: JobRecord): number {
  return a.node_id.localeCompare(b.node_id) || a.submittedAt.localeCompare(b.submittedAt) || a.uuid.localeCompare(b.uuid);
}

/** Only the Job message's fields: a record has more (versions, caller) that are not on the wire. */
function toWire(r: JobRecord): WireJob {
  return {
    uuid: r.uuid, command: r.command, args: r.args, max_cpu: r.max_cpu, cpu_cores: r.cpu_cores,
    max_memory: r.max_memory, max_io_bps: r.max_io_bps, status: r.status, start_time: r.start_time,
    end_time: r.end_time, exit_code: r.exit_code, scheduled_time: r.scheduled_time, runtime: r.runtime,
    environment: r.environment, secret_environment: r.secret_environment, gpu_indices: [],
    gpu_count: r.gpu_count, gpu_memory_mb: r.gpu_memory_mb, node_id: r.node_id,
  };
}
