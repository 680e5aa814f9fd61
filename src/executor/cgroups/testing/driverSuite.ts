// The one behavioural suite both drivers pass, on fixtures (unit) and on the real hierarchy
// (integration). Kernel-only checks (processes join, die, get counted) skip on fixtures with the
// reason printed; fixture-only checks (seeded counters) are replaced by real ones on the kernel.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CgroupDriver, CgroupStats, JobCgroup, JobLimits } from '../types.js';
import { snapshot, spawnInCgroup, stillAlive } from './cgroupProcess.js';

export interface SuiteEnv {
  name: string;
  driver: CgroupDriver;
  /** real cgroupfs: processes can join and be killed */
  kernel: boolean;
  /** limits this host can take (a v2 mount without controllers takes pids only in 'ignore' mode) */
  limits: JobLimits;
  /** version-specific: the limit files hold what `limits` asks */
  expectLimits(cg: JobCgroup, limits: JobLimits): void;
  /** fixtures: write kernel-like counters into the job dirs and return what stats() must parse */
  seedCounters?(cg: JobCgroup): CgroupStats;
  /** fixtures: what kill() leaves behind in the files (cgroup.kill "1", freezer THAWED) */
  expectKillTrace?(cg: JobCgroup): void;
  cycles: number;
  teardown(): void | Promise<void>;
}

const parentsOf = (cg: JobCgroup) => cg.dirs.map((d) => dirname(d));
const jobDirsUnder = (parents: string[]) => parents.flatMap((p) => (existsSync(p) ? readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []));

