// The v1 driver against fixture hierarchies: the shared behavioural suite, then exactly what each
// limit writes in which controller's dir (cgroup-v1/*.rst file formats).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createV1Driver } from './v1Driver.js';
import { makeV1Fixture } from './testing/fixtureHierarchy.js';
import { driverSuite, rejects } from './testing/driverSuite.js';
import type { JobLimits } from './types.js';

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');
const limits: JobLimits = { cpuPercent: 50, cpuCores: '1', memoryMb: 64, ioBps: 1_048_576, pidsMax: 100, ioDevices: ['254:0'] };
const MB64 = String(64 * 1048576);

const shared = makeV1Fixture();
driverSuite({
  name: 'v1 driver on a fixture',
  driver: createV1Driver({ mountRoot: shared.mountRoot }),
  kernel: false,
  limits,
  cycles: 1000,
  expectLimits: (cg) => assert.is(read(cg.dirs.find((d) => d.includes('/cpu/'))!, 'cpu.cfs_quota_us'), '50000'),
  seedCounters: (cg) => {
    const at = (c: string) => cg.dirs.find((d) => d.includes(`/${c}/`))!;
    writeFileSync(join(at('cpuacct'), 'cpuacct.usage'), '123456789\n');
    writeFileSync(join(at('memory'), 'memory.usage_in_bytes'), '4096\n');
    writeFileSync(join(at('memory'), 'memory.max_usage_in_bytes'), '8192\n');
    writeFileSync(join(at('blkio'), 'blkio.throttle.io_service_bytes_recursive'), '254:0 Read 10\n254:0 Write 20\n254:0 Sync 30\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 30\n8:0 Read 5\n8:0 Write 7\nTotal 42\n');
    writeFileSync(join(at('pids'), 'pids.current'), '3\n');
    return { cpuUsageNs: 123456789, memoryBytes: 4096, memoryPeakBytes: 8192, memoryLimitBytes: 64 * 1048576, ioReadBytes: 15, ioWriteBytes: 27, pids: 3 };
  },
  expectKillTrace: (cg) => assert.is(read(cg.dirs.find((d) => d.includes('/freezer/'))!, 'freezer.state'), 'THAWED'),
  teardown: shared.cleanup,
});

const t = suite('v1 limit files');

t('each limit is written in its controller dir in the kernel format', async () => {
  const fx = makeV1Fixture();
  try {
    const cg = await createV1Driver({ mountRoot: fx.mountRoot }).create('job1', limits);
    const at = (c: string) => join(fx.mountRoot, c, 'joblet', 'job1');
    assert.equal(cg.dirs.sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'memory', 'pids'].map(at));
    assert.is(read(at('cpu'), 'cpu.cfs_period_us'), '100000');
    assert.is(read(at('cpu'), 'cpu.cfs_quota_us'), '50000');
    assert.is(read(at('cpuset'), 'cpuset.cpus'), '1');
    assert.is(read(at('cpuset'), 'cpuset.mems'), '0', 'mems copied from the parent so tasks can join');
    assert.is(read(join(fx.mountRoot, 'cpuset', 'joblet'), 'cpuset.mems'), '0', 'the job-parent got mems too');
    assert.is(read(join(fx.mountRoot, 'cpuset', 'joblet'), 'cpuset.cpus'), '0-1');
    assert.is(read(at('memory'), 'memory.limit_in_bytes'), MB64);
    assert.is(read(at('memory'), 'memory.memsw.limit_in_bytes'), MB64);
    assert.is(read(at('memory'), 'memory.swappiness'), '0');
    assert.is(read(at('pids'), 'pids.max'), '100');
    assert.is(read(at('blkio'), 'blkio.throttle.read_bps_device'), '254:0 1048576');
    assert.is(read(at('blkio'), 'blkio.throttle.write_bps_device'), '254:0 1048576');
  } finally { fx.cleanup(); }
});

t('an unpinned job gets no cpuset dir, one without a CPU limit no cpu dir; unset limits write nothing', async () => {
  const fx = makeV1Fixture();
  try {
    const cg = await createV1Driver({ mountRoot: fx.mountRoot }).create('job1', { cpuPercent: 0, cpuCores: '', memoryMb: 0, ioBps: 0, pidsMax: 9 });
    assert.not.ok(cg.dirs.some((d) => d.includes('/cpuset/')));
    assert.not.ok(cg.dirs.some((d) => d.includes('/cpu/')));
    assert.ok(cg.dirs.some((d) => d.includes('/cpuacct/')), 'its CPU time is still counted');
    const at = (c: string) => join(fx.mountRoot, c, 'joblet', 'job1');
    assert.not.ok(existsSync(join(at('cpu'), 'cpu.cfs_quota_us')));
    assert.not.ok(existsSync(join(at('memory'), 'memory.limit_in_bytes')));
    assert.not.ok(existsSync(join(at('blkio'), 'blkio.throttle.write_bps_device')));
    assert.is(read(at('pids'), 'pids.max'), '9');
  } finally { fx.cleanup(); }
});

