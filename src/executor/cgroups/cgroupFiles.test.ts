// The file helpers: errors carry the op, path, errno and a fix; parsers take the kernel's formats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlatKeyed, readNumber, readProcs, writeCgroupFile } from './cgroupFiles.js';
import { parseIoStat } from './v2Stats.js';
import { parseBlkioServiceBytes } from './v1Stats.js';
import { validateLimits } from './validateLimits.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-cgf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a failed write names the op, the path, the errno and what to check', async () => {
  const err = await writeCgroupFile(join(dir, 'gone'), 'pids.max', '5').catch((e: Error) => e);
  assert.instance(err, Error);
  assert.is((err as Error).message, `write ${join(dir, 'gone', 'pids.max')}: ENOENT (the file is missing: is the controller enabled for this cgroup?)`);
});

test('numbers: "max" and absent files read as the fallback', async () => {
  writeFileSync(join(dir, 'memory.max'), 'max\n');
  writeFileSync(join(dir, 'pids.current'), '12\n');
  assert.is(await readNumber(dir, 'memory.max'), 0);
  assert.is(await readNumber(dir, 'pids.current'), 12);
  assert.is(await readNumber(dir, 'absent', -1), -1);
});

test('cgroup.procs: one pid per line, blank lines ignored', async () => {
  writeFileSync(join(dir, 'cgroup.procs'), '12\n345\n\n');
  assert.equal(await readProcs(dir), [12, 345]);
});

test('flat keyed, io.stat and blkio service bytes parse the kernel formats', () => {
  assert.equal([...parseFlatKeyed('usage_usec 10\nuser_usec 7\n\n')], [['usage_usec', 10], ['user_usec', 7]]);
  assert.equal(parseIoStat('8:16 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n8:0 rbytes=10 wbytes=20\n'), { read: 11, write: 22 });
  assert.equal(parseBlkioServiceBytes('8:0 Read 4\n8:0 Write 6\n8:0 Total 10\nTotal 10\n'), { read: 4, write: 6 });
});

test('limits are checked before anything reaches a file', () => {
  const ok = { cpuPercent: 50, cpuCores: '0-1,3', memoryMb: 64, ioBps: 0, pidsMax: 1 };
  validateLimits(ok);
  assert.throws(() => validateLimits({ ...ok, cpuPercent: -1 }), /limits\.cpuPercent -1/);
  assert.throws(() => validateLimits({ ...ok, memoryMb: 1.5 }), /limits\.memoryMb/);
  assert.throws(() => validateLimits({ ...ok, ioDevices: ['sda'] }), /limits\.ioDevices "sda": must be 'MAJ:MIN'/);
  assert.throws(() => validateLimits({ ...ok, cpuCores: '1\n0' }), /limits\.cpuCores/);
});

test.run();
