// Restarts of a real daemon on the same data dir: the job table comes back from snapshot + tail,
// scheduled jobs still run at their time, queued jobs wait for a slot in order, and jobs that were
// running are re-attached through their supervisors (which a clean stop leaves running).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, call, collect, type TestDaemon } from '../support/testDaemon.js';
import { supervisorPaths, supervisorPid } from '../support/supervisorPaths.js';
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

const run = async (d: TestDaemon, req: Record<string, unknown>) => (await call<{ job_uuid: string }>(d.jobs(), 'RunJob', req)).job_uuid;
const output = async (d: TestDaemon, uuid: string) => Buffer.concat((await collect<{ payload: Buffer }>(d.jobs(), 'GetJobLogs', { uuid })).map((c) => c.payload)).toString();
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('a job running when the daemon stopped is re-attached: output written meanwhile, then its true exit code', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const uuid = await run(a, { command: 'sh', args: ['-c', 'echo before; echo err >&2; sleep 1.5; echo after; exit 7'] });
  await until(a, uuid, (s) => s.status === 'RUNNING');
  await a.close();
  const pid = supervisorPid(dataDir, uuid);
  assert.ok(alive(pid), 'the supervisor outlives the daemon');
  const b = await startTestDaemon({ dataDir });
  const s = await until(b, uuid, (x) => x.status !== 'RUNNING');
  assert.is(s.status, 'FAILED');
  assert.is(s.exit_code, 7);
  // stdout and stderr are two pipes: their order is kept within each, and here across them by the sleep
  assert.is(await output(b, uuid), 'before\nerr\nafter\n');
  // one output event per byte range of the spool, in order, none repeated
  const ends = b.daemon.readLog().flatMap(({ event }) => (event.type === 'JobOutputWritten' && event.jobId === uuid ? [event.spoolEnd ?? -1] : []));
  assert.ok(ends.every((e, i) => e > (i === 0 ? 0 : ends[i - 1])), `spool ends ${ends}`);
  await b.close();
});

test('a job that ended while the daemon was down is recorded with its real exit code and all its output', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const uuid = await run(a, { command: 'sh', args: ['-c', 'sleep 0.5; seq 1 2000; exit 3'] });
  await until(a, uuid, (s) => s.status === 'RUNNING');
  await a.close();
  const pid = supervisorPid(dataDir, uuid);
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(alive(pid), 'the job ended while no daemon ran');
  const b = await startTestDaemon({ dataDir });
  const s = await until(b, uuid, (x) => x.status !== 'RUNNING');
  assert.equal([s.status, s.exit_code], ['FAILED', 3]);
  assert.is(await output(b, uuid), Array.from({ length: 2000 }, (_, i) => `${i + 1}\n`).join(''));
  assert.is(statSync(supervisorPaths(dataDir, uuid).spool).size, 0, 'the spool is emptied once the end is in the log');
  await b.close();
});

test('a re-attached job can be stopped, and its timeout still counts from its start', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const stopped = await run(a, { command: 'sleep', args: ['60'] });
  const timed = await run(a, { command: 'sleep', args: ['60'], timeout: '2s' });
  await until(a, stopped, (s) => s.status === 'RUNNING');
  await until(a, timed, (s) => s.status === 'RUNNING');
  await a.close();
  const b = await startTestDaemon({ dataDir });
  await call(b.jobs(), 'StopJob', { uuid: stopped });
  assert.is((await until(b, stopped, (x) => x.status !== 'RUNNING')).status, 'STOPPED');
  const t = await until(b, timed, (x) => x.status !== 'RUNNING');
  assert.is(t.status, 'TIMEOUT');
  const ran = Date.parse(t.end_time) - Date.parse(t.start_time);
  assert.ok(ran >= 1900 && ran < 6000, `timed out after ${ran} ms`);
  await b.close();
});

test('a job whose supervisor was killed while the daemon was down is recorded FAILED with the reason', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const uuid = await run(a, { command: 'sleep', args: ['60'] });
  await until(a, uuid, (s) => s.status === 'RUNNING');
  await a.close();
  const pid = supervisorPid(dataDir, uuid);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  const b = await startTestDaemon({ dataDir });
  const s = await until(b, uuid, (x) => x.status !== 'RUNNING');
  assert.is(s.status, 'FAILED');
  const job = (await list(b)).find((j) => j.uuid === uuid)!;
  assert.match(job.status, 'FAILED');
  const finished = b.daemon.readLog().map((e) => e.event).find((e) => e.type === 'JobFinished' && e.jobId === uuid);
  assert.match((finished as { reason?: string }).reason ?? '', /supervisor \(pid \d+\) is gone and left no exit status/);
  await b.close();
});

test('a corrupt status file stops the daemon from starting, naming the file and the recovery step', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const uuid = await run(a, { command: 'sleep', args: ['30'] });
  await until(a, uuid, (s) => s.status === 'RUNNING');
  await a.close();
  const status = supervisorPaths(dataDir, uuid).statusFile;
  process.kill(supervisorPid(dataDir, uuid), 'SIGKILL');
  writeFileSync(status, 'garbage\n');
  try {
    await startTestDaemon({ dataDir });
    assert.unreachable('started');
  } catch (err) {
    assert.match((err as Error).message, `${status}: launcher status line "garbage"`);
    assert.match((err as Error).message, `mv ${status} ${status}.corrupt`);
  }
  renameSync(status, `${status}.corrupt`);
  const b = await startTestDaemon({ dataDir });
  assert.is((await until(b, uuid, (x) => x.status !== 'RUNNING')).status, 'FAILED');
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
