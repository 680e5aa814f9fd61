// The daemon's reactions: it turns durable events into work for the executor (launch, stop,
// timers) and the executor's observations into commands. It keeps only timers and a queue, both
// rebuilt from the job table on start, so the log stays the source of truth (invariant 1).
import type { Logger } from 'pino';
import type { Job } from '../events/job.js';
import { SYSTEM, isFinal } from '../events/job.js';
import type { JobEvent } from '../events/jobEvents.js';
import type { Executor, JobIsolation, Observation } from '../executor/types.js';
import type { JobLimits } from '../executor/cgroups/types.js';
import type { StoredEvent } from '../persist/eventStore.js';
import type { CommandHandler } from './commands.js';
import type { JobFiles } from './jobFiles.js';

export interface RunnerOptions {
  maxConcurrentJobs: number;  // 0 = unlimited
  stopGraceMs: number;
  /** What every job runs under, less what each job decides (its root dir, work dir, network). */
  isolation: Omit<JobIsolation, 'rootDir' | 'workDir' | 'network'>;
  /** pids.max applied to every job (a fork bomb stops there). */
  pidsMax: number;
  /** bytes of output kept per job (config joblet.maxOutputBytes); past them a marker line says how much was dropped */
  maxOutputBytes: number;
  /** config joblet.outputBatch: see LaunchSpec.outputBatchMs */
  outputBatchMs?: number;
  hostname: (jobId: string) => string;
  now?: () => number;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days), so long waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The exit code recorded for a job whose supervisor vanished without its status (it is unknown). */
const EXIT_LOST = -1;

