// Restarts of a real daemon on the same data dir: the job table comes back from snapshot + tail,
// scheduled jobs still run at their time, queued jobs wait for a slot in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, call, type TestDaemon } from '../support/testDaemon.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import type { Job__Output } from '../../src/gen/joblet/Job.js';

const dirs: string[] = [];
const freshDir = () => { const d = mkdtempSync(join(tmpdir(), 'joblet-restart-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const list = async (d: TestDaemon) => (await call<{ jobs: Job__Output[] }>(d.jobs(), 'ListJobs', {})).jobs;
async function until(d: TestDaemon, uuid: string, want: (s: Status) => boolean, ms = 10_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<Status>(d.jobs(), 'GetJobStatus', { uuid });
    if (want(s) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('snapshot + tail: the job table after a restart equals the one before', async () => {
  const dataDir = freshDir();
  const yaml = 'storage:\n  snapshotEvery: 7\n';
  const a = await startTestDaemon({ dataDir, configYaml: yaml });
  for (let i = 0; i < 6; i++) {
    const { job_uuid } = await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'echo', args: [`n${i}`] });
    await until(a, job_uuid, (s) => s.status === 'COMPLETED');
  }
  const before = await list(a);
  const positionBefore = a.daemon.logPosition();
  await a.close();
  const b = await startTestDaemon({ dataDir, configYaml: yaml });
  assert.equal(await list(b), before);
  assert.is(b.daemon.logPosition(), positionBefore);
  await b.close();
});

test('a scheduled job survives a restart and runs at its time', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const at = new Date(Date.now() + 1500).toISOString();
  const { job_uuid } = await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'echo', args: ['on time'], schedule: at });
  await a.close();
  const b = await startTestDaemon({ dataDir });
  assert.is((await call<Status>(b.jobs(), 'GetJobStatus', { uuid: job_uuid })).status, 'SCHEDULED');
  const s = await until(b, job_uuid, (x) => x.status === 'COMPLETED');
  assert.is(s.status, 'COMPLETED');
  assert.ok(Date.parse(s.start_time) >= Date.parse(at) - 5);
  await b.close();
});

test('a job running when the daemon stopped is recorded FAILED with the reason, not left RUNNING', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const { job_uuid } = await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'sleep', args: ['60'] });
  await until(a, job_uuid, (s) => s.status === 'RUNNING');
  await a.close();
  const b = await startTestDaemon({ dataDir });
  const s = await call<Status>(b.jobs(), 'GetJobStatus', { uuid: job_uuid });
  assert.is(s.status, 'FAILED');
  await b.close();
});

test('maxConcurrentJobs: jobs beyond it wait QUEUED and start in order as slots free', async () => {
  const d = await startTestDaemon({ dataDir: freshDir(), configYaml: 'joblet:\n  maxConcurrentJobs: 1\n' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await call<{ job_uuid: string }>(d.jobs(), 'RunJob', { command: 'sleep', args: ['0.3'] })).job_uuid);
  const second = await until(d, ids[1], (s) => s.status === 'QUEUED', 2000);
  assert.is(second.status, 'QUEUED');
  const finals = [];
  for (const id of ids) finals.push(await until(d, id, (s) => s.status === 'COMPLETED'));
  assert.ok(finals.every((s) => s.status === 'COMPLETED'));
  // One at a time, in submission order: each started after the previous one ended.
  for (let i = 1; i < finals.length; i++) assert.ok(Date.parse(finals[i].start_time) >= Date.parse(finals[i - 1].end_time));
  await d.close();
});

test('a second daemon on the same data dir is refused', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  try {
    await startTestDaemon({ dataDir });
    assert.unreachable('second daemon started');
  } catch (err) {
    assert.match((err as Error).message, 'in use');
  }
  await a.close();
});

test.run();
