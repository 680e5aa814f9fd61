// The Executor on the real kernel: every job runs under its own joblet-launcher process.
import { spawnJob, type JobProcess } from './jobProcess.js';
import { defaultLauncherPath } from './launcherPath.js';
import { spawnInCgroup } from './cgroupJob.js';
import type { CgroupDriver } from './cgroups/types.js';
import type { Executor, LaunchSpec, Observation, StopSignal } from './types.js';

export interface NativeExecutorOptions {
  /** the joblet-launcher binary; default: build/Release/joblet-launcher of this package */
  launcherPath?: string;
  /** puts each job that has `limits` in its own cgroup; without it, limits are refused */
  cgroups?: CgroupDriver;
}

export function createNativeExecutor(opts: NativeExecutorOptions = {}): Executor {
  const launcherPath = opts.launcherPath ?? defaultLauncherPath();
  const jobs = new Map<string, JobProcess>();
  const listeners: Array<(o: Observation) => void> = [];
  let closed = false;

  const emit = (o: Observation) => {
    // the job is no longer running once its last observation is out, so listeners that react to
    // it (relaunch under the same id, running()) already see the new state
    if (o.type === 'exited' || o.type === 'startFailed') jobs.delete(o.jobId);
    for (const l of listeners) {
      try {
        l(o);
      } catch (err) {
        // a listener's bug must not stop the others or corrupt our bookkeeping; surface it
        queueMicrotask(() => { throw err; });
      }
    }
  };

  return {
    launch(spec: LaunchSpec): void {
      if (closed) throw new Error(`launch ${spec.jobId}: executor is closed`);
      if (jobs.has(spec.jobId)) throw new Error(`launch ${spec.jobId}: a job with this id is still running`);
      if (spec.limits && !opts.cgroups) throw new Error(`launch ${spec.jobId}: limits need a cgroup driver`);
      jobs.set(spec.jobId, spec.limits ? spawnInCgroup(launcherPath, opts.cgroups!, spec, emit) : spawnJob(launcherPath, spec, emit));
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

    onObservation(listener: (o: Observation) => void): void {
      listeners.push(listener);
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all([...jobs.values()].map((j) => j.terminate(0)));
    },
  };
}
