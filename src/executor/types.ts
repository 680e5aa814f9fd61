import type { JobLimits } from './cgroups/types.js';
import type { MetricsSample } from '../events/jobMetrics.js';

// The executor's contract with the daemon. The executor reports what happened to a job as
// observations; the daemon turns them into events (DESIGN invariant 4: it never writes the log).

export interface LaunchSpec {
  jobId: string;
  command: string;
  args: string[];
  /** the job's whole environment; nothing of the daemon's leaks in */
  env: Record<string, string>;
  /**
   * host path of the job's work dir; it must exist. Without `isolation` the job runs in it (and it
   * is required); with `isolation` it holds the uploads, which are copied into the job's private
   * work tmpfs (mounted at `isolation.workDir`) before exec; it must not be or contain symlinks.
   * Absent with `isolation`: nothing to copy, the work tmpfs starts empty.
   */
  workDir?: string;
  hostname?: string;
  /** the job's own root, user, capabilities, seccomp filter and network; absent: none of them */
  isolation?: JobIsolation;
  /**
   * cgroup directories (one per v1 controller hierarchy, or one v2 dir) the job is in before any
   * of its code runs; the job's /proc/self/cgroup then shows "/" (a cgroup namespace rooted there)
   */
  cgroupDirs?: string[];
  /** Limits for the job's cgroup; the executor creates it (when it has a cgroup driver), passes
   *  its dirs as cgroupDirs, and removes it after the job. Absent: no cgroup. */
  limits?: JobLimits;
  /**
   * host dir where the job's supervisor keeps its pid file, status file and output spool
   * (DATA_DIR/jobs/<id>); a later daemon re-attaches through it (`Executor.attach`). Absent: a
   * private temp dir, removed after the job (no re-attach possible).
   */
  stateDir?: string;
  /**
   * host path of the output spool when it is not `stateDir/output.spool`: the state dir is then on
   * a tmpfs (its small files cost no disk inode on the launch path) and the supervisor links
   * `stateDir/output.spool` to this file, which stays on disk (a job's whole output may wait
   * there while the daemon is away). Its dir is made by the supervisor if missing.
   */
  spoolFile?: string;
  /** bytes of output kept; past them output is dropped and one marker line says how much. Absent: no cap */
  maxOutputBytes?: number;
  /** after a small read of the job's output, the supervisor waits this long before reading again (config joblet.outputBatch) */
  outputBatchMs?: number;
  /**
   * Set the job up (supervisor, cgroup, namespaces, root) but run nothing of it until
   * `Executor.release(jobId, true)`; `release(jobId, false)` ends it instead, as startFailed.
   */
  held?: boolean;
}

/** A job launched by an earlier daemon (or executor) whose supervisor may still run. */
export interface AttachSpec {
  jobId: string;
  /** the LaunchSpec.stateDir it was launched with */
  stateDir: string;
  /** the LaunchSpec.spoolFile it was launched with, if any */
  spoolFile?: string;
  /** the spool offset up to which its output is already recorded (from the log; SPOOL_START if none) */
  spoolOffset: number;
  /** the log already has its start: no 'started' observation is emitted */
  started: boolean;
  /** it ran with a cgroup (it had limits): adopt the cgroup, kill and remove it at the end */
  limits?: JobLimits;
}

/** What a job may see and do (spec/isolation.md); each field maps to one launcher flag. */
export interface JobIsolation {
  /** host path of an empty dir, the mount point of the job's new root (DATA_DIR/jobs/<id>/root) */
  rootDir: string;
  /**
   * host paths bind-mounted read-only, nosuid, nodev at the same path inside; those that do not
   * exist are skipped. Relative symlinks (merged /usr: /bin -> usr/bin) are recreated as symlinks,
   * other symlinks are mounted as what they resolve to
   */
  systemDirs: string[];
  /** the work dir's path inside the job, its cwd: a tmpfs owned by uid/gid ('/work') */
  workDir: string;
  /** size cap of the work tmpfs; writing past it fails with ENOSPC */
  workSizeBytes: number;
  /** size cap of /tmp (and of /dev/shm) */
  tmpSizeBytes: number;
  /** the job's user and group (65534: nobody/nogroup); supplementary groups are cleared */
  uid: number;
  gid: number;
  /** default: Docker-like deny list; strict: default and more; off: trusted jobs only */
  seccomp: 'default' | 'strict' | 'off';
  /** none: a new net namespace with only lo, up; host: the host's (only if config allows it) */
  network: 'none' | 'host';
}