export function driverSuite(env: SuiteEnv): void {
  const t = suite(`${env.name}`);
  const id = (s: string) => `suite-${process.pid}-${s}`;
  const kernelTest = (name: string, fn: () => Promise<void>) => {
    if (env.kernel) return t(name, fn);
    console.log(`skip: ${env.name}: ${name} (fixture hierarchy: no kernel moves or kills processes there)`);
    t.skip(name, fn);
  };
  t.after(async () => { await env.teardown(); });

  t('create makes every dir with the limits, and describe names the version', async () => {
    const cg = await env.driver.create(id('create'), env.limits);
    try {
      assert.ok(cg.dirs.length >= 1);
      for (const d of cg.dirs) assert.ok(existsSync(d), `${d} exists`);
      env.expectLimits(cg, env.limits);
      assert.match(env.driver.describe(), `cgroup ${env.driver.version}`);
    } finally { await cg.remove(); }
  });

  t('supervisorsCgroup: a dir beside the job-parent, in the hierarchy with cpu; none without it', async () => {
    const facts = env.driver.detectedFacts();
    const dir = env.driver.supervisorsCgroup();
    if (!facts.controllers.includes('cpu')) return assert.is(dir, undefined);
    const cpuParent = env.driver.version === 'v2' ? facts.roots.unified : facts.roots.cpu;
    assert.is(dir, `${cpuParent}-supervisors`);
    assert.ok(existsSync(dir!), `${dir} is made`);
    assert.is(env.driver.supervisorsCgroup(), dir, 'asking again finds the same dir');
    // not a job: the orphan sweep of the job-parent never takes it
    assert.is(await env.driver.cleanupOrphans(() => false), 0);
    assert.ok(existsSync(dir!));
  });

  t('create refuses a bad job id or limits and makes nothing', async () => {
    const before = jobDirsUnder(Object.values(env.driver.detectedFacts().roots)).length;
    await rejects(() => env.driver.create('../escape', env.limits), /jobId/);
    await rejects(() => env.driver.create(id('bad'), { ...env.limits, pidsMax: 0 }), /pidsMax/);
    await rejects(() => env.driver.create(id('bad2'), { ...env.limits, cpuCores: '0;rm' }), /cpuCores/);
    assert.is(jobDirsUnder(Object.values(env.driver.detectedFacts().roots)).length, before);
  });

  if (env.seedCounters) {
    t('stats parse the counter files', async () => {
      const cg = await env.driver.create(id('stats'), env.limits);
      try { const expected = env.seedCounters!(cg); assert.equal(await cg.stats(), expected); } finally { await cg.remove(); }
    });
  }

  kernelTest('stats count a real process: cpu time and (with the pids controller) pids', async () => {
    const cg = await env.driver.create(id('kstats'), env.limits);
    try {
      const p = await spawnInCgroup(cg.dirs, 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30');
      await new Promise((r) => setTimeout(r, 300));
      const s = await cg.stats();
      assert.ok(s.cpuUsageNs > 1e6, `cpu ${s.cpuUsageNs} ns`);
      if (env.driver.detectedFacts().controllers.includes('pids')) assert.ok(s.pids >= 1, `pids ${s.pids}`);
      await cg.kill();
      await p.exited;
      assert.is(await cg.oomKilled(), false);
    } finally { await cg.remove(); }
  });

  if (env.expectKillTrace) {
    t('kill on an idle cgroup follows the kill protocol and resolves', async () => {
      const cg = await env.driver.create(id('killtrace'), env.limits);
      try { await cg.kill(); env.expectKillTrace!(cg); } finally { await cg.remove(); }
    });
  }

  kernelTest('kill takes down a process tree, daemonized grandchild included', async () => {
    const cg = await env.driver.create(id('tree'), env.limits);
    try {
      const p = await spawnInCgroup(cg.dirs, 'sleep 300 & sleep 301 & (setsid sh -c "sleep 302 & exec sleep 303" &) ; (setsid sleep 304 &) ; wait');
      const deadline = Date.now() + 3000;
      let pids: number[] = [];
      while (Date.now() < deadline && pids.length < 6) { pids = await procsOf(cg); await new Promise((r) => setTimeout(r, 20)); }
      assert.ok(pids.length >= 6, `6 processes joined (sh, 2 sleeps, setsid sh -> 2 sleeps, setsid sleep): ${pids.length}`);
      const snap = snapshot(pids);
      await cg.kill();
      assert.equal(await procsOf(cg), []);
      assert.equal(stillAlive(snap), []);
      assert.is((await p.exited).signal, 'SIGKILL');
    } finally { await cg.remove(); }
  });

  kernelTest('empty() is false while a process is in the job and true once it is gone', async () => {
    const cg = await env.driver.create(id('empty'), env.limits);
    try {
      // v1 answers from pids.current: a driver without the pids controller cannot tell (false)
      const tells = env.driver.version === 'v2' || env.driver.detectedFacts().controllers.includes('pids');
      assert.is(cg.empty?.(), tells);
      const p = await spawnInCgroup(cg.dirs, 'exec sleep 300');
      assert.is(cg.empty?.(), false);
      p.child.kill('SIGKILL');
      await p.exited;  // reaped: the kernel no longer counts it
      assert.is(cg.empty?.(), tells);
    } finally { await cg.remove(); }
  });

  t('remove leaves nothing and is idempotent; kill after remove is a no-op', async () => {
    const cg = await env.driver.create(id('remove'), env.limits);
    await cg.kill();
    await cg.remove();
    for (const d of cg.dirs) assert.not.ok(existsSync(d), `${d} removed`);
    await cg.remove();
    await cg.kill();
  });

  t('cleanupOrphans kills and removes every job not kept', async () => {
    const cgs = await Promise.all(['o1', 'o2', 'o3'].map((s) => env.driver.create(id(s), env.limits)));
    const victim = env.kernel ? await spawnInCgroup(cgs[0].dirs, 'exec sleep 300') : undefined;
    const removed = await env.driver.cleanupOrphans((jobId) => jobId === id('o2'));
    assert.is(removed, 2);
    for (const d of [...cgs[0].dirs, ...cgs[2].dirs]) assert.not.ok(existsSync(d), `${d} swept`);
    for (const d of cgs[1].dirs) assert.ok(existsSync(d), `${d} kept`);
    if (victim) assert.is((await victim.exited).signal, 'SIGKILL');
    await cgs[1].remove();
  });

  t(`${env.cycles} create/remove cycles leak no dir`, async () => {
    const probe = await env.driver.create(id('probe'), env.limits);
    const parents = parentsOf(probe);
    await probe.remove();
    const before = jobDirsUnder(parents).length;
    const started = Date.now();
    for (let i = 0; i < env.cycles; i++) {
      const cg = await env.driver.create(id(`c${i}`), env.limits);
      await cg.kill();
      await cg.remove();
    }
    const ms = Date.now() - started;
    console.log(`${env.name}: ${env.cycles} create/kill/remove cycles in ${ms} ms (${(ms / env.cycles).toFixed(2)} ms each, ${parents.length} dirs per job)`);
    assert.is(jobDirsUnder(parents).length, before);
  });

  t.run();
}

async function procsOf(cg: JobCgroup): Promise<number[]> {
  const all = await Promise.all(cg.dirs.map((d) => readFile(`${d}/cgroup.procs`, 'utf8').catch(() => '')));
  return [...new Set(all.join('\n').split('\n').filter(Boolean).map(Number))].sort((a, b) => a - b);
}

/** uvu has no assert.rejects: the promise must reject with a message matching `re`. */
export async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try { await fn(); } catch (e) { err = e; }
  assert.ok(err instanceof Error, `expected a rejection matching ${re}`);
  assert.match((err as Error).message, re);
}
