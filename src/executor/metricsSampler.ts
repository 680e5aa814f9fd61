// Samples every running job's cgroup on one shared timer (not one per job: launching a job only
// adds a map entry) and once more when the job exits, before its cgroup is removed. Samples go
// out as 'sampled' observations; the daemon records them (DESIGN invariant 4).
import { performance } from 'node:perf_hooks';
import type { MetricsSample } from '../events/jobMetrics.js';
import type { JobCgroup } from './cgroups/types.js';
import { NetReader, type NetCounters } from './netCounters.js';
import type { Observation } from './types.js';

type Emit = (o: Observation) => Promise<void>;

/**
 * A CPU % over a few ms says little (a CFS-limited job may run flat out for a whole slice), so a
 * sample this close to the one before it, typically the exit sample right after a periodic one,
 * is measured from the reading before that.
 */
const MIN_CPU_WINDOW_MS = 100;

/**
 * Jobs sampled per event-loop turn. cgroupfs reads are synchronous (cgroupFiles.ts; ~0.07 ms a
 * job on v1), so a round over a thousand jobs yields between slices instead of holding RPCs up
 * for tens of ms.
 */
const JOBS_PER_TURN = 32;

/** CPU time used between two readings as percent of one core over the wall time between them. */
export function cpuPercent(prev: { cpuNs: number; atMs: number }, next: { cpuNs: number; atMs: number }): number {
  const wallMs = next.atMs - prev.atMs;
  if (!(wallMs > 0)) return 0;
  const usedNs = Math.max(0, next.cpuNs - prev.cpuNs);  // a counter reset (re-created cgroup) is not negative use
  return Math.round((usedNs / (wallMs * 1e6)) * 100 * 100) / 100;
}

interface Tracked {
  jobId: string;
  cgroup: JobCgroup;
  emit: Emit;
  net: NetReader;
  /** the reading the next sample's CPU % is measured from; undefined until the first one (adopted jobs) */
  last?: { cpuNs: number; atMs: number };
  /** the reading before `last` */
  before?: { cpuNs: number; atMs: number };
  lastNet?: NetCounters;
  inflight?: Promise<void>;
  stopped: boolean;
}

export class MetricsSampler {
  private readonly jobs = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  /** intervalMs 0: no periodic samples, only the one at exit. */
  constructor(private readonly intervalMs: number, private readonly procRoot = '/proc') {}

  /**
   * Samples the job from now on. fresh: its cgroup was just created, so its CPU counter starts
   * at 0 now; otherwise (a re-attached job) a first reading is taken as the base, not sent.
   */
  track(jobId: string, cgroup: JobCgroup, emit: Emit, fresh: boolean): void {
    const job: Tracked = { jobId, cgroup, emit, net: new NetReader(cgroup.dirs[0], this.procRoot), stopped: false };
    if (fresh) job.last = { cpuNs: 0, atMs: performance.now() };
    else job.inflight = this.read(job).then((r) => { job.last = r.cpu; }, () => undefined).finally(() => { job.inflight = undefined; });
    this.jobs.set(jobId, job);
    if (this.timer === undefined && this.intervalMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * The exit sample: waits for a sample in flight, reads the cgroup once more and stops sampling.
   * The observation is emitted but not awaited, so the exit does not wait for its fsync; it still
   * lands before the exit (observations are handed on in emit order, the log appends in that order).
   */
  async final(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.untrack(jobId);
    await job.inflight;
    try {
      const o = await this.sample(job, true);
      if (o) void job.emit(o);
    } catch {
      // the cgroup is already unreadable: the job ends without an exit sample
    }
  }

  /** Stops sampling the job without a last sample (it failed to start, was lost, or is left running). */
  untrack(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (job) job.stopped = true;
    this.jobs.delete(jobId);
    if (this.jobs.size === 0 && this.timer !== undefined) { clearInterval(this.timer); this.timer = undefined; }
  }

  close(): void {
    for (const id of [...this.jobs.keys()]) this.untrack(id);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;  // the previous round is still going through its slices
    this.ticking = true;
    try {
      let started = 0;
      for (const job of [...this.jobs.values()]) {
        // a job whose previous sample is still being read or recorded skips this round
        if (job.inflight || job.stopped) continue;
        job.inflight = this.sample(job)
          .then((o) => (o && !job.stopped ? job.emit(o) : undefined))
          .catch(() => undefined)  // a cgroup read racing the job's end; the exit sample follows
          .finally(() => { job.inflight = undefined; });
        if (++started % JOBS_PER_TURN === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.ticking = false;
    }
  }

  private async read(job: Tracked): Promise<{ cpu: { cpuNs: number; atMs: number }; stats: Awaited<ReturnType<JobCgroup['stats']>>; net?: NetCounters }> {
    const [stats, net] = await Promise.all([job.cgroup.stats(), job.net.read().catch(() => undefined)]);
    return { cpu: { cpuNs: stats.cpuUsageNs, atMs: performance.now() }, stats, ...(net ? { net } : {}) };
  }

  /** ended: the exit sample, taken once init has killed and reaped every process of the job */
  private async sample(job: Tracked, ended = false): Promise<Observation | undefined> {
    const { cpu, stats, net } = await this.read(job);
    const prev = job.last && cpu.atMs - job.last.atMs < MIN_CPU_WINDOW_MS && job.before ? job.before : job.last;
    job.before = job.last;
    job.last = cpu;
    if (net) job.lastNet = net;
    // a job whose processes are gone has no namespace left to read: its last counters stand
    const counters = net ?? job.lastNet;
    const sample: MetricsSample = {
      cpuPercent: prev ? cpuPercent(prev, cpu) : 0,
      memoryBytes: stats.memoryBytes,
      memoryLimitBytes: stats.memoryLimitBytes,
      memoryPeakBytes: Math.max(stats.memoryPeakBytes, stats.memoryBytes),
      ioReadBytes: stats.ioReadBytes,
      ioWriteBytes: stats.ioWriteBytes,
      // at the exit no process of the job is left; init itself may still be counted while its
      // own exit tears the namespaces down (it reports the end first), and it is not the job's
      pids: ended ? 0 : stats.pids,
      ...(counters ? { netRecvBytes: counters.recvBytes, netSentBytes: counters.sentBytes } : {}),
    };
    return { type: 'sampled', jobId: job.jobId, at: Date.now(), sample };
  }
}
