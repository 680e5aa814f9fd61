// The v2 driver against fixture hierarchies: the shared behavioural suite, then exactly what each
// limit writes where (cgroup-v2.rst file formats).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createV2Driver } from './v2Driver.js';
import { makeV2Fixture } from './testing/fixtureHierarchy.js';
import { driverSuite, rejects } from './testing/driverSuite.js';
import type { JobLimits } from './types.js';

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const limits: JobLimits = { cpuPercent: 50, cpuCores: '1', memoryMb: 64, ioBps: 1_048_576, pidsMax: 100, ioDevices: ['254:0'] };

const shared = makeV2Fixture();
driverSuite({
  name: 'v2 driver on a fixture',
  driver: createV2Driver({ mountRoot: shared.mountRoot }),
  kernel: false,
  limits,
  cycles: 1000,
  expectLimits: (cg) => assert.is(read(cg.dirs[0], 'cpu.max'), '50000 100000'),
  seedCounters: (cg) => {
    const d = cg.dirs[0];
    writeFileSync(join(d, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
    writeFileSync(join(d, 'memory.current'), '4096\n');
    writeFileSync(join(d, 'memory.peak'), '8192\n');
    writeFileSync(join(d, 'io.stat'), '254:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n8:0 rbytes=5 wbytes=7 rios=1 wios=1 dbytes=0 dios=0\n');
    writeFileSync(join(d, 'pids.current'), '3\n');
    return { cpuUsageNs: 1_500_000, memoryBytes: 4096, memoryPeakBytes: 8192, memoryLimitBytes: 64 * 1048576, ioReadBytes: 15, ioWriteBytes: 27, pids: 3 };
  },
  expectKillTrace: (cg) => assert.is(read(cg.dirs[0], 'cgroup.kill'), '1'),
  teardown: shared.cleanup,
});

const t = suite('v2 limit files');

t('each limit is written to its file in the kernel format', async () => {
  const fx = makeV2Fixture();
  try {
    const driver = createV2Driver({ mountRoot: fx.mountRoot });
    const cg = await driver.create('job1', limits);
    const d = cg.dirs[0];
    assert.is(d, join(fx.mountRoot, 'joblet', 'job1'));
    assert.is(read(d, 'cpu.max'), '50000 100000');
    assert.is(read(d, 'cpuset.cpus'), '1');
    assert.not.ok(existsSync(join(d, 'cpuset.mems')), 'v2 mems stays empty: inherited from the parent');
    assert.is(read(d, 'memory.max'), String(64 * 1048576));
    assert.is(read(d, 'memory.swap.max'), '0');
    assert.is(read(d, 'memory.oom.group'), '1');
    assert.is(read(d, 'pids.max'), '100');
    assert.is(read(d, 'io.max'), '254:0 rbps=1048576 wbps=1048576');
    assert.is(read(fx.mountRoot, 'cgroup.subtree_control'), '+cpu +cpuset +memory +io +pids');
    assert.is(read(join(fx.mountRoot, 'joblet'), 'cgroup.subtree_control'), '+cpu +cpuset +memory +io +pids');
    assert.equal(cg.unenforced, []);
  } finally { fx.cleanup(); }
});

t('unset limits write nothing; cpuPercent below 1 ms per period is raised to the kernel minimum', async () => {
  const fx = makeV2Fixture();
  try {
    const cg = await createV2Driver({ mountRoot: fx.mountRoot }).create('job2', { cpuPercent: 0, cpuCores: '', memoryMb: 0, ioBps: 0, pidsMax: 7 });
    const d = cg.dirs[0];
    for (const f of ['cpu.max', 'cpuset.cpus', 'memory.max', 'memory.swap.max', 'memory.oom.group', 'io.max']) assert.not.ok(existsSync(join(d, f)), `${f} untouched`);
    assert.is(read(d, 'pids.max'), '7');
    const low = await createV2Driver({ mountRoot: fx.mountRoot }).create('job3', { ...limits, cpuPercent: 0.5 as number }).catch((e: Error) => e);
    assert.instance(low, Error, 'fractional percent refused');
    const one = await createV2Driver({ mountRoot: fx.mountRoot }).create('job4', { ...limits, cpuPercent: 1 });
    assert.is(read(one.dirs[0], 'cpu.max'), '1000 100000');
  } finally { fx.cleanup(); }
});

t('a missing controller fails the job by default, or is listed as unenforced in ignore mode', async () => {
  const fx = makeV2Fixture({ controllers: ['cpu'] });
  try {
    const strict = createV2Driver({ mountRoot: fx.mountRoot });
    assert.equal(strict.detectedFacts().missing, ['cpuset', 'io', 'memory', 'pids']);
    await rejects(() => strict.create('job1', limits), /cannot enforce limits\.pidsMax \(no pids controller\), limits\.cpuCores/);
    assert.not.ok(existsSync(join(fx.mountRoot, 'joblet', 'job1')), 'refused before mkdir');
    const lax = createV2Driver({ mountRoot: fx.mountRoot, missingControllers: 'ignore' });
    const cg = await lax.create('job1', limits);
    assert.equal(cg.unenforced, ['pidsMax (no pids controller)', 'cpuCores (no cpuset controller)', 'memoryMb (no memory controller)', 'ioBps (no io controller)']);
    assert.is(read(cg.dirs[0], 'cpu.max'), '50000 100000');
    assert.not.ok(existsSync(join(cg.dirs[0], 'pids.max')));
  } finally { fx.cleanup(); }
});

t('facts follow the host: no cgroup.kill means freeze-then-kill; no swap accounting means no memory.swap.max', async () => {
  const fx = makeV2Fixture({ cgroupKill: false, swap: false });
  try {
    const driver = createV2Driver({ mountRoot: fx.mountRoot });
    const facts = driver.detectedFacts();
    assert.is(facts.kill, 'cgroup.freeze');
    assert.is(facts.swapLimit, false);
    assert.is(facts.oomGroup, true);
    assert.is(facts.oomSource, 'memory.events oom_kill');
    const cg = await driver.create('job1', limits);
    assert.not.ok(existsSync(join(cg.dirs[0], 'memory.swap.max')));
    writeFileSync(join(cg.dirs[0], 'cgroup.events'), 'populated 0\nfrozen 1\n');
    await cg.kill();
    assert.is(read(cg.dirs[0], 'cgroup.freeze'), '0', 'thawed after the kill');
  } finally { fx.cleanup(); }
});

t('oomKilled reads memory.events oom_kill', async () => {
  const fx = makeV2Fixture();
  try {
    const cg = await createV2Driver({ mountRoot: fx.mountRoot }).create('job1', limits);
    writeFileSync(join(cg.dirs[0], 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n');
    assert.is(await cg.oomKilled(), false);
    writeFileSync(join(cg.dirs[0], 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\noom_group_kill 1\n');
    assert.is(await cg.oomKilled(), true);
  } finally { fx.cleanup(); }
});

t('ioBps without devices uses the data dir disk, and refuses when there is none', async () => {
  const fx = makeV2Fixture();
  try {
    const noData = createV2Driver({ mountRoot: fx.mountRoot });
    await rejects(() => noData.create('job1', { ...limits, ioDevices: undefined }), /cannot enforce limits\.ioBps: no block device/);
    const withData = createV2Driver({ mountRoot: fx.mountRoot, dataDir: fx.mountRoot });
    const dev = withData.detectedFacts().ioDevice;
    if (/^\d+:\d+$/.test(dev)) {
      const cg = await withData.create('job2', { ...limits, ioDevices: undefined });
      assert.is(read(cg.dirs[0], 'io.max'), `${dev} rbps=1048576 wbps=1048576`);
    } else {
      console.log(`note: temp dir has no block device here (${dev}); checked the refusal only`);
      await rejects(() => withData.create('job2', { ...limits, ioDevices: undefined }), /no block device/);
    }
  } finally { fx.cleanup(); }
});

t('an existing job dir is an error naming the fix', async () => {
  const fx = makeV2Fixture();
  try {
    const driver = createV2Driver({ mountRoot: fx.mountRoot });
    await driver.create('job1', limits);
    await rejects(() => driver.create('job1', limits), /mkdir .*job1: EEXIST \(a cgroup for job job1 already exists: run cleanupOrphans at start\)/);
  } finally { fx.cleanup(); }
});

t.run();
