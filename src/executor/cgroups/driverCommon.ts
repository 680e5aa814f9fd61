// What both drivers do the same way: decide which controllers a job's limits need, refuse limits
// the host cannot enforce, find the disk to throttle, and sweep orphaned job dirs.
import { mkdirSync, readdirSync } from 'node:fs';
import { blockDeviceFor } from './blockDevice.js';
import type { DriverOptions, JobCgroup, JobLimits } from './types.js';

export interface LimitNeed { controller: string; field: keyof JobLimits }

/** Controller names per version for each limit; pids always applies (a default limit exists). */
export function neededControllers(limits: JobLimits, version: 'v1' | 'v2'): LimitNeed[] {
  const need: LimitNeed[] = [{ controller: 'pids', field: 'pidsMax' }];
  if (limits.cpuPercent > 0) need.push({ controller: 'cpu', field: 'cpuPercent' });
  if (limits.cpuCores !== '') need.push({ controller: 'cpuset', field: 'cpuCores' });
  if (limits.memoryMb > 0) need.push({ controller: 'memory', field: 'memoryMb' });
  if (limits.ioBps > 0) need.push({ controller: version === 'v2' ? 'io' : 'blkio', field: 'ioBps' });
  return need;
}

/**
 * Returns the limits that cannot be enforced ('pidsMax (no pids controller)'); throws instead in
 * 'fail' mode, because a job that asked for a limit must not silently run without it.
 */
export function checkEnforceable(need: LimitNeed[], have: Set<string>, mode: DriverOptions['missingControllers'], fix: string): string[] {
  const unenforced = need.filter((n) => !have.has(n.controller)).map((n) => `${n.field} (no ${n.controller} controller)`);
  if (unenforced.length > 0 && mode !== 'ignore') throw new Error(`cannot enforce limits.${unenforced.join(', limits.')}: ${fix}`);
  return unenforced;
}

/** The disk io limits apply to when the caller names none: the one backing the data dir. */
export function dataDevice(opts: DriverOptions): { device?: string; note: string } {
  if (!opts.dataDir) return { note: 'none (no dataDir given: io limits need limits.ioDevices)' };
  const found = blockDeviceFor(opts.dataDir, opts.sysRoot ?? '/sys');
  return found.device ? { device: found.device, note: found.device } : { note: `none (${found.reason})` };
}

export function ioDevicesFor(limits: JobLimits, fallback: { device?: string; note: string }): string[] {
  if (limits.ioBps === 0) return [];
  const devices = limits.ioDevices ?? (fallback.device ? [fallback.device] : []);
  if (devices.length === 0) throw new Error(`cannot enforce limits.ioBps: no block device to throttle, data dir device is ${fallback.note}`);
  return devices;
}

/** Job ids present under any of the job-parent dirs. */
/** `dir`, made if missing (with its parents). */
export function madeDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function listJobIds(parents: string[]): string[] {
  const ids = new Set<string>();
  for (const p of parents) {
    try {
      for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) ids.add(e.name);
    } catch { /* parent missing: nothing there */ }
  }
  return [...ids].sort();
}

export async function sweepOrphans(ids: string[], keep: (id: string) => boolean, open: (id: string) => JobCgroup): Promise<number> {
  let removed = 0;
  for (const id of ids) {
    if (keep(id)) continue;
    const cg = open(id);
    await cg.kill();
    await cg.remove();
    removed++;
  }
  return removed;
}