t('co-mounted cpu,cpuacct gives one dir for both', async () => {
  const fx = makeV1Fixture({ comountCpu: true });
  try {
    const cg = await createV1Driver({ mountRoot: fx.mountRoot }).create('job1', limits);
    const cpuDirs = cg.dirs.filter((d) => d.includes('cpu,cpuacct'));
    assert.equal(cpuDirs, [join(fx.mountRoot, 'cpu,cpuacct', 'joblet', 'job1')]);
    assert.is(cg.dirs.length, 6);
    // co-mounted, the dir serves cpuacct too: a job without a CPU limit still gets it
    const plain = await createV1Driver({ mountRoot: fx.mountRoot }).create('job2', { ...limits, cpuPercent: 0 });
    assert.equal(plain.dirs.filter((d) => d.includes('cpu,cpuacct')), [join(fx.mountRoot, 'cpu,cpuacct', 'joblet', 'job2')]);
    assert.is(read(cpuDirs[0], 'cpu.cfs_quota_us'), '50000');
    writeFileSync(join(cpuDirs[0], 'cpuacct.usage'), '77\n');
    assert.is((await cg.stats()).cpuUsageNs, 77);
  } finally { fx.cleanup(); }
});

t('without memsw the limit relies on swappiness=0; without freezer kill loops signals', async () => {
  const fx = makeV1Fixture({ memsw: false, controllers: ['cpu', 'cpuacct', 'memory', 'pids'] });
  try {
    const driver = createV1Driver({ mountRoot: fx.mountRoot });
    const facts = driver.detectedFacts();
    assert.is(facts.swapLimit, false);
    assert.is(facts.kill, 'signal-loop');
    assert.equal(facts.missing, ['cpuset', 'blkio', 'freezer']);
    const cg = await driver.create('job1', { ...limits, cpuCores: '', ioBps: 0 });
    const mem = join(fx.mountRoot, 'memory', 'joblet', 'job1');
    assert.not.ok(existsSync(join(mem, 'memory.memsw.limit_in_bytes')));
    assert.is(read(mem, 'memory.swappiness'), '0');
    await cg.kill();
    await rejects(() => driver.create('job2', limits), /cannot enforce limits\.cpuCores \(no cpuset controller\), limits\.ioBps \(no blkio controller\)/);
  } finally { fx.cleanup(); }
});

t('oomKilled reads oom_control oom_kill, or under_oom on kernels before 4.13 (and says so)', async () => {
  const fx = makeV1Fixture();
  const old = makeV1Fixture({ oomKillCounter: false });
  try {
    const driver = createV1Driver({ mountRoot: fx.mountRoot });
    assert.is(driver.detectedFacts().oomSource, 'memory.oom_control oom_kill');
    const cg = await driver.create('job1', limits);
    const mem = join(fx.mountRoot, 'memory', 'joblet', 'job1');
    writeFileSync(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
    assert.is(await cg.oomKilled(), false);
    writeFileSync(join(mem, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    assert.is(await cg.oomKilled(), true);
    const oldDriver = createV1Driver({ mountRoot: old.mountRoot });
    assert.match(oldDriver.detectedFacts().oomSource, 'under_oom');
    const cg2 = await oldDriver.create('job1', limits);
    writeFileSync(join(old.mountRoot, 'memory', 'joblet', 'job1', 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 1\n');
    assert.is(await cg2.oomKilled(), true);
  } finally { fx.cleanup(); old.cleanup(); }
});

t('a failed step undoes the dirs already made', async () => {
  const fx = makeV1Fixture();
  try {
    const driver = createV1Driver({ mountRoot: fx.mountRoot });
    // The job-parent's cpuset.mems turned into a dir: reading it fails after every mkdir succeeded.
    const mems = join(fx.mountRoot, 'cpuset', 'joblet', 'cpuset.mems');
    rmSync(mems);
    mkdirSync(mems);
    await rejects(() => driver.create('job1', limits), /read .*cpuset\.mems: EISDIR/);
    for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'freezer', 'blkio', 'cpuset']) assert.not.ok(existsSync(join(fx.mountRoot, c, 'joblet', 'job1')), `${c} undone`);
  } finally { fx.cleanup(); }
});

t.run();