/**
 * The host paths a job sees by default; those missing on a host are skipped. /etc/alternatives is
 * there because Debian reaches awk, editors and more through it (/usr/bin/awk ->
 * /etc/alternatives/awk -> /usr/bin/mawk).
 */
export const DEFAULT_SYSTEM_DIRS: readonly string[] = [
  '/bin', '/sbin', '/usr', '/lib', '/lib64', '/etc/ssl', '/etc/ca-certificates', '/etc/alternatives',
  '/etc/resolv.conf', '/etc/hosts', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf',
];

/** Defaults for everything but the per-job root; config overrides sizes, user and modes. */
export const DEFAULT_ISOLATION: Readonly<Omit<JobIsolation, 'rootDir'>> = {
  systemDirs: [...DEFAULT_SYSTEM_DIRS],
  workDir: '/work',
  workSizeBytes: 1024 * 1024 * 1024,
  tmpSizeBytes: 256 * 1024 * 1024,
  uid: 65534,
  gid: 65534,
  seccomp: 'default',
  network: 'none',
};

/**
 * For one job the order is: started, output*, exited (or lost); or startFailed alone. `exited` comes only
 * after both output pipes reached EOF, so no output follows it. `at` is Date.now(). A job with a
 * cgroup also gets `sampled` observations among its output (metricsSampler.ts), the last one
 * right before `exited`.
 */
export type Observation =
  | { type: 'started'; jobId: string; pid: number; at: number }
  /** spoolEnd: the spool offset just past these bytes (where to resume after a restart) */
  | { type: 'output'; jobId: string; stream: 'stdout' | 'stderr'; data: Buffer; at: number; spoolEnd?: number }
  /** exitCode is 128+n when the job died of signal n; signal then names it ('SIGKILL');
   *  oomKilled when the kernel's OOM killer hit the job's memory limit (the whole job was then killed) */
  | { type: 'exited'; jobId: string; exitCode: number; signal?: string; oomKilled?: boolean; at: number }
  /** reason names the step, errno and message: 'mount /proc: EPERM (operation not permitted)' */
  | { type: 'startFailed'; jobId: string; reason: string; at: number }
  /** a resource sample of the job's cgroup: every metrics interval, and once at exit */
  | { type: 'sampled'; jobId: string; at: number; sample: MetricsSample }
  /** the supervisor is gone without a final status (killed, or the machine restarted): the end is unknown */
  | { type: 'lost'; jobId: string; reason: string; at: number };

/**
 * A listener may return a promise: the executor reads a job's next output only after it settled,
 * so a slow consumer (the event log's fsync) slows the reading, not the job (its supervisor has
 * the output on disk), and the daemon's memory stays bounded.
 */
export type ObservationListener = (o: Observation) => void | Promise<unknown>;

export type StopSignal = 'SIGTERM' | 'SIGKILL';

export interface Executor {
  /** Never throws for job-level failures (those come as startFailed); throws on a reused jobId. */
  launch(spec: LaunchSpec): void;
  /** For a launch made `held`: run the job now (go) or give it up (it ends as startFailed). */
  release?(jobId: string, go: boolean): void;
  /** Signals every process of the job; false if the job is not running. */
  signal(jobId: string, sig: StopSignal): boolean;
  /** SIGTERM the whole job, wait graceMs, then SIGKILL what is left; resolves once it has exited. */
  stop(jobId: string, graceMs: number): Promise<void>;
  /**
   * Re-attaches to a job an earlier daemon launched (DESIGN invariant 6): observations follow for
   * what happened since spec.spoolOffset ('started' unless spec.started, output, then exited, or
   * lost when its supervisor vanished without a status). 'absent': the job never got a supervisor
   * (no file in its state dir), nothing follows and its cgroup is gone; the caller may launch it.
   * Throws CorruptStateError, naming the file and the recovery step, when a state file is garbage.
   */
  attach(spec: AttachSpec): Promise<'attached' | 'absent'>;
  /** ids of the jobs launched or attached and not yet reported as exited, lost or startFailed */
  running(): string[];
  onObservation(listener: ObservationListener): void;
  /**
   * Stops watching: running jobs keep running under their supervisors, for the next daemon to
   * re-attach (an upgrade or restart). With stopJobs, kills them first and waits for their ends.
   */
  close(opts?: { stopJobs?: boolean }): Promise<void>;
}
