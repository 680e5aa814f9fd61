// Resolving the disk to throttle: dev_t decoding, partition -> whole disk through a sysfs fixture,
// and the real root filesystem of this host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockDeviceFor, decodeDev, wholeDisk } from './blockDevice.js';

test('decodeDev follows the kernel dev_t encoding (small and large minors)', () => {
  assert.equal(decodeDev(0xfe00n), { major: 254, minor: 0 });
  assert.equal(decodeDev(0x801n), { major: 8, minor: 1 });
  // major 259 (blkext, NVMe partitions), minor 300: minor's high bits live above bit 20
  const dev = (259n << 8n) | (300n & 0xffn) | ((300n & ~0xffn) << 12n);
  assert.equal(decodeDev(dev), { major: 259, minor: 300 });
});

test('a partition resolves to its whole disk via /sys/dev/block/M:m/partition and the parent dev', () => {
  const sys = mkdtempSync(join(tmpdir(), 'joblet-sys-'));
  try {
    const disk = join(sys, 'devices', 'pci0', 'block', 'sda');
    mkdirSync(join(disk, 'sda2'), { recursive: true });
    writeFileSync(join(disk, 'dev'), '8:0\n');
    writeFileSync(join(disk, 'sda2', 'dev'), '8:2\n');
    writeFileSync(join(disk, 'sda2', 'partition'), '2\n');
    mkdirSync(join(sys, 'dev', 'block'), { recursive: true });
    symlinkSync('../../devices/pci0/block/sda/sda2', join(sys, 'dev', 'block', '8:2'));
    symlinkSync('../../devices/pci0/block/sda', join(sys, 'dev', 'block', '8:0'));
    assert.is(wholeDisk('8:2', sys), '8:0');
    assert.is(wholeDisk('8:0', sys), '8:0', 'a disk is its own whole disk');
  } finally { rmSync(sys, { recursive: true, force: true }); }
});

test('this host: the data dir is on a real disk listed in /sys/dev/block; tmpfs has none', () => {
  const found = blockDeviceFor(tmpdir());
  const { major } = decodeDev(statSync(tmpdir(), { bigint: true }).dev);
  if (major === 0) assert.ok(found.reason || found.device, 'anonymous st_dev: resolved through mountinfo or explained');
  else assert.match(found.device ?? '', /^\d+:\d+$/);
  console.log(`note: ${tmpdir()} is backed by ${found.device ?? found.reason}`);
  const shm = blockDeviceFor('/dev/shm');
  assert.is(shm.device, undefined);
  assert.match(shm.reason ?? '', /without a block device/);
});

test.run();
