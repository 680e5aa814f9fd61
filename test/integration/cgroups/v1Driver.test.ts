// The shared behavioural suite on this machine's real cgroup v1 controllers (as root): real
// processes join, are counted, killed as a tree and removed; 1000 create/remove cycles leak nothing.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import { createV1Driver } from '../../../src/executor/cgroups/v1Driver.js';
import { driverSuite } from '../../../src/executor/cgroups/testing/driverSuite.js';
import { isRoot } from '../../../src/executor/cgroups/testing/cgroupProcess.js';
import { removeCgroupDir } from '../../../src/executor/cgroups/removeCgroup.js';
import type { JobLimits } from '../../../src/executor/cgroups/types.js';

const MOUNT = '/sys/fs/cgroup';
const hasV1 = (() => { try { readFileSync(join(MOUNT, 'memory', 'cgroup.procs')); return true; } catch { return false; } })();

if (!isRoot || !hasV1) {
  console.log(`skip: v1 driver on the real hierarchy (${!isRoot ? 'needs root' : `no v1 memory controller mounted at ${MOUNT}/memory: this host is not v1/hybrid`})`);
  test.skip('v1 driver on the real hierarchy');
  test.run();
} else {
  const driver = createV1Driver({ mountRoot: MOUNT, parent: `joblet-it-${process.pid}`, dataDir: '/tmp' });
  console.log(driver.describe());
  const limits: JobLimits = { cpuPercent: 50, cpuCores: '1', memoryMb: 64, ioBps: 10 * 1048576, pidsMax: 64 };
  const dev = driver.detectedFacts().ioDevice;
  const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8').trim();
  driverSuite({
    name: 'v1 driver on the real hierarchy',
    driver, kernel: true, limits, cycles: 1000,
    expectLimits: (cg, l) => {
      const at = (c: string) => cg.dirs.find((d) => d.startsWith(join(MOUNT, c) + '/'))!;
      assert.is(read(at('cpu'), 'cpu.cfs_quota_us'), String(l.cpuPercent * 1000));
      assert.is(read(at('cpu'), 'cpu.cfs_period_us'), '100000');
      assert.is(read(at('cpuset'), 'cpuset.cpus'), l.cpuCores);
      assert.is(read(at('cpuset'), 'cpuset.mems'), read(join(MOUNT, 'cpuset'), 'cpuset.mems'));
      assert.is(read(at('memory'), 'memory.limit_in_bytes'), String(l.memoryMb * 1048576));
      assert.is(read(at('memory'), 'memory.memsw.limit_in_bytes'), String(l.memoryMb * 1048576));
      assert.is(read(at('memory'), 'memory.swappiness'), '0');
      assert.is(read(at('pids'), 'pids.max'), String(l.pidsMax));
      assert.is(read(at('blkio'), 'blkio.throttle.write_bps_device'), `${dev} ${l.ioBps}`);
      assert.is(read(at('blkio'), 'blkio.throttle.read_bps_device'), `${dev} ${l.ioBps}`);
    },
    teardown: async () => {
      for (const p of new Set(Object.values(driver.detectedFacts().roots))) await removeCgroupDir(p);
      const sup = driver.supervisorsCgroup();
      if (sup) await removeCgroupDir(sup);
    },
  });
}
