// A job with a cgroup: create it with the limits before the launcher starts (so the job's first
// instruction is already limited and accounted), kill everything in it when the job stops or
// ends, read whether the OOM killer struck, and remove it. The launcher only joins the dirs.
import type { CgroupDriver, JobCgroup } from './cgroups/types.js';
import { spawnJob, type JobProcess } from './jobProcess.js';
import type { LaunchSpec, Observation, StopSignal } from './types.js';

/** How often a job with a memory limit is checked for an OOM kill where the kernel does not kill
 *  the whole cgroup by itself (v1, or v2 without memory.oom.group). */
export const OOM_POLL_MS = 200;

export function spawnInCgroup(launcherPath: string, driver: CgroupDriver, spec: LaunchSpec, emit: (o: Observation) => void): JobProcess {
  const { jobId } = spec;
  let inner: JobProcess | undefined;
  let cgroup: JobCgroup | undefined;
  let stopRequested: number | undefined;  // grace ms of a terminate() that came before the launch
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => { resolveFinished = r; });
  let oomTimer: NodeJS.Timeout | undefined;

  const finish = async (o: Observation) => {
    clearInterval(oomTimer);
    let last = o;
    if (cgroup) {
      const oom = await cgroup.oomKilled().catch(() => false);
      await cgroup.kill().catch(() => undefined);     // daemonized leftovers die with the job
      await cgroup.remove().catch(() => undefined);
      if (oom && o.type === 'exited') last = { ...o, oomKilled: true };
    }
    emit(last);
    resolveFinished();
  };
  const forward = (o: Observation) => (o.type === 'exited' || o.type === 'startFailed' ? void finish(o) : emit(o));

  driver.create(jobId, spec.limits!).then((cg) => {
    cgroup = cg;
    inner = spawnJob(launcherPath, { ...spec, cgroupDirs: cg.dirs }, forward);
    if (spec.limits!.memoryMb > 0 && !driver.detectedFacts().oomGroup) {
      // The kernel killed one process; the spec says the job dies as a whole.
      oomTimer = setInterval(() => {
        void cg.oomKilled().then((oom) => { if (oom) { clearInterval(oomTimer); void cg.kill(); } }, () => undefined);
      }, OOM_POLL_MS);
      oomTimer.unref();
    }
    if (stopRequested !== undefined) void terminate(stopRequested);
  }, (err: Error) => void finish({ type: 'startFailed', jobId, reason: `create cgroup: ${err.message}`, at: Date.now() }));

  const signal = (sig: StopSignal) => inner?.signal(sig) ?? false;
  const terminate = (graceMs: number): Promise<void> => {
    if (!inner) { stopRequested = graceMs; return finished; }
    const done = inner.terminate(graceMs);
    // After the grace period, the cgroup kill reaches every process, even one that left the
    // job's process tree; the launcher's own kill path runs beside it.
    const t = setTimeout(() => { void cgroup?.kill().catch(() => undefined); }, graceMs);
    t.unref();
    void done.then(() => clearTimeout(t));
    return finished;
  };
  return { jobId, signal, terminate, finished };
}
