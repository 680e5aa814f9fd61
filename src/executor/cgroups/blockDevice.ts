// Which disk to throttle for a path. blk-throttle limits are set per request queue, i.e. per
// whole disk ("MAJ:MIN" of the disk, not the partition: cgroup-v2.rst io.max and
// cgroup-v1/blkio-controller.rst both key limits by the device that owns the queue), so a path on
// /dev/sda2 must be limited on 8:0. Never a hard-coded 8:0: this VM's root is virtio 254:0.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Linux dev_t encoding (include/linux/kdev_t.h new_encode_dev), as stat(2) returns it. */
export function decodeDev(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * The device of the filesystem holding `path`. st_dev is anonymous (major 0) on btrfs, overlay and
 * tmpfs; for btrfs the mount source in /proc/self/mountinfo still names a block device, so look
 * there; tmpfs and overlay have none.
 */
function filesystemDevice(path: string, mountinfo: string): string | undefined {
  const { major, minor } = decodeDev(statSync(path, { bigint: true }).dev);
  if (major !== 0) return `${major}:${minor}`;
  const real = realpathSync(path);
  let best: { point: string; source: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    const point = left?.split(' ')[4];
    const source = right?.split(' ')[1];
    if (!point || !source) continue;
    const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, source };
  }
  if (!best?.source.startsWith('/dev/') || !existsSync(best.source)) return undefined;
  const rdev = decodeDev(statSync(best.source, { bigint: true }).rdev);
  return `${rdev.major}:${rdev.minor}`;
}

/** A partition's disk: /sys/dev/block/M:m links into .../sda/sda1, whose parent dir holds the disk's `dev`. */
export function wholeDisk(dev: string, sysRoot = '/sys'): string {
  const link = join(sysRoot, 'dev', 'block', dev);
  if (!existsSync(join(link, 'partition'))) return dev;
  const parentDev = join(dirname(realpathSync(link)), 'dev');
  return existsSync(parentDev) ? readFileSync(parentDev, 'utf8').trim() : dev;
}

export type DeviceLookup = { device: string; reason?: undefined } | { device?: undefined; reason: string };

/** The whole disk backing `path`, or why there is none (then io limits cannot apply to it). */
export function blockDeviceFor(path: string, sysRoot = '/sys', mountinfoPath = '/proc/self/mountinfo'): DeviceLookup {
  let mountinfo = '';
  try { mountinfo = readFileSync(mountinfoPath, 'utf8'); } catch { /* not Linux: st_dev alone decides */ }
  const dev = filesystemDevice(path, mountinfo);
  if (!dev) return { reason: `${path} is on a filesystem without a block device (tmpfs, overlay)` };
  if (!existsSync(join(sysRoot, 'dev', 'block', dev))) return { reason: `${path} is on ${dev}, which is not in ${sysRoot}/dev/block` };
  return { device: wholeDisk(dev, sysRoot) };
}
