// The sampler against a scripted JobCgroup (the seam the drivers implement; the real hierarchy is
// covered by test/integration/metrics.test.ts) and a /proc fixture for the network counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsSampler, cpuPercent } from './metricsSampler.js';
import { NetReader, parseNetDev } from './netCounters.js';
import type { CgroupStats, JobCgroup } from './cgroups/types.js';
import type { Observation } from './types.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999     10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0
  eth0:    1500      3    0    0    0     0          0         0      700       2    0    0    0     0       0          0
  veth1:     10      1    0    0    0     0          0         0       20       1    0    0    0     0       0          0
`;

const dirs: string[] = [];
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function stats(over: Partial<CgroupStats> = {}): CgroupStats {
  return { cpuUsageNs: 0, memoryBytes: 100, memoryPeakBytes: 0, memoryLimitBytes: 1000, ioReadBytes: 1, ioWriteBytes: 2, pids: 3, ...over };
}

/** A cgroup whose stats() answers from a list, the last one repeated; its dir has no cgroup.procs (no netns). */
function scripted(answers: CgroupStats[]): JobCgroup {
  const dir = mkdtempSync(join(tmpdir(), 'sampler-cg-'));
  dirs.push(dir);
  let i = 0;
  return {
    jobId: 'j', dirs: [dir], unenforced: [],
    kill: async () => undefined, remove: async () => undefined, oomKilled: async () => false,
    stats: async () => answers[Math.min(i++, answers.length - 1)],
  };
}

test('cpuPercent: cpu time over wall time, 100 = one core; no time or a counter reset is 0 or more', () => {
  assert.is(cpuPercent({ cpuNs: 0, atMs: 0 }, { cpuNs: 500e6, atMs: 1000 }), 50);
  assert.is(cpuPercent({ cpuNs: 0, atMs: 0 }, { cpuNs: 3e9, atMs: 2000 }), 150);
  assert.is(cpuPercent({ cpuNs: 1e9, atMs: 0 }, { cpuNs: 1.3333e9, atMs: 1000 }), 33.33);
  assert.is(cpuPercent({ cpuNs: 0, atMs: 10 }, { cpuNs: 5e6, atMs: 10 }), 0);
  assert.is(cpuPercent({ cpuNs: 9e9, atMs: 0 }, { cpuNs: 1e9, atMs: 1000 }), 0);
});

test('parseNetDev: receive and transmit bytes of every interface but lo', () => {
  assert.equal(parseNetDev(NET_DEV), { recvBytes: 1510, sentBytes: 720 });
  assert.equal(parseNetDev(''), { recvBytes: 0, sentBytes: 0 });
});

test('NetReader: counters of a job in its own namespace; none for one in the host\'s', async () => {
  const proc = mkdtempSync(join(tmpdir(), 'sampler-proc-'));
  const cg = mkdtempSync(join(tmpdir(), 'sampler-cg-'));
  dirs.push(proc, cg);
  for (const [pid, ns] of [['self', 'net:[1]'], ['42', 'net:[2]'], ['43', 'net:[1]']] as const) {
    mkdirSync(join(proc, pid, 'ns'), { recursive: true });
    mkdirSync(join(proc, pid, 'net'), { recursive: true });
    symlinkSync(ns, join(proc, pid, 'ns', 'net'));
    writeFileSync(join(proc, pid, 'net', 'dev'), NET_DEV);
  }
  writeFileSync(join(cg, 'cgroup.procs'), '42\n');
  assert.equal(await new NetReader(cg, proc).read(), { recvBytes: 1510, sentBytes: 720 });
  writeFileSync(join(cg, 'cgroup.procs'), '43\n');
  assert.is(await new NetReader(cg, proc).read(), undefined);
  writeFileSync(join(cg, 'cgroup.procs'), '');
  assert.is(await new NetReader(cg, proc).read(), undefined);
});

test('exit sample: emitted once, CPU % since the launch, peak at least the current usage, no process left, then no more', async () => {
  const seen: Observation[] = [];
  const sampler = new MetricsSampler(0);
  sampler.track('j', scripted([stats({ cpuUsageNs: 1e6, memoryBytes: 500, memoryPeakBytes: 0 })]), async (o) => { seen.push(o); }, true);
  await sampler.final('j');
  await sampler.final('j');
  assert.is(seen.length, 1);
  const o = seen[0];
  assert.is(o.type, 'sampled');
  if (o.type !== 'sampled') return;
  assert.is(o.jobId, 'j');
  assert.ok(o.sample.cpuPercent > 0, 'used cpu since the fresh baseline');
  // the cgroup still counts 3 (init leaving, say): the job's own processes are all gone at its exit
  assert.equal({ ...o.sample, cpuPercent: 0 }, { cpuPercent: 0, memoryBytes: 500, memoryLimitBytes: 1000, memoryPeakBytes: 500, ioReadBytes: 1, ioWriteBytes: 2, pids: 0 });
});

test('periodic samples on one timer; untrack stops them without a last one; an adopted job\'s first reading is only a base', async () => {
  const seen: Observation[] = [];
  const sampler = new MetricsSampler(20);
  const emit = async (o: Observation) => { seen.push(o); };
  sampler.track('a', scripted([stats()]), emit, true);
  // adopted: its counter already holds a day of CPU; that must not show as one huge sample
  sampler.track('b', { ...scripted([stats({ cpuUsageNs: 86_400e9 })]), jobId: 'b' }, emit, false);
  // wait for two rounds (bounded generously: a busy host delays timers, it does not stop them)
  for (let i = 0; i < 500 && seen.filter((o) => o.jobId === 'a').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  sampler.untrack('a');
  await sampler.final('b');
  const count = seen.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.is(seen.length, count, 'nothing after untrack/final');
  const a = seen.filter((o) => o.jobId === 'a');
  const b = seen.filter((o) => o.jobId === 'b');
  assert.ok(a.length >= 2, `periodic samples of a: ${a.length}`);
  assert.ok(b.length >= 1);
  for (const o of b) if (o.type === 'sampled') assert.is(o.sample.cpuPercent, 0, 'no CPU used since the base reading');
  sampler.close();
});

test('a round over many jobs yields to the event loop between slices (cgroupfs reads are synchronous)', async () => {
  const sampler = new MetricsSampler(10);
  let calls = 0;
  let seenByOtherWork: number | undefined;
  const cg = scripted([stats()]);
  const counting: JobCgroup = { ...cg, stats: async () => {
    if (calls++ === 0) setImmediate(() => { seenByOtherWork = calls; });
    return stats();
  } };
  for (let i = 0; i < 100; i++) sampler.track(`job-${i}`, counting, async () => undefined, true);
  for (let i = 0; i < 500 && calls < 100; i++) await new Promise((r) => setTimeout(r, 10));
  sampler.close();
  assert.ok(calls >= 100, `one round sampled every job: ${calls}`);
  assert.ok(seenByOtherWork !== undefined && seenByOtherWork < 100, `other work ran after ${seenByOtherWork} of 100 reads`);
});

test('a cgroup that cannot be read: no sample and no throw, at exit or on the timer', async () => {
  const seen: Observation[] = [];
  const sampler = new MetricsSampler(10);
  const broken: JobCgroup = { ...scripted([stats()]), stats: async () => { throw new Error('read memory.usage_in_bytes: EIO'); } };
  sampler.track('x', broken, async (o) => { seen.push(o); }, true);
  await new Promise((r) => setTimeout(r, 40));
  await sampler.final('x');
  assert.is(seen.length, 0);
});

test.run();
