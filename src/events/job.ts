// The job as the domain sees it: its spec (what was asked) and its state (what happened), a union on
// status so each state carries exactly the facts that exist in it. Pure data, no I/O (DESIGN.md).

export type Role = 'admin' | 'maintainer' | 'developer' | 'reader';

/** Who asked for a change: from the client certificate, recorded on every command event. */
export interface Caller {
  cn: string;
  role: Role | 'system';
  peer?: string;
}

export const SYSTEM: Caller = { cn: 'joblet', role: 'system' };

export interface UploadInfo {
  path: string;
  size: number;
  mode: number;
  isDirectory: boolean;
}

/** What the user asked for. Secret values never appear here: only their names (values live in the secret store). */
export interface JobSpec {
  command: string;
  args: string[];
  maxCpu: number;
  cpuCores: string;
  maxMemory: number;
  maxIoBps: number;
  environment: Record<string, string>;
  secretKeys: string[];
  uploads: UploadInfo[];
  workDir: string;
  network: string;
  volumes: string[];
  runtime: string;
  gpuCount: number;
  gpuMemoryMb: number;
  /** 0 = no timeout. */
  timeoutMs: number;
}

export type ActiveStatus = 'SCHEDULED' | 'QUEUED' | 'INITIALIZING' | 'RUNNING';
export type FinalStatus = 'COMPLETED' | 'FAILED' | 'STOPPED' | 'CANCELED' | 'TIMEOUT';
export type JobStatus = ActiveStatus | FinalStatus;

export const FINAL_STATUSES: readonly FinalStatus[] = ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED', 'TIMEOUT'];

interface JobBase {
  id: string;
  nodeId: string;
  spec: JobSpec;
  submittedBy: Caller;
  /** Unix ms. */
  submittedAt: number;
  /** Unix ms; set when the job was submitted with a schedule. */
  scheduledAt?: number;
}

export interface PendingJob extends JobBase {
  status: 'SCHEDULED' | 'QUEUED' | 'INITIALIZING';
}

export interface RunningJob extends JobBase {
  status: 'RUNNING';
  startedAt: number;
  pid: number;
  /** Set once a stop (by a user or by the timeout) was asked for; decides the final status at exit. */
  stopRequested?: { reason: StopReason; at: number; by: Caller };
}

export interface FinishedJob extends JobBase {
  status: FinalStatus;
  startedAt?: number;
  endedAt: number;
  exitCode: number;
  /** Why it ended when the exit code does not say it: start failure, lost process, OOM. */
  reason?: string;
}

export type Job = PendingJob | RunningJob | FinishedJob;
export type StopReason = 'user' | 'timeout';

export function isFinal(job: Job): job is FinishedJob {
  return (FINAL_STATUSES as readonly string[]).includes(job.status);
}

/** Exit codes that the status implies (spec: STOPPED −1, TIMEOUT 124). */
export const EXIT_STOPPED = -1;
export const EXIT_TIMEOUT = 124;
export const EXIT_NOT_STARTED = -1;
