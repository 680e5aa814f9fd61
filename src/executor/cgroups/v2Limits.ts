// cgroup v2 limit writers (Documentation/admin-guide/cgroup-v2.rst). Each takes the job's dir.
import { writeCgroupFile } from './cgroupFiles.js';
import { CPU_PERIOD_US, cpuQuotaUs, MIB } from './validateLimits.js';

/** cpu.max "$MAX $PERIOD": the group may run MAX us per PERIOD us, across all its CPUs. */
export async function writeCpuMax(dir: string, cpuPercent: number): Promise<void> {
  await writeCgroupFile(dir, 'cpu.max', `${cpuQuotaUs(cpuPercent)} ${CPU_PERIOD_US}`);
}

/**
 * cpuset.cpus only: on v2 an empty cpuset.mems means "same as the nearest ancestor with a
 * non-empty one" (cgroup-v2.rst cpuset.mems), unlike v1 where an empty mems refuses every task.
 */
export async function writeCpusetCpus(dir: string, cores: string): Promise<void> {
  await writeCgroupFile(dir, 'cpuset.cpus', cores);
}

/**
 * memory.max is the hard limit: past it, reclaim, then the OOM killer runs inside the group.
 * memory.swap.max=0 so the limit is real memory (absent when the kernel has no swap accounting).
 * memory.oom.group=1: "the cgroup and its descendants are killed as a whole" when the OOM killer
 * picks one of its tasks (cgroup-v2.rst memory.oom.group, Linux >= 4.19), so a job dies whole.
 */
export async function writeMemoryV2(dir: string, memoryMb: number, opts: { swap: boolean; oomGroup: boolean }): Promise<void> {
  await writeCgroupFile(dir, 'memory.max', String(memoryMb * MIB));
  if (opts.swap) await writeCgroupFile(dir, 'memory.swap.max', '0');
  if (opts.oomGroup) await writeCgroupFile(dir, 'memory.oom.group', '1');
}

/** pids.max: fork/clone past it fails with EAGAIN (cgroup-v2.rst PID; v1 pids.rst, same file). */
export async function writePidsMax(dir: string, pidsMax: number): Promise<void> {
  await writeCgroupFile(dir, 'pids.max', String(pidsMax));
}

/** io.max "MAJ:MIN rbps=N wbps=N", one device per write (cgroup-v2.rst io.max). */
export async function writeIoMax(dir: string, devices: string[], bps: number): Promise<void> {
  for (const dev of devices) await writeCgroupFile(dir, 'io.max', `${dev} rbps=${bps} wbps=${bps}`);
}
