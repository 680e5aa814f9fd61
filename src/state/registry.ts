// The daemon's running State service, for callers that have no handle on the daemon (the API's
// future --all-nodes RPC). One daemon per process in production; tests that run several keep the
// latest one registered, and closing an older one does not unregister a newer one.
import type { JobRecord } from './record.js';

interface Lister { list(nodeId?: string): Promise<JobRecord[]> }

let running: Lister | undefined;

export function register(s: Lister): void { running = s; }

export function unregister(s: Lister): void { if (running === s) running = undefined; }

/**
 * Every node's jobs from the shared backend (tombstones left out). The RPC that will carry it is
 * our extension `joblet.state.v1.StateService/ListAllNodeJobs` (proto/joblet_state_v1.proto)
 * (RBAC: like ListJobs), behind `rnx job list --all-nodes`.
 */
export function listAllNodes(): Promise<JobRecord[]> {
  if (!running) return Promise.reject(new Error('state service is not running (start the daemon first)'));
  return running.list();
}
