// Every JobService RPC against a real daemon running real jobs: results, statuses and exit codes
// as spec/joblet-api.md defines them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, call, FINAL, collect, type TestDaemon } from '../support/testDaemon.js';
import { supervisorPaths } from '../support/supervisorPaths.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import type { RunJobRequest } from '../../src/gen/joblet/RunJobRequest.js';

let d: TestDaemon;
let jobs: JobServiceClient;

test.before(async () => {
  d = await startTestDaemon({ configYaml: 'joblet:\n  stopGracePeriod: 200ms\n' });
  jobs = d.jobs('developer');
});
test.after(async () => { await d.close(); });

const runJob = (req: Partial<RunJobRequest>) => call<{ job_uuid: string; status: string }>(jobs, 'RunJob', req);
const status = (uuid: string) => call<Status>(jobs, 'GetJobStatus', { uuid });

async function until(uuid: string, want: (s: Status) => boolean, ms = 10_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status(uuid);
    if (want(s) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const ended = (s: Status) => FINAL.includes(s.status);

test('echo hello: COMPLETED, exit 0, logs are exactly the output', async () => {
  const { job_uuid } = await runJob({ command: 'echo', args: ['hello'] });
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'COMPLETED');
  assert.is(s.exit_code, 0);
  assert.ok(s.start_time && s.end_time, 'times are set');
  assert.ok(Date.parse(s.end_time) >= Date.parse(s.start_time));
  const chunks = await collect<{ payload: Buffer }>(jobs, 'GetJobLogs', { uuid: job_uuid });
  assert.is(Buffer.concat(chunks.map((c) => c.payload)).toString(), 'hello\n');
});

test('a failing command: FAILED with its exit code; a missing one: FAILED with a reason', async () => {
  const a = await runJob({ command: 'sh', args: ['-c', 'exit 3'] });
  assert.is((await until(a.job_uuid, ended)).exit_code, 3);
  assert.is((await status(a.job_uuid)).status, 'FAILED');
  const b = await runJob({ command: 'no-such-command-xyz' });
  assert.is((await until(b.job_uuid, ended)).status, 'FAILED');
});

test('GetJobLogs streams live output to a reader that joins mid-way, then closes at the end', async () => {
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done'] });
  await new Promise((r) => setTimeout(r, 150));
  const chunks = await collect<{ payload: Buffer }>(jobs, 'GetJobLogs', { uuid: job_uuid });
  assert.is(Buffer.concat(chunks.map((c) => c.payload)).toString(), 'line1\nline2\nline3\nline4\nline5\n');
  assert.is((await status(job_uuid)).status, 'COMPLETED');
});

test('StopJob: STOPPED with exit -1, even for a job that ignores SIGTERM', async () => {
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', 'trap "" TERM; sleep 60'] });
  await until(job_uuid, (s) => s.status === 'RUNNING');
  const res = await call<{ status: string; exit_code: number; end_time: string }>(jobs, 'StopJob', { uuid: job_uuid.slice(0, 8) });
  assert.is(res.status, 'STOPPED');
  assert.is(res.exit_code, -1);
  assert.ok(res.end_time);
});

test('timeout: TIMEOUT with exit 124', async () => {
  const { job_uuid } = await runJob({ command: 'sleep', args: ['30'], timeout: '300ms' });
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'TIMEOUT');
  assert.is(s.exit_code, 124);
});

test('schedule: SCHEDULED, then runs at its time; a past time runs now', async () => {
  const at = new Date(Date.now() + 800).toISOString();
  const { job_uuid, status: first } = await runJob({ command: 'echo', args: ['later'], schedule: at });
  assert.is(first, 'SCHEDULED');
  assert.is((await status(job_uuid)).scheduled_time, at);
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'COMPLETED');
  assert.ok(Date.parse(s.start_time) >= Date.parse(at) - 5, `started ${s.start_time} before ${at}`);
  const past = await runJob({ command: 'true', schedule: '2001-01-01T00:00:00Z' });
  assert.is.not(past.status, 'SCHEDULED');
  assert.is((await until(past.job_uuid, ended)).status, 'COMPLETED');
});

