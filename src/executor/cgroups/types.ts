// The cgroup driver contract. The daemon picks one driver at start (detectCgroupDriver) and asks it
// for one JobCgroup per job; the launcher puts the job's first process into every dir of `dirs`
// before any user code runs, so everything the job forks is accounted, limited and killable.

export interface JobLimits {
  /** percent of one core: 0 = no limit, 100 = one full core, 150 = one and a half */
  cpuPercent: number;
  /** cpuset list ('1', '0-1', '0,2-3') or '' for no pinning */
  cpuCores: string;
  /** hard memory limit in MiB, swap excluded (no swap is allowed); 0 = none */
  memoryMb: number;
  /** bytes per second, read and write each, on every device of ioDevices; 0 = none */
  ioBps: number;
  /** always > 0: the daemon applies a default when the user sets none (spec/isolation.md row 16) */
  pidsMax: number;
  /** 'MAJ:MIN' of the whole disks backing the job's files; absent = the driver's data-dir device */
  ioDevices?: string[];
}

export interface CgroupStats {
  cpuUsageNs: number;
  memoryBytes: number;
  /** the high-water mark; 0 where the kernel keeps none (v2 before 5.19) */
  memoryPeakBytes: number;
  /** 0 = unlimited */
  memoryLimitBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  pids: number;
}

export interface JobCgroup {
  readonly jobId: string;
  /** every dir the job's processes must join (v1: one per hierarchy; v2: one) */
  readonly dirs: string[];
  /** limits that could not be applied because the host lacks the controller (only with missingControllers: 'ignore') */
  readonly unenforced: string[];
  /** SIGKILLs every process of the job; resolves once cgroup.procs is empty everywhere */
  kill(): Promise<void>;
  /**
   * true only when the kernel's hierarchical count says no process is left (v1 pids.current,
   * v2 cgroup.events "populated 0"); false while one is, or when it cannot tell (then kill()).
   * One synchronous read: the exit path uses it to skip kill() of an already empty job. A
   * JobCgroup without it (a stand-in in tests) is always killed.
   */
  empty?(): boolean;
  stats(): Promise<CgroupStats>;
  /** true once the kernel OOM-killed a process of the job (source: driver.detectedFacts().oomSource) */
  oomKilled(): Promise<boolean>;
  /** rmdir every dir (kill first); idempotent; retries EBUSY briefly */
  remove(): Promise<void>;
}

export type KillMethod = 'cgroup.kill' | 'cgroup.freeze' | 'freezer' | 'signal-loop';

export interface CgroupFacts {
  version: 'v1' | 'v2';
  /** where job dirs are created, per controller on v1 */
  roots: Record<string, string>;
  /** controllers this driver can use for limits and accounting */
  controllers: string[];
  /** controllers the driver wants but the host does not offer */
  missing: string[];
  kill: KillMethod;
  oomSource: string;
  /** v2: memory.swap.max present; v1: memory.memsw.limit_in_bytes present */
  swapLimit: boolean;
  /** v2 only: whole-job OOM kill via memory.oom.group */
  oomGroup: boolean;
  /** 'MAJ:MIN' of the disk backing the data dir, or why there is none */
  ioDevice: string;
  /** the host also mounts the other cgroup version (v1 controllers beside a v2 mount) */
  hybrid: boolean;
}

export interface CgroupDriver {
  readonly version: 'v1' | 'v2';
  /** the job-parent dir: /sys/fs/cgroup/joblet (v2) or /sys/fs/cgroup/<memory>/joblet (v1) */
  readonly root: string;
  /** one line for logs and GetSystemStatus */
  describe(): string;
  detectedFacts(): CgroupFacts;
  create(jobId: string, limits: JobLimits): Promise<JobCgroup>;
  /** the cgroup an earlier daemon created for this job (re-attach after a restart); undefined if it is gone */
  adopt(jobId: string): JobCgroup | undefined;
  /** kills and removes every job dir whose id keep() rejects; returns how many jobs it removed */
  cleanupOrphans(keep: (jobId: string) => boolean): Promise<number>;
  /**
   * The cgroup for the spawner's CPU, made if missing: `<parent>-supervisors` beside the
   * job-parent, in the cpu hierarchy (v1) or the unified one (v2). The supervisors it forks (and
   * on v1 the jobs without a cpu dir of their own, which stay in their supervisor's) then weigh
   * as one group beside the daemon, so a thousand busy supervisors cannot crowd the daemon out
   * of the CPU as a thousand single tasks of its own level would. Undefined without a cpu
   * controller.
   */
  supervisorsCgroup(): string | undefined;
}

export interface DriverOptions {
  /** default /sys/fs/cgroup; tests pass a fixture dir */
  mountRoot?: string;
  /** the job-parent path below each hierarchy, default 'joblet' */
  parent?: string;
  /** the daemon's data dir: its disk is the default io limit device */
  dataDir?: string;
  /** default /sys, for block-device resolution against fixtures */
  sysRoot?: string;
  /** 'fail' (default): create() refuses a limit the host cannot enforce; 'ignore': list it in unenforced */
  missingControllers?: 'fail' | 'ignore';
  /** ms that kill() waits for cgroup.procs to empty before it gives up (default 10000) */
  killTimeoutMs?: number;
}
