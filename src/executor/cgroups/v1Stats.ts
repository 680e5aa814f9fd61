// Reading a v1 job's counters, one hierarchy per controller (cgroup-v1/*.rst). Absent files read 0.
import { parseFlatKeyed, readCgroupFile, readNumber } from './cgroupFiles.js';
import type { CgroupStats } from './types.js';

/** v1 reports "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE (9223372036854771712 on x86-64). */
const UNLIMITED = 2 ** 60;

/** blkio.throttle.io_service_bytes(_recursive): "MAJ:MIN Read N" / "MAJ:MIN Write N" lines, then "Total N". */
export function parseBlkioServiceBytes(text: string | undefined): { read: number; write: number } {
  let read = 0, write = 0;
  for (const line of (text ?? '').split('\n')) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (!dev?.includes(':')) continue;
    if (op === 'Read') read += Number(value) || 0;
    if (op === 'Write') write += Number(value) || 0;
  }
  return { read, write };
}

export interface V1Dirs { cpuacct?: string; memory?: string; blkio?: string; pids?: string }

export async function readStatsV1(d: V1Dirs): Promise<CgroupStats> {
  const limit = d.memory ? await readNumber(d.memory, 'memory.limit_in_bytes') : 0;
  const io = parseBlkioServiceBytes(d.blkio ? await readCgroupFile(d.blkio, 'blkio.throttle.io_service_bytes_recursive') : undefined);
  return {
    cpuUsageNs: d.cpuacct ? await readNumber(d.cpuacct, 'cpuacct.usage') : 0,
    memoryBytes: d.memory ? await readNumber(d.memory, 'memory.usage_in_bytes') : 0,
    memoryPeakBytes: d.memory ? await readNumber(d.memory, 'memory.max_usage_in_bytes') : 0,
    memoryLimitBytes: limit >= UNLIMITED ? 0 : limit,
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
    pids: d.pids ? await readNumber(d.pids, 'pids.current') : 0,
  };
}

/**
 * memory.oom_control has "oom_kill N" since Linux 4.13 (cgroup-v1/memory.rst 10 "OOM Control");
 * older kernels only say "under_oom 1" while a task waits for the OOM killer, so a kill that
 * already happened is invisible there. The driver reports which source it uses.
 */
export async function oomKilledV1(memDir: string): Promise<boolean> {
  const ctl = parseFlatKeyed(await readCgroupFile(memDir, 'memory.oom_control'));
  if (ctl.has('oom_kill')) return (ctl.get('oom_kill') ?? 0) > 0;
  return (ctl.get('under_oom') ?? 0) > 0;
}

export function oomSourceV1(oomControlText: string | undefined): string {
  return /^oom_kill /m.test(oomControlText ?? '') ? 'memory.oom_control oom_kill' : 'memory.oom_control under_oom (kernel < 4.13: only an OOM in progress is seen)';
}