test('CancelJob: a scheduled job becomes CANCELED and never runs', async () => {
  const { job_uuid } = await runJob({ command: 'touch', args: ['ran'], schedule: new Date(Date.now() + 3_600_000).toISOString() });
  const res = await call<{ status: string }>(jobs, 'CancelJob', { uuid: job_uuid });
  assert.is(res.status, 'CANCELED');
  assert.is((await status(job_uuid)).status, 'CANCELED');
});

test('environment, secrets and uploads: the job sees them; responses mask secrets', async () => {
  const { job_uuid } = await runJob({
    command: 'sh',
    args: ['-c', 'echo "$GREETING $TOKEN"; stat -c %a run.sh; sh run.sh; ls data'],
    environment: { GREETING: 'hi' },
    secret_environment: { TOKEN: 's3cr3t-value' },
    uploads: [
      { path: 'run.sh', content: Buffer.from('echo script-ran\n'), mode: 0o750 },
      { path: 'data', is_directory: true, mode: 0o755, content: Buffer.alloc(0) },
      { path: 'data/a.txt', content: Buffer.from('a'), mode: 0o644 },
    ],
  });
  const s = await until(job_uuid, ended);
  const out = Buffer.concat((await collect<{ payload: Buffer }>(jobs, 'GetJobLogs', { uuid: job_uuid })).map((c) => c.payload)).toString();
  assert.is(out, 'hi s3cr3t-value\n750\nscript-ran\na.txt\n');
  assert.equal(s.secret_environment, { TOKEN: '***' });
  assert.equal(s.environment, { GREETING: 'hi' });
  assert.equal([...s.uploads].sort(), ['data', 'data/a.txt', 'run.sh']);
  const list = await call<{ jobs: { uuid: string; secret_environment: Record<string, string> }[] }>(jobs, 'ListJobs', {});
  assert.equal(list.jobs.find((j) => j.uuid === job_uuid)?.secret_environment, { TOKEN: '***' });
  // once its end is in the log, the secret value is gone from the host and the spool is emptied
  const jobDir = join(d.dataDir, 'jobs', job_uuid);
  assert.not.ok(existsSync(join(jobDir, 'secret-env')), 'the secret value is gone');
  const files = supervisorPaths(d.dataDir, job_uuid);
  assert.is(statSync(files.spool).size, 0, 'the spool is emptied');
  // the supervisor's small files: on the tmpfs they go with the end (they hold memory); in the job dir they stay until DeleteJob
  if (files.onTmpfs) assert.not.ok(existsSync(files.stateDir), 'the state dir on the tmpfs is gone');
  else assert.ok(existsSync(files.statusFile), 'the small status file stays until DeleteJob');
});

test('DeleteJob removes a finished job; DeleteAllJobs deletes finished ones and skips active ones', async () => {
  const a = await runJob({ command: 'true' });
  await until(a.job_uuid, ended);
  const del = await call<{ success: boolean }>(jobs, 'DeleteJob', { uuid: a.job_uuid });
  assert.ok(del.success);
  const gone = await status(a.job_uuid).then(() => 'found', (e: { code: number }) => e.code);
  assert.is(gone, 5 /* NOT_FOUND */);
  const sleeper = await runJob({ command: 'sleep', args: ['30'] });
  await until(sleeper.job_uuid, (s) => s.status === 'RUNNING');
  const before = (await call<{ jobs: unknown[] }>(jobs, 'ListJobs', {})).jobs.length;
  const all = await call<{ deleted_count: number; skipped_count: number }>(jobs, 'DeleteAllJobs', {});
  assert.is(all.skipped_count, 1);
  assert.is(all.deleted_count, before - 1);
  const after = await call<{ jobs: { uuid: string }[] }>(jobs, 'ListJobs', {});
  assert.equal(after.jobs.map((j) => j.uuid), [sleeper.job_uuid]);
  await call(jobs, 'StopJob', { uuid: sleeper.job_uuid });
});

test.run();
