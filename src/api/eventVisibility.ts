// Who sees which events in the event tail (docs/decisions/0010-event-tail-visibility.md).
// Every role may call TailEvents, because Joblet has no job ownership: any reader may already list
// every job, read its status and its output. What the tail adds beyond that is the audit trail of
// callers, so that is where roles differ:
//   - refused requests (RequestRejected) of other callers, with their request summaries, only
//     for admin; everyone sees their own, so a user can find out why they were refused;
//   - callers' network addresses only for admin, or on one's own events;
//   - output bytes only to roles that may call GetJobLogs (the rbac table decides, not a copy);
//   - metric samples only to roles that may call GetJobMetrics (today every role).
import type { JobEvent } from '../events/jobEvents.js';
import type { RejectedCaller } from '../events/requestRejected.js';
import { isAllowed, type Role } from './rbac.js';

export interface Viewer {
  cn: string;
  role: Role;
}

export function isVisible(viewer: Viewer, event: JobEvent): boolean {
  if (viewer.role === 'admin') return true;
  if (event.type === 'RequestRejected') return event.by.cn === viewer.cn;
  if (event.type === 'JobMetricsSampled') return isAllowed(viewer.role, 'joblet.JobService', 'GetJobMetrics');
  return true;
}

export function mayShowPeer(viewer: Viewer, by: RejectedCaller): boolean {
  return viewer.role === 'admin' || by.cn === viewer.cn;
}

/** Output bytes follow the rule for GetJobLogs, so the two ways to read output never disagree. */
export function mayReadOutput(viewer: Viewer): boolean {
  return isAllowed(viewer.role, 'joblet.JobService', 'GetJobLogs');
}
