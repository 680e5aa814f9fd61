// A job with a cgroup: create it with the limits before the launcher starts (so the job's first
// instruction is already limited and accounted), or adopt the one an earlier daemon created for a
// job it re-attaches to; kill everything in it when the job stops or ends, read whether the OOM
// killer struck, and remove it. The launcher only joins the dirs.
import type { CgroupDriver, JobCgroup } from './cgroups/types.js';
import type { JobProcess } from './jobProcess.js';
import type { MetricsSampler } from './metricsSampler.js';
import type { Observation, StopSignal } from './types.js';

/** How often a job with a memory limit is checked for an OOM kill where the kernel does not kill
 *  the whole cgroup by itself (v1, or v2 without memory.oom.group). */
export const OOM_POLL_MS = 200;

/**
 * After a normal exit the supervisor reports the job's status before it has reaped init, which
 * then still tears the job's namespaces down (~1 ms; native/launcher.c step 5) and is still
 * counted in the cgroup: its emptiness is polled this often, this many times, before the cgroup
 * is killed as if something of the job had stayed behind.
 */
const EMPTY_POLL_MS = 2;
const EMPTY_POLLS = 50;

type Emit = (o: Observation) => Promise<void>;

/** Samples the job's cgroup (fresh: created for this launch, not adopted after a restart). */
export interface Sampling { sampler: MetricsSampler; fresh: boolean }

/**
 * Runs `start(cgroup)` once the cgroup exists (undefined: an adopted job whose cgroup is already
 * gone) and wraps its JobProcess: the last observation waits until nothing is left in the cgroup
 * (`finished` also for the dirs' removal),
 * and, after a normal exit, for the exit sample that `sampling` takes before that removal.
 */
export function inCgroup(jobId: string, driver: CgroupDriver, cgroup: Promise<JobCgroup | undefined>, memoryLimited: boolean,
  start: (cg: JobCgroup | undefined, emit: Emit) => JobProcess, emit: Emit, sampling?: Sampling): JobProcess {
  let inner: JobProcess | undefined;
  let cg: JobCgroup | undefined;
  let stopRequested: number | undefined;  // grace ms of a terminate() that came before the launch
  let releaseRequested: boolean | undefined;  // a release() that came before the launch
  let detached = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => { resolveFinished = r; });
  let oomTimer: NodeJS.Timeout | undefined;

  const finish = async (o: Observation) => {
    clearInterval(oomTimer);
    let last = o;
    if (sampling) {
      if (cg && o.type === 'exited') await sampling.sampler.final(jobId);
      else sampling.sampler.untrack(jobId);
    }
    if (cg) {
      const oom = await cg.oomKilled().catch(() => false);
      if (oom && o.type === 'exited') last = { ...o, oomKilled: true };
      // An exit's status comes from init once it has killed and reaped every other process of
      // the job's pid namespace: nothing of the job runs, only init itself may still be leaving
      // (see EMPTY_POLL_MS), so the end is reported at once. Any other end first makes sure.
      if (o.type !== 'exited') await settleEmpty(cg, 0);
    }
    // The end is reported once nothing of the job runs; removing the empty dirs follows it
    // (`finished` still waits for that, so a closed executor leaves no dir behind).
    await emit(last);
    if (cg) {
      // The end is durable now and its readers (TailEvents, GetJobLogs, a waiting RunJob) are
      // woken in this same turn: the housekeeping below (pids.current reads, one rmdir per
      // hierarchy, ~1-2 ms on the bench VM) waits for the next turn so that their answers go out
      // first instead of after it.
      await new Promise((r) => setImmediate(r));
      if (o.type === 'exited') await settleEmpty(cg, EMPTY_POLLS);
      await cg.remove().catch(() => undefined);
    }
    resolveFinished();
  };
  const forward: Emit = (o) => (o.type === 'exited' || o.type === 'startFailed' || o.type === 'lost' ? finish(o) : emit(o));

  cgroup.then((made) => {
    cg = made;
    if (detached) return;
    inner = start(made, forward);
    if (made && sampling) sampling.sampler.track(jobId, made, emit, sampling.fresh);
    if (made && memoryLimited && !driver.detectedFacts().oomGroup) {
      // The kernel killed one process; the spec says the job dies as a whole.
      oomTimer = setInterval(() => {
        void made.oomKilled().then((oom) => { if (oom) { clearInterval(oomTimer); void made.kill(); } }, () => undefined);
      }, OOM_POLL_MS);
      oomTimer.unref();
    }
    if (releaseRequested !== undefined) inner.release(releaseRequested);
    if (stopRequested !== undefined) void terminate(stopRequested);
  }, (err: Error) => void finish({ type: 'startFailed', jobId, reason: `create cgroup: ${err.message}`, at: Date.now() }));

  const signal = (sig: StopSignal) => inner?.signal(sig) ?? false;
  const terminate = (graceMs: number): Promise<void> => {
    if (!inner) { stopRequested = graceMs; return finished; }
    const done = inner.terminate(graceMs);
    // After the grace period, the cgroup kill reaches every process, even one that left the
    // job's process tree; the launcher's own kill path runs beside it.
    const t = setTimeout(() => { void cg?.kill().catch(() => undefined); }, graceMs);
    t.unref();
    void done.then(() => clearTimeout(t));
    return finished;
  };
  const detach = () => {
    detached = true;
    clearInterval(oomTimer);
    sampling?.sampler.untrack(jobId);
    inner?.detach();
  };
  const release = (go: boolean) => { if (inner) inner.release(go); else releaseRequested ??= go; };
  return { jobId, signal, terminate, detach, release, finished };
}

/**
 * Waits, up to `polls` reads EMPTY_POLL_MS apart, for the cgroup to count no process; then, if
 * the kernel still counts one (a leftover that escaped init's kill), kills them all.
 */
async function settleEmpty(cg: JobCgroup, polls: number): Promise<void> {
  const empty = cg.empty?.bind(cg);
  if (empty) for (let i = 0; i < polls && !empty(); i++) await new Promise((r) => setTimeout(r, EMPTY_POLL_MS));
  if (!(empty?.() ?? false)) await cg.kill().catch(() => undefined);
}
