// cgroup v1 limit writers (Documentation/admin-guide/cgroup-v1/). Each takes the dir of the job in
// that controller's hierarchy.
import { readCgroupFile, writeCgroupFile } from './cgroupFiles.js';
import { CPU_PERIOD_US, cpuQuotaUs, MIB } from './validateLimits.js';

/** CFS bandwidth (scheduler/sched-bwc.rst): quota us of CPU time per period us; period first. */
export async function writeCfsQuota(cpuDir: string, cpuPercent: number): Promise<void> {
  await writeCgroupFile(cpuDir, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
  await writeCgroupFile(cpuDir, 'cpu.cfs_quota_us', String(cpuQuotaUs(cpuPercent)));
}

/**
 * A v1 cpuset starts with empty cpus and mems, and attaching a task to it then fails with ENOSPC
 * (cpuset(7) ERRORS; cgroup-v1/cpusets.rst 2.1), so mems is copied from the parent before any
 * task can join. cpus is the job's list, or the parent's when the job is not pinned.
 */
export async function writeCpusetV1(cpusetDir: string, parentDir: string, cores: string): Promise<void> {
  const parentCpus = (await readCgroupFile(parentDir, 'cpuset.cpus'))?.trim() ?? '';
  const parentMems = (await readCgroupFile(parentDir, 'cpuset.mems'))?.trim() ?? '';
  await writeCgroupFile(cpusetDir, 'cpuset.cpus', cores || parentCpus);
  await writeCgroupFile(cpusetDir, 'cpuset.mems', parentMems);
}

/**
 * memory.limit_in_bytes is the hard limit; memory.memsw.limit_in_bytes (memory+swap, present with
 * swap accounting) set to the same value forbids swap. memsw must stay >= limit, so it is written
 * after (cgroup-v1/memory.rst 2.4, 4.1). swappiness=0 keeps the group from swapping even where
 * memsw is absent (memory.rst 5.3).
 */
export async function writeMemoryV1(memDir: string, memoryMb: number, opts: { memsw: boolean }): Promise<void> {
  const bytes = String(memoryMb * MIB);
  await writeCgroupFile(memDir, 'memory.limit_in_bytes', bytes);
  if (opts.memsw) await writeCgroupFile(memDir, 'memory.memsw.limit_in_bytes', bytes);
  await writeCgroupFile(memDir, 'memory.swappiness', '0');
}

/**
 * blkio throttling "MAJ:MIN bytes_per_second", one device per write (cgroup-v1/blkio-controller.rst
 * "Throttling/Upper limit policy"). v1 throttles direct IO only: buffered writes reach the disk
 * from the flusher threads, outside the job's cgroup.
 */
export async function writeBlkioThrottle(blkioDir: string, devices: string[], bps: number): Promise<void> {
  for (const dev of devices) {
    await writeCgroupFile(blkioDir, 'blkio.throttle.read_bps_device', `${dev} ${bps}`);
    await writeCgroupFile(blkioDir, 'blkio.throttle.write_bps_device', `${dev} ${bps}`);
  }
}

export { writePidsMax } from './v2Limits.js';
