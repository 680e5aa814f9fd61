// The Executor on the real kernel: every job runs under its own joblet-launcher process, its
// supervisor, which outlives this executor (and the daemon) so that a later one can re-attach.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adoptJob, spawnJob, type JobProcess } from './jobProcess.js';
import { defaultLauncherPath } from './launcherPath.js';
import { inCgroup } from './cgroupJob.js';
import { MetricsSampler } from './metricsSampler.js';
import { defaultSpawnerPath, Spawner } from './spawner.js';
import { checkStateDir } from './stateDirCheck.js';
import { PID_FILE, STATUS_FILE } from './supervisorFiles.js';
import type { CgroupDriver } from './cgroups/types.js';
import type { AttachSpec, Executor, LaunchSpec, Observation, ObservationListener, StopSignal } from './types.js';

export interface NativeExecutorOptions {
  /** the joblet-launcher binary; default: build/Release/joblet-launcher of this package */
  launcherPath?: string;
  /** the joblet-spawner binary that starts every launcher; default: next to the default launcher */
  spawnerPath?: string;
  /** puts each job that has `limits` in its own cgroup; without it, limits are refused */
  cgroups?: CgroupDriver;
  /** ms between resource samples of each job with a cgroup; 0: only the one at exit; absent: none */
  metricsIntervalMs?: number;
}

