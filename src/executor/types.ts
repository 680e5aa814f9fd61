// The executor's contract with the daemon. The executor reports what happened to a job as
// observations; the daemon turns them into events (DESIGN invariant 4: it never writes the log).

export interface LaunchSpec {
  jobId: string;
  command: string;
  args: string[];
  /** the job's whole environment; nothing of the daemon's leaks in */
  env: Record<string, string>;
  /** host path of the job's work dir; it must exist */
  workDir: string;
  hostname?: string;
}

/**
 * For one job the order is: started, output*, exited; or startFailed alone. `exited` comes only
 * after both output pipes reached EOF, so no output follows it. `at` is Date.now().
 */
export type Observation =
  | { type: 'started'; jobId: string; pid: number; at: number }
  | { type: 'output'; jobId: string; stream: 'stdout' | 'stderr'; data: Buffer; at: number }
  /** exitCode is 128+n when the job died of signal n; signal then names it ('SIGKILL') */
  | { type: 'exited'; jobId: string; exitCode: number; signal?: string; at: number }
  /** reason names the step, errno and message: 'mount /proc: EPERM (operation not permitted)' */
  | { type: 'startFailed'; jobId: string; reason: string; at: number };

export type StopSignal = 'SIGTERM' | 'SIGKILL';

export interface Executor {
  /** Never throws for job-level failures (those come as startFailed); throws on a reused jobId. */
  launch(spec: LaunchSpec): void;
  /** Signals every process of the job; false if the job is not running. */
  signal(jobId: string, sig: StopSignal): boolean;
  /** SIGTERM the whole job, wait graceMs, then SIGKILL what is left; resolves once it has exited. */
  stop(jobId: string, graceMs: number): Promise<void>;
  /** ids of the jobs launched and not yet reported as exited or startFailed */
  running(): string[];
  onObservation(listener: (o: Observation) => void): void;
  /** Kills every job still running and resolves once all have exited (daemon shutdown). */
  close(): Promise<void>;
}
