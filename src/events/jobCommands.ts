// Commands (what someone asks for) and `decide`, the pure function that checks a command against
// the job's current state and answers with the events to append, or a DomainError. Time, ids and
// the caller come in as data, so replaying the same inputs gives the same answer.
import type { Caller, Job, JobSpec, StopReason } from './job.js';
import { EXIT_NOT_STARTED, EXIT_STOPPED, EXIT_TIMEOUT, isFinal } from './job.js';
import type { JobEvent, MetricsSample } from './jobEvents.js';
import { DomainError, notFound, precondition } from './errors.js';

export type JobCommand =
  | { type: 'SubmitJob'; jobId: string; at: number; by: Caller; nodeId: string; spec: JobSpec; scheduledAt?: number }
  | { type: 'QueueJob'; jobId: string; at: number }
  | { type: 'LaunchJob'; jobId: string; at: number }
  | { type: 'RecordStart'; jobId: string; at: number; pid: number }
  | { type: 'RecordStartFailure'; jobId: string; at: number; reason: string }
  | { type: 'RecordOutput'; jobId: string; at: number; stream: 'stdout' | 'stderr'; data: Uint8Array; spoolEnd?: number }
  | { type: 'RecordMetrics'; jobId: string; at: number; sample: MetricsSample }
  | { type: 'StopJob'; jobId: string; at: number; by: Caller; reason: StopReason }
  | { type: 'RecordExit'; jobId: string; at: number; exitCode: number; signal?: string; reason?: string }
  | { type: 'CancelJob'; jobId: string; at: number; by: Caller }
  | { type: 'DeleteJob'; jobId: string; at: number; by: Caller };

export function decide(job: Job | undefined, cmd: JobCommand): JobEvent[] {
  if (cmd.type === 'SubmitJob') {
    if (job) throw new DomainError('ALREADY_EXISTS', `job already exists: ${cmd.jobId}`);
    const { type: _type, ...rest } = cmd;
    return [{ type: 'JobSubmitted', ...rest }];
  }
  if (!job) throw notFound(cmd.jobId);
  const { jobId, at } = cmd;

  switch (cmd.type) {
    case 'QueueJob':
      requireStatus(job, ['SCHEDULED', 'INITIALIZING', 'QUEUED'], 'queued');
      return job.status === 'QUEUED' ? [] : [{ type: 'JobQueued', jobId, at }];
    case 'LaunchJob':
      requireStatus(job, ['SCHEDULED', 'QUEUED', 'INITIALIZING'], 'launched');
      return job.status === 'INITIALIZING' ? [] : [{ type: 'JobLaunching', jobId, at }];
    case 'RecordStart':
      requireStatus(job, ['INITIALIZING'], 'started');
      return [{ type: 'JobStarted', jobId, at, pid: cmd.pid }];
    case 'RecordStartFailure':
      requireStatus(job, ['INITIALIZING', 'QUEUED', 'SCHEDULED'], 'failed to start');
      return [{ type: 'JobFinished', jobId, at, status: 'FAILED', exitCode: EXIT_NOT_STARTED, reason: cmd.reason }];
    case 'RecordOutput':
      if (isFinal(job)) return [];  // late bytes after a recorded end are history we cannot place
      return [{ type: 'JobOutputWritten', jobId, at, stream: cmd.stream, data: cmd.data, ...(cmd.spoolEnd !== undefined ? { spoolEnd: cmd.spoolEnd } : {}) }];
    case 'RecordMetrics':
      if (isFinal(job)) return [];  // a sample that lost the race with the job's end: nothing to add to
      return [{ type: 'JobMetricsSampled', jobId, at, sample: cmd.sample }];
    case 'StopJob':
      return decideStop(job, cmd.by, cmd.reason, at);
    case 'RecordExit':
      return decideExit(job, cmd.exitCode, at, cmd.signal, cmd.reason);
    case 'CancelJob':
      if (job.status !== 'SCHEDULED') {
        throw precondition(`job ${jobId} is ${job.status}: only SCHEDULED jobs can be canceled (use stop for running jobs)`);
      }
      return [{ type: 'JobCanceled', jobId, at, by: cmd.by }];
    case 'DeleteJob':
      if (!isFinal(job)) {
        throw precondition(`job ${jobId} is ${job.status}: stop or cancel it before deleting it`);
      }
      return [{ type: 'JobDeleted', jobId, at, by: cmd.by }];
    default: {
      const unknown: never = cmd;
      throw new DomainError('INVALID_ARGUMENT', `unknown command ${(unknown as { type: string }).type}`);
    }
  }
}

function decideStop(job: Job, by: Caller, reason: StopReason, at: number): JobEvent[] {
  if (isFinal(job)) throw precondition(`job ${job.id} is ${job.status}: only running or waiting jobs can be stopped`);
  if (job.status === 'RUNNING') {
    // A second stop is not an error (users press Ctrl-C twice); the first reason decides the status.
    if (job.stopRequested) return [];
    return [{ type: 'JobStopRequested', jobId: job.id, at, by, reason }];
  }
  // Not yet running (scheduled, queued, launching): it ends now, without a process to signal.
  return [{ type: 'JobFinished', jobId: job.id, at, status: reason === 'timeout' ? 'TIMEOUT' : 'STOPPED', exitCode: reason === 'timeout' ? EXIT_TIMEOUT : EXIT_STOPPED }];
}

function decideExit(job: Job, exitCode: number, at: number, signal?: string, reason?: string): JobEvent[] {
  if (isFinal(job)) return [];  // the exit of a job already recorded as ended (e.g. stopped before start)
  const base = { type: 'JobFinished' as const, jobId: job.id, at };
  const why = reason ?? (signal ? `killed by ${signal}` : undefined);
  if (job.status === 'RUNNING' && job.stopRequested) {
    return job.stopRequested.reason === 'timeout'
      ? [{ ...base, status: 'TIMEOUT', exitCode: EXIT_TIMEOUT, reason: 'killed at its timeout' }]
      : [{ ...base, status: 'STOPPED', exitCode: EXIT_STOPPED }];
  }
  // `why`, not `reason`: a process killed by a signal has no exit status of its own (wait(2)), so
  // an exit 0 that comes with a signal (Node reports code null there) is not a success.
  if (exitCode === 0 && !why) return [{ ...base, status: 'COMPLETED', exitCode: 0 }];
  return [{ ...base, status: 'FAILED', exitCode, ...(why ? { reason: why } : {}) }];
}

function requireStatus(job: Job, allowed: Job['status'][], verb: string): void {
  if (!allowed.includes(job.status)) throw precondition(`job ${job.id} is ${job.status}: it cannot be ${verb}`);
}