export class JobRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly queue: string[] = [];
  private readonly active = new Set<string>();
  /** launched held at their submission's append, until it is durable (decision 0022) */
  private readonly held = new Set<string>();
  private readonly now: () => number;

  constructor(
    private readonly commands: CommandHandler,
    private readonly executor: Executor,
    private readonly files: JobFiles,
    private readonly opts: RunnerOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    executor.onObservation((o) => this.observe(o));
    commands.onEvent((e) => this.react(e));
    commands.onAppending((events, appended) => this.launchHeld(events, appended));
  }

  /**
   * A submission that will launch at once is launched *held* while its event is being fsynced:
   * supervisor, cgroup, namespaces and root are set up beside the fsync, and the job itself runs
   * only when the event is durable (react releases it) or never, if the write fails (decision 0022).
   */
  private launchHeld(events: JobEvent[], appended: Promise<unknown>): void {
    const limit = this.opts.maxConcurrentJobs;
    for (const e of events) {
      if (e.type !== 'JobSubmitted' || e.scheduledAt !== undefined) continue;
      if (limit !== 0 && this.active.size >= limit) continue;  // it will wait in the queue
      const jobId = e.jobId;
      this.held.add(jobId);
      this.active.add(jobId);
      // after the group commit's own turn (it hands the batch to lmdb-js's writer thread), so the
      // launch's work runs beside the commit and its fsync rather than before them
      setImmediate(() => { if (this.held.has(jobId)) void this.launch(jobId, true); });
      appended.catch(() => {
        if (!this.held.delete(jobId)) return;
        this.executor.release?.(jobId, false);
        this.release(jobId);
      });
    }
  }

  /**
   * Picks up the jobs the table holds at start: waiting ones are re-queued or re-timed; ones that
   * were launching or running are re-attached through their supervisors (DESIGN invariant 6),
   * reading their output from `spoolOffset(jobId)` on, where the log says it stopped. A job that
   * never got a supervisor is launched; one whose supervisor vanished ends FAILED with the reason
   * (the executor reports it as lost). A corrupt supervisor file throws: the daemon must not start.
   */
  async resume(jobs: Job[], spoolOffset: (jobId: string) => number): Promise<{ attached: number; relaunched: number }> {
    const counts = { attached: 0, relaunched: 0 };
    for (const job of jobs) {
      if (job.status === 'SCHEDULED') this.armSchedule(job.id, job.scheduledAt ?? this.now());
      else if (job.status === 'QUEUED') this.queue.push(job.id);
      else if (job.status === 'INITIALIZING' || job.status === 'RUNNING') {
        const found = await this.executor.attach({
          jobId: job.id, ...this.files.statePaths(job.id), spoolOffset: spoolOffset(job.id),
          started: job.status === 'RUNNING', limits: this.limitsOf(job),
        });
        if (found === 'absent') { this.queue.push(job.id); counts.relaunched++; continue; }
        counts.attached++;
        this.active.add(job.id);
        if (job.status !== 'RUNNING') continue;
        // a stop recorded before the crash may not have reached the job
        if (job.stopRequested) void this.executor.stop(job.id, this.opts.stopGraceMs);
        else this.armTimeout(job.id, job.startedAt);
      }
    }
    this.pump();
    return counts;
  }

  private react({ event }: StoredEvent<JobEvent>): void {
    switch (event.type) {
      case 'JobSubmitted':
        if (this.held.delete(event.jobId)) {
          // a held launch that did not get as far as a supervisor (refused) is queued like any other
          if (this.executor.running().includes(event.jobId)) { this.executor.release?.(event.jobId, true); break; }
          this.active.delete(event.jobId);
        }
        if (event.scheduledAt !== undefined) this.armSchedule(event.jobId, event.scheduledAt);
        else this.enqueue(event.jobId);
        break;
      case 'JobStopRequested':
        this.clearTimer(event.jobId);
        void this.executor.stop(event.jobId, this.opts.stopGraceMs);
        break;
      case 'JobFinished':
      case 'JobCanceled':
        // A job stopped while it was still launching ends in the log before its process is seen.
        if (this.executor.running().includes(event.jobId)) {
          void this.executor.stop(event.jobId, this.opts.stopGraceMs).then(() => this.forgetFiles(event.jobId));
        } else {
          // its output is in the log now: the spool is no longer needed. On the next turn: the
          // end's readers, woken by this same durable event, answer first (forgetFiles is a
          // stat, a truncate and the state dir's removal, none of which they wait for)
          const jobId = event.jobId;
          setImmediate(() => this.forgetFiles(jobId));
        }
        this.clearTimer(event.jobId);
        this.release(event.jobId);
        break;
      case 'JobDeleted':
        this.files.remove(event.jobId);
        break;
      default:
        break;
    }
  }

  /** The promise tells the executor when the observation is durable, so it reads on only then. */
  private observe(o: Observation): Promise<unknown> | undefined {
    const { jobId, at } = o;
    switch (o.type) {
      case 'started':
        this.armTimeout(jobId, at);
        return this.safely(jobId, () => this.commands.handle({ type: 'RecordStart', jobId, at, pid: o.pid }));
      case 'output':
        return this.safely(jobId, () => this.commands.handle({
          type: 'RecordOutput', jobId, at, stream: o.stream, data: o.data, ...(o.spoolEnd !== undefined ? { spoolEnd: o.spoolEnd } : {}),
        }));
      case 'exited': {
        const memoryMb = this.commands.current(jobId)?.spec.maxMemory ?? 0;
        const reason = o.oomKilled ? `oom-killed: the job exceeded its memory limit of ${memoryMb} MiB` : undefined;
        return this.safely(jobId, () => this.commands.handle({
          type: 'RecordExit', jobId, at, exitCode: o.exitCode, ...(o.signal ? { signal: o.signal } : {}), ...(reason ? { reason } : {}),
        }));
      }
      case 'sampled':
        return this.safely(jobId, () => this.commands.handle({ type: 'RecordMetrics', jobId, at, sample: o.sample }));
      case 'lost':
        this.log.warn({ jobId, reason: o.reason }, 'job lost');
        return this.safely(jobId, () => this.commands.handle({ type: 'RecordExit', jobId, at, exitCode: EXIT_LOST, reason: o.reason }));
      case 'startFailed':
        return this.safely(jobId, () => this.commands.handle({ type: 'RecordStartFailure', jobId, at, reason: o.reason }));
      default: {
        const unknown: never = o;
        this.log.warn({ observation: unknown }, 'unknown observation');
        return undefined;
      }
    }
  }

  private enqueue(jobId: string): void {
    this.queue.push(jobId);
    this.pump();
  }

  /** Starts queued jobs while slots are free; marks the rest QUEUED so users see why they wait. */
  private pump(): void {
    const limit = this.opts.maxConcurrentJobs;
    while (this.queue.length > 0 && (limit === 0 || this.active.size < limit)) {
      const jobId = this.queue.shift()!;
      const job = this.commands.current(jobId);
      if (!job || isFinal(job)) continue;
      this.active.add(jobId);
      void this.launch(jobId);
    }
    for (const jobId of this.queue) {
      if (this.commands.current(jobId)?.status === 'INITIALIZING') {
        void this.safely(jobId, () => this.commands.handle({ type: 'QueueJob', jobId, at: this.now() }));
      }
    }
  }

  private release(jobId: string): void {
    const i = this.queue.indexOf(jobId);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.active.delete(jobId)) this.pump();
  }

  private async launch(jobId: string, held = false): Promise<void> {
    const ok = await this.safely(jobId, () => this.commands.handle({ type: 'LaunchJob', jobId, at: this.now() }));
    const job = this.commands.current(jobId);
    if (!ok || !job || job.status !== 'INITIALIZING') return this.release(jobId);
    const { spec } = job;
    this.executor.launch({
      ...this.files.launchPaths(jobId),
      maxOutputBytes: this.opts.maxOutputBytes,
      outputBatchMs: this.opts.outputBatchMs,
      jobId,
      command: spec.command,
      args: spec.args,
      env: { PATH: BASE_PATH, HOME: spec.workDir, JOB_ID: jobId, ...spec.environment, ...(spec.secretKeys.length > 0 ? this.files.secrets(jobId) : {}) },
      // only a job with uploads has a host work dir (a stat per launch less for the others)
      ...(spec.uploads.length > 0 ? { workDir: this.files.workDir(jobId) } : {}),
      hostname: this.opts.hostname(jobId),
      isolation: {
        ...this.opts.isolation,
        rootDir: this.files.rootMountPoint,
        workDir: spec.workDir,
        network: spec.network === 'host' ? 'host' : 'none',
      },
      limits: this.limitsOf(job),
      ...(held ? { held } : {}),
    });
  }

  /** The spool and the secrets of an ended job; a failure leaves files behind, nothing more. */
  private forgetFiles(jobId: string): void {
    try {
      this.files.forgetEnded(jobId, (this.commands.current(jobId)?.spec.secretKeys.length ?? 1) > 0);
    } catch (err) {
      this.log.warn({ jobId, err: (err as Error).message }, 'could not remove the files of an ended job');
    }
  }

  private limitsOf({ spec }: Pick<Job, 'spec'>): JobLimits {
    return { cpuPercent: spec.maxCpu, cpuCores: spec.cpuCores, memoryMb: spec.maxMemory, ioBps: spec.maxIoBps, pidsMax: this.opts.pidsMax };
  }

  private armSchedule(jobId: string, at: number): void {
    this.arm(jobId, at, () => {
      if (this.commands.current(jobId)?.status === 'SCHEDULED') this.enqueue(jobId);
    });
  }

  /** The timeout counts from the job's start, so a re-attached job keeps its deadline. */
  private armTimeout(jobId: string, startedAt: number): void {
    const timeoutMs = this.commands.current(jobId)?.spec.timeoutMs ?? 0;
    if (timeoutMs <= 0) return;
    this.arm(jobId, startedAt + timeoutMs, () => {
      void this.safely(jobId, () => this.commands.handle({ type: 'StopJob', jobId, at: this.now(), by: SYSTEM, reason: 'timeout' }));
    });
  }

  private arm(jobId: string, at: number, fire: () => void): void {
    this.clearTimer(jobId);
    const wait = Math.max(0, at - this.now());
    const timer = setTimeout(() => {
      this.timers.delete(jobId);
      if (this.now() + 5 < at) this.arm(jobId, at, fire);
      else fire();
    }, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(jobId, timer);
  }

  private clearTimer(jobId: string): void {
    clearTimeout(this.timers.get(jobId));
    this.timers.delete(jobId);
  }

  /** Runs a reaction's command; a refusal here is a race we lost (the job ended meanwhile), not a crash. */
  private async safely(jobId: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.log.warn({ jobId, err: (err as Error).message }, 'reaction refused');
      return false;
    }
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
