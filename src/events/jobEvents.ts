// Job events (past tense, facts) and `evolve`, the pure fold that turns them into job state.
// Every event carries `at` (Unix ms, given by the caller) and `jobId` (the store indexes on it);
// only RequestRejected may lack a jobId, because a refused request may name no existing job.
import type { Caller, FinalStatus, Job, JobSpec, StopReason } from './job.js';
import { isFinal } from './job.js';
import type { RequestRejected } from './requestRejected.js';
import type { JobImported } from './jobImported.js';
import type { JobMetricsSampled } from './jobMetrics.js';
import { evolveImported } from './jobImported.js';

export type { RequestRejected } from './requestRejected.js';
export type { JobImported } from './jobImported.js';
export type { JobMetricsSampled, MetricsSample } from './jobMetrics.js';

/** The version of the event shapes below; src/events/upcasters.ts upgrades every older one. */
export const EVENT_SCHEMA_VERSION = 1;

export interface JobSubmitted { type: 'JobSubmitted'; jobId: string; at: number; by: Caller; nodeId: string; spec: JobSpec; scheduledAt?: number }
export interface JobQueued { type: 'JobQueued'; jobId: string; at: number }
export interface JobLaunching { type: 'JobLaunching'; jobId: string; at: number }
export interface JobStarted { type: 'JobStarted'; jobId: string; at: number; pid: number }
/**
 * spoolEnd: the offset in the job's output spool just past `data`; a restarted daemon resumes reading there.
 * compactedBytes: set when log compaction replaced `data` with an empty array once the persist
 * service had stored it; the bytes are then read from the persist service's log files.
 */
export interface JobOutputWritten { type: 'JobOutputWritten'; jobId: string; at: number; stream: 'stdout' | 'stderr'; data: Uint8Array; spoolEnd?: number; compactedBytes?: number }
export interface JobStopRequested { type: 'JobStopRequested'; jobId: string; at: number; by: Caller; reason: StopReason }
export interface JobFinished { type: 'JobFinished'; jobId: string; at: number; status: FinalStatus; exitCode: number; reason?: string }
export interface JobCanceled { type: 'JobCanceled'; jobId: string; at: number; by: Caller }
export interface JobDeleted { type: 'JobDeleted'; jobId: string; at: number; by: Caller }

export type JobEvent =
  | JobSubmitted
  | JobQueued
  | JobLaunching
  | JobStarted
  | JobOutputWritten
  | JobStopRequested
  | JobFinished
  | JobCanceled
  | JobDeleted
  | RequestRejected
  | JobImported
  | JobMetricsSampled;

export type JobEventType = JobEvent['type'];

/**
 * Applies one event to the job it concerns. `undefined` means the job does not exist (never
 * submitted, or deleted). Events that do not fit the state are ignored rather than thrown on,
 * because the log is history: `decide` is where illegal transitions are refused.
 */
export function evolve(job: Job | undefined, event: JobEvent): Job | undefined {
  switch (event.type) {
    case 'JobSubmitted':
      return {
        id: event.jobId,
        nodeId: event.nodeId,
        spec: event.spec,
        submittedBy: event.by,
        submittedAt: event.at,
        ...(event.scheduledAt !== undefined ? { scheduledAt: event.scheduledAt } : {}),
        status: event.scheduledAt !== undefined ? 'SCHEDULED' : 'INITIALIZING',
      };
    case 'JobQueued':
      return job && !isFinal(job) && job.status !== 'RUNNING' ? { ...job, status: 'QUEUED' } : job;
    case 'JobLaunching':
      return job && !isFinal(job) && job.status !== 'RUNNING' ? { ...job, status: 'INITIALIZING' } : job;
    case 'JobStarted':
      if (!job || isFinal(job) || job.status === 'RUNNING') return job;
      return { ...base(job), status: 'RUNNING', startedAt: event.at, pid: event.pid };
    case 'JobOutputWritten':
      return job;
    case 'JobStopRequested':
      if (!job || job.status !== 'RUNNING') return job;
      return { ...job, stopRequested: { reason: event.reason, at: event.at, by: event.by } };
    case 'JobFinished':
      if (!job || isFinal(job)) return job;
      return {
        ...base(job),
        status: event.status,
        ...(job.status === 'RUNNING' ? { startedAt: job.startedAt } : {}),
        endedAt: event.at,
        exitCode: event.exitCode,
        ...(event.reason ? { reason: event.reason } : {}),
      };
    case 'JobCanceled':
      if (!job || job.status !== 'SCHEDULED') return job;
      return { ...base(job), status: 'CANCELED', endedAt: event.at, exitCode: 0 };
    case 'JobDeleted':
      return undefined;
    case 'RequestRejected':
      return job;
    case 'JobImported':
      return evolveImported(job, event);
    case 'JobMetricsSampled':
      return job;
    default: {
      const unknown: never = event;
      return unknownEvent(unknown, job);
    }
  }
}

// Unknown types come only from a newer daemon's log read by an older one: keep the state as is.
function unknownEvent(_event: never, job: Job | undefined): Job | undefined {
  return job;
}

/** The fields every state shares, without the state-specific ones, so a transition starts clean. */
function base(job: Job) {
  const { id, nodeId, spec, submittedBy, submittedAt, scheduledAt } = job;
  return { id, nodeId, spec, submittedBy, submittedAt, ...(scheduledAt !== undefined ? { scheduledAt } : {}) };
}
