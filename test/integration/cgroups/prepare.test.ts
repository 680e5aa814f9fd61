// Executor.prepare on the real hierarchy: the cgroup (and state dir) a launch needs are made while
// the daemon waits for the submission's fsync; the launch takes them instead of making its own,
// and a job that is not launched after all has them removed (discard).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeExecutor } from '../../../src/executor/nativeExecutor.js';
import { detectCgroupDriver } from '../../../src/executor/cgroups/detectDriver.js';
import { removeCgroupDir } from '../../../src/executor/cgroups/removeCgroup.js';
import type { CgroupDriver, JobLimits } from '../../../src/executor/cgroups/types.js';
import type { Observation } from '../../../src/executor/types.js';
import { until } from '../../support/until.js';

const skip = process.getuid?.() === 0 ? '' : 'needs root: cgroup writes and namespaces';
const limits: JobLimits = { cpuPercent: 0, cpuCores: '', memoryMb: 0, ioBps: 0, pidsMax: 64 };
const base = mkdtempSync(join(tmpdir(), 'joblet-prepare-'));
let driver: CgroupDriver;

function rootTest(name: string, fn: () => Promise<void>) {
  if (skip) { console.log(`skip: ${name} (${skip})`); return test.skip(name); }
  test(name, fn);
}

test.before(() => {
  if (skip) return;
  driver = detectCgroupDriver({ parent: `joblet-prep-${process.pid}`, dataDir: base });
});
test.after(async () => {
  if (!skip) for (const p of new Set(Object.values(driver.detectedFacts().roots))) await removeCgroupDir(p).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

/** The job's cgroup dirs that exist (adopt opens what is there and creates nothing). */
const dirsOf = (jobId: string) => driver.adopt(jobId)?.dirs.filter((d) => existsSync(d)) ?? [];

rootTest('a prepared cgroup is the one the launch takes (making it again would fail: EEXIST), and it goes after the job', async () => {
  const ex = createNativeExecutor({ cgroups: driver });
  const ended = new Promise<Observation>((resolve) => ex.onObservation((o) => { if (o.type === 'exited' || o.type === 'startFailed') resolve(o); }));
  const stateDir = join(base, 'jobs', 'p1');
  ex.prepare!('p1', stateDir, limits);
  assert.ok(existsSync(stateDir), 'the state dir is made ahead');
  const made = dirsOf('p1');
  assert.ok(made.length > 0, 'the cgroup is made ahead');
  ex.launch({ jobId: 'p1', command: '/bin/true', args: [], env: { PATH: '/usr/bin:/bin' }, workDir: base, stateDir, limits });
  const o = await ended;
  assert.equal([o.type, o.type === 'exited' ? o.exitCode : (o as { reason?: string }).reason], ['exited', 0]);
  const gone = await until(async () => made.filter((d) => existsSync(d)), (left) => left.length === 0, 5000);
  assert.equal(gone, [], 'removed after the job, like one the launch made');
  await ex.close();
});

rootTest('discard removes what prepare made for a job that is not launched; close removes the rest', async () => {
  const ex = createNativeExecutor({ cgroups: driver });
  ex.prepare!('p2', join(base, 'jobs', 'p2'), limits);
  ex.prepare!('p3', join(base, 'jobs', 'p3'), limits);
  const [p2, p3] = [dirsOf('p2'), dirsOf('p3')];
  assert.ok(p2.length > 0 && p3.length > 0, 'both made ahead');
  ex.discard!('p2');
  const left = await until(async () => p2.filter((d) => existsSync(d)), (l) => l.length === 0, 5000);
  assert.equal(left, [], 'discarded');
  assert.ok(p3.every((d) => existsSync(d)), 'the other one stays until close');
  await ex.close();
  assert.equal(p3.filter((d) => existsSync(d)), [], 'close removes what was never launched');
});

test.run();
