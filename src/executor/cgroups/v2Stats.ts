// Reading a v2 job cgroup's counters (cgroup-v2.rst). Absent files (controller not enabled) read 0.
import { parseFlatKeyed, readCgroupFile, readNumber } from './cgroupFiles.js';
import type { CgroupStats } from './types.js';

/** io.stat: one line per device, "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
export function parseIoStat(text: string | undefined): { read: number; write: number } {
  let read = 0, write = 0;
  for (const line of (text ?? '').split('\n')) {
    for (const field of line.trim().split(/\s+/).slice(1)) {
      const [key, value] = field.split('=');
      if (key === 'rbytes') read += Number(value) || 0;
      if (key === 'wbytes') write += Number(value) || 0;
    }
  }
  return { read, write };
}

export async function readStatsV2(dir: string): Promise<CgroupStats> {
  // cpu.stat usage_usec is kept by the core even without the cpu controller enabled.
  const cpu = parseFlatKeyed(await readCgroupFile(dir, 'cpu.stat'));
  const io = parseIoStat(await readCgroupFile(dir, 'io.stat'));
  return {
    cpuUsageNs: (cpu.get('usage_usec') ?? 0) * 1000,
    memoryBytes: await readNumber(dir, 'memory.current'),
    memoryPeakBytes: await readNumber(dir, 'memory.peak'), // Linux >= 5.19
    memoryLimitBytes: await readNumber(dir, 'memory.max'),  // 'max' = unlimited = 0
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
    pids: await readNumber(dir, 'pids.current'),
  };
}

/**
 * memory.events oom_kill: "the number of processes belonging to this cgroup killed by any kind of
 * OOM killer" (cgroup-v2.rst memory.events); hierarchical, so kills in descendants count too.
 */
export async function oomKilledV2(dir: string): Promise<boolean> {
  const events = parseFlatKeyed(await readCgroupFile(dir, 'memory.events'));
  return (events.get('oom_kill') ?? 0) > 0 || (events.get('oom_group_kill') ?? 0) > 0;
}
