// A held launch (decision 0022) on the real kernel: the launcher sets the job up and waits; the job
// runs only after release(jobId, true), and release(jobId, false) ends it as startFailed without
// running anything of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeExecutor } from '../../src/executor/nativeExecutor.js';
import { DEFAULT_ISOLATION, type LaunchSpec, type Observation } from '../../src/executor/types.js';

const skip = process.getuid?.() === 0 ? '' : 'needs root: namespaces and mounts';
const base = mkdtempSync(join(tmpdir(), 'joblet-held-'));
mkdirSync(join(base, 'root'));  // the mount point every job's root is built on
const ex = createNativeExecutor();
const seen = new Map<string, Observation[]>();
ex.onObservation((o) => { seen.get(o.jobId)?.push(o); });
let seq = 0;

function rootTest(name: string, fn: () => Promise<void>) {
  if (skip) { console.log(`skip: ${name} (${skip})`); return test.skip(name); }
  test(name, fn);
}

function launchHeld(script: string): { jobId: string; obs: Observation[]; ended: Promise<void> } {
  const jobId = `held-${process.pid}-${++seq}`;
  const obs: Observation[] = [];
  seen.set(jobId, obs);
  const spec: LaunchSpec = {
    jobId, command: '/bin/sh', args: ['-c', script], env: { PATH: '/usr/bin:/bin' }, stateDir: join(base, jobId), held: true,
    isolation: { ...DEFAULT_ISOLATION, rootDir: join(base, 'root'), workSizeBytes: 1 << 20, tmpSizeBytes: 1 << 20 },
  };
  ex.launch(spec);
  const ended = new Promise<void>((resolve) => {
    const t = setInterval(() => { if (obs.some((o) => o.type === 'exited' || o.type === 'startFailed')) { clearInterval(t); resolve(); } }, 10);
  });
  return { jobId, obs, ended };
}
const types = (obs: Observation[]) => obs.map((o) => o.type);
const text = (obs: Observation[]) => obs.map((o) => (o.type === 'output' ? Buffer.from(o.data).toString() : '')).join('');

rootTest('a held job runs nothing until it is released, then runs as any other', async () => {
  const { jobId, obs, ended } = launchHeld('echo ran');
  // far longer than a launch takes here (a few ms): had it not been held it would have run
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(types(obs), [], 'nothing started, nothing printed');
  assert.ok(ex.running().includes(jobId), 'its supervisor is there, waiting');
  ex.release!(jobId, true);
  await ended;
  assert.equal(types(obs), ['started', 'output', 'exited']);
  assert.is(text(obs), 'ran\n');
});

rootTest('a held job given up ends as startFailed, and nothing of it ran', async () => {
  const { jobId, obs, ended } = launchHeld('echo ran');
  await new Promise((r) => setTimeout(r, 50));
  ex.release!(jobId, false);
  await ended;
  assert.equal(types(obs), ['startFailed']);
  assert.match((obs[0] as { reason: string }).reason, /gave the launch up/);
});

rootTest('a release asked for before the spawner named the pid still reaches the job', async () => {
  const { jobId, obs, ended } = launchHeld('echo early');
  ex.release!(jobId, true);  // same turn as the launch: no 'spawned' line yet
  await ended;
  assert.equal(types(obs), ['started', 'output', 'exited']);
});

test.after(async () => {
  await ex.close();
  rmSync(base, { recursive: true, force: true });
});
test.run();