export function createNativeExecutor(opts: NativeExecutorOptions = {}): Executor {
  const launcherPath = opts.launcherPath ?? defaultLauncherPath();
  // started at the first launch; a re-attach needs none
  const spawner = new Spawner(opts.spawnerPath ?? defaultSpawnerPath(), { cpuCgroup: opts.cgroups?.supervisorsCgroup() });
  const jobs = new Map<string, JobProcess>();
  const listeners: ObservationListener[] = [];
  let closed = false;
  // state dirs of jobs launched without one (tests, benches): each removed after its job, their
  // dir once none is left and at close
  let tempRoot: string | undefined;
  let tempJobs = 0;
  const sampler = opts.metricsIntervalMs === undefined ? undefined : new MetricsSampler(opts.metricsIntervalMs);

  const emit = async (o: Observation): Promise<void> => {
    // the job is no longer running once its last observation is out, so listeners that react to
    // it (relaunch under the same id, running()) already see the new state
    if (o.type === 'exited' || o.type === 'startFailed' || o.type === 'lost') jobs.delete(o.jobId);
    const pending: Promise<unknown>[] = [];
    for (const l of listeners) {
      try {
        const r = l(o);
        if (r) pending.push(r);
      } catch (err) {
        // a listener's bug must not stop the others or corrupt our bookkeeping; surface it
        queueMicrotask(() => { throw err; });
      }
    }
    if (pending.length > 0) await Promise.all(pending.map((p) => p.catch((err) => queueMicrotask(() => { throw err; }))));
  };

  const register = (jobId: string, make: () => JobProcess, cleanup?: () => void) => {
    const job = make();
    jobs.set(jobId, job);
    if (cleanup) void job.finished.then(cleanup);
  };

  return {
    launch(spec: LaunchSpec): void {
      if (closed) throw new Error(`launch ${spec.jobId}: executor is closed`);
      if (jobs.has(spec.jobId)) throw new Error(`launch ${spec.jobId}: a job with this id is still running`);
      if (spec.limits && !opts.cgroups) throw new Error(`launch ${spec.jobId}: limits need a cgroup driver`);
      let stateDir = spec.stateDir;
      let cleanup: (() => void) | undefined;
      if (stateDir === undefined) {
        tempRoot ??= mkdtempSync(join(tmpdir(), 'joblet-supervisors-'));
        stateDir = mkdtempSync(join(tempRoot, 'job-'));
        tempJobs++;
        const dir = stateDir;
        cleanup = () => {
          rmSync(dir, { recursive: true, force: true });
          if (--tempJobs === 0 && tempRoot) { rmSync(tempRoot, { recursive: true, force: true }); tempRoot = undefined; }
        };
      } else {
        mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      }
      const full = { ...spec, stateDir };
      const driver = opts.cgroups;
      register(spec.jobId, () => (spec.limits && driver
        ? inCgroup(spec.jobId, driver, driver.create(spec.jobId, spec.limits), spec.limits.memoryMb > 0,
          (cg, forward) => spawnJob(spawner, launcherPath, { ...full, cgroupDirs: cg!.dirs }, forward), emit, sampler && { sampler, fresh: true })
        : spawnJob(spawner, launcherPath, full, emit)), cleanup);
    },

    release(jobId: string, go: boolean): void {
      jobs.get(jobId)?.release(go);
    },

    async attach(spec: AttachSpec): Promise<'attached' | 'absent'> {
      if (closed) throw new Error(`attach ${spec.jobId}: executor is closed`);
      if (jobs.has(spec.jobId)) throw new Error(`attach ${spec.jobId}: a job with this id is already watched`);
      if (spec.limits && !opts.cgroups) throw new Error(`attach ${spec.jobId}: limits need a cgroup driver`);
      const found = checkStateDir(spec);  // throws CorruptStateError
      const driver = opts.cgroups;
      const cgroup = spec.limits && driver ? driver.adopt(spec.jobId) : undefined;
      if (found.kind === 'absent') {
        // never launched (the daemon stopped between recording the launch and spawning): nothing
        // of it may linger when it is launched again under the same id
        if (cgroup) { await cgroup.kill(); await cgroup.remove(); }
        // a held launch given up left its pid and status files: the relaunch starts them afresh
        if (found.heldGiveUp) for (const f of [STATUS_FILE, PID_FILE]) rmSync(join(spec.stateDir, f), { force: true });
        return 'absent';
      }
      const start = (forward: (o: Observation) => Promise<void>): JobProcess => (found.kind === 'setAside'
        ? settled(spec.jobId, { type: 'lost', jobId: spec.jobId, reason: found.reason, at: Date.now() }, forward)
        : adoptJob(found.id, { jobId: spec.jobId, stateDir: spec.stateDir, ...(spec.spoolFile ? { spoolFile: spec.spoolFile } : {}), from: spec.spoolOffset, started: spec.started }, forward));
      register(spec.jobId, () => (driver && spec.limits
        ? inCgroup(spec.jobId, driver, Promise.resolve(cgroup), spec.limits.memoryMb > 0, (_cg, forward) => start(forward), emit, sampler && { sampler, fresh: false })
        : start(emit)));
      return 'attached';
    },

    signal(jobId: string, sig: StopSignal): boolean {
      return jobs.get(jobId)?.signal(sig) ?? false;
    },

    stop(jobId: string, graceMs: number): Promise<void> {
      return jobs.get(jobId)?.terminate(Math.max(0, graceMs)) ?? Promise.resolve();
    },

    running(): string[] {
      return [...jobs.keys()];
    },

    onObservation(listener: ObservationListener): void {
      listeners.push(listener);
    },

    async close({ stopJobs = false }: { stopJobs?: boolean } = {}): Promise<void> {
      closed = true;
      // a held launch nobody released gives up (its supervisor also would at the spawner's exit)
      for (const j of jobs.values()) j.release(false);
      // jobs stopped here still get their exit sample; the rest stop being sampled
      if (stopJobs) await Promise.all([...jobs.values()].map((j) => j.terminate(0)));
      sampler?.close();
      for (const j of jobs.values()) j.detach();
      jobs.clear();
      spawner.close();
      // temporary state dirs cannot be re-attached to by anyone: none may outlive the executor
      if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
    },
  };
}

/** A job whose end is already known: emits it once and is done. */
function settled(jobId: string, o: Observation, emit: (o: Observation) => Promise<void>): JobProcess {
  const finished = Promise.resolve().then(() => emit(o));
  return { jobId, signal: () => false, terminate: () => finished, detach: () => undefined, release: () => undefined, finished };
}
