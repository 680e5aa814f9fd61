// The spawner, and so every supervisor it forks, runs in CgroupDriver.supervisorsCgroup() for CPU:
// one group beside the daemon instead of a task each at the daemon's own level (a thousand busy
// supervisors would otherwise leave the daemon a thousandth of the CPU). Checked on the real
// hierarchy of this host's driver, from the host's view of a running job's supervisor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupDriver } from '../../../src/executor/cgroups/detectDriver.js';
import { removeCgroupDir } from '../../../src/executor/cgroups/removeCgroup.js';
import type { CgroupDriver, JobLimits } from '../../../src/executor/cgroups/types.js';
import { createNativeExecutor } from '../../../src/executor/nativeExecutor.js';
import type { Executor, Observation } from '../../../src/executor/types.js';
import { isRoot } from '../../../src/executor/cgroups/testing/cgroupProcess.js';

const LIMITS: JobLimits = { cpuPercent: 0, cpuCores: '', memoryMb: 0, ioBps: 0, pidsMax: 100 };
const dir = mkdtempSync(join(tmpdir(), 'joblet-sup-cg-'));
let driver: CgroupDriver | undefined;
let ex: Executor | undefined;

/** The cgroup path of `pid` in the hierarchy whose controller list names `controller` (v2: the unified one). */
function cgroupOf(pid: number, controller: string): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers.split(',').includes(controller) || (driver?.version === 'v2' && controllers === '')) return path;
  }
  return undefined;
}
const parentOf = (pid: number) => Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

test('the supervisor of a job runs in the supervisors cgroup, for CPU', async () => {
  if (!isRoot) { console.log('skip: supervisors cgroup (needs root: cgroup writes)'); return; }
  driver = detectCgroupDriver({ parent: `joblet-supcg-${process.pid}`, dataDir: dir });
  const group = driver.supervisorsCgroup();
  if (group === undefined) { console.log(`skip: supervisors cgroup (no cpu controller: ${driver.describe()})`); return; }
  ex = createNativeExecutor({ cgroups: driver });
  const started = new Promise<number>((resolve, reject) => ex!.onObservation((o: Observation) => {
    if (o.type === 'started') resolve(o.pid);
    if (o.type === 'startFailed') reject(new Error(o.reason));
  }));
  ex.launch({ jobId: 'sup-cg', command: '/bin/sleep', args: ['5'], env: { PATH: '/usr/bin:/bin' }, workDir: dir, limits: LIMITS });
  const job = await started;
  const supervisor = parentOf(parentOf(job));  // job -> init (pid 1 of its namespace) -> supervisor
  assert.match(readFileSync(`/proc/${supervisor}/cmdline`, 'utf8'), 'joblet-launcher');
  const want = group.slice(group.indexOf(`/joblet-supcg-${process.pid}`));
  assert.is(cgroupOf(supervisor, 'cpu'), want);
  // the job itself is where its limits put it: its own dir under the job-parent for pids
  assert.is(cgroupOf(job, 'pids'), driver.version === 'v1' ? `/joblet-supcg-${process.pid}/sup-cg` : `${want.replace(/-supervisors$/, '')}/sup-cg`);
});

test.after(async () => {
  await ex?.close({ stopJobs: true });
  if (driver) {
    const group = driver.supervisorsCgroup();
    // the spawner leaves at close, the supervisor with its job: give them a moment
    if (group) await removeCgroupDir(group, 5000);
    for (const p of new Set(Object.values(driver.detectedFacts().roots))) await removeCgroupDir(p);
  }
  rmSync(dir, { recursive: true, force: true });
});

test.run();
