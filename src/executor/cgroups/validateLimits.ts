// The last check before a value becomes a path or a write into a kernel file. The API edge already
// validates user input (DESIGN invariant 7); this guards the driver's own contract so a bad caller
// gets a message naming the field instead of an EINVAL from some cgroup file.
import type { JobLimits } from './types.js';

// A job id becomes a directory name under the cgroup root: no '/', no '.' or '..', no leading dot.
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
// cpuset list format, cpuset(7) "List format": comma-separated numbers and ranges.
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const DEVICE = /^\d+:\d+$/;

export function validateJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new Error(`jobId ${JSON.stringify(jobId)}: must match ${JOB_ID} (it names a cgroup dir)`);
}

const wholeNumber = (n: number) => Number.isSafeInteger(n) && n >= 0;

export function validateLimits(limits: JobLimits): void {
  if (!wholeNumber(limits.cpuPercent)) throw new Error(`limits.cpuPercent ${limits.cpuPercent}: must be a whole number >= 0 (100 = one core)`);
  if (limits.cpuCores !== '' && !CPU_LIST.test(limits.cpuCores)) throw new Error(`limits.cpuCores ${JSON.stringify(limits.cpuCores)}: must be a cpu list like '1' or '0-1,3'`);
  if (!wholeNumber(limits.memoryMb)) throw new Error(`limits.memoryMb ${limits.memoryMb}: must be a whole number >= 0`);
  if (!wholeNumber(limits.ioBps)) throw new Error(`limits.ioBps ${limits.ioBps}: must be a whole number >= 0`);
  if (!wholeNumber(limits.pidsMax) || limits.pidsMax === 0) throw new Error(`limits.pidsMax ${limits.pidsMax}: must be a whole number > 0 (apply the default pids limit)`);
  for (const d of limits.ioDevices ?? []) {
    if (!DEVICE.test(d)) throw new Error(`limits.ioDevices ${JSON.stringify(d)}: must be 'MAJ:MIN'`);
  }
}

/** Kernel minimum quota is 1 ms per period (cgroup-v2.rst cpu.max; sched-bwc.rst for v1). */
export const CPU_PERIOD_US = 100_000;
export function cpuQuotaUs(cpuPercent: number): number {
  return Math.max(1000, Math.round((cpuPercent * CPU_PERIOD_US) / 100));
}

export const MIB = 1024 * 1024;
