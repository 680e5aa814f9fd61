// Isolation and limits through the whole daemon (RunJob → config → launcher → cgroup → events):
// the controls that need the daemon's part — defaults from config, OOM recorded in the log,
// timeout and stop leaving nothing behind (spec/isolation.md rows 9, 16, 17, 21, 22).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { startTestDaemon, call, FINAL, collect, type TestDaemon } from '../support/testDaemon.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import type { RunJobRequest } from '../../src/gen/joblet/RunJobRequest.js';

let d: TestDaemon;
let jobs: JobServiceClient;
test.before(async () => {
  d = await startTestDaemon({ configYaml: 'joblet:\n  stopGracePeriod: 200ms\nisolation:\n  pidsMax: 40\n' });
  jobs = d.jobs('developer');
});
test.after(async () => { await d.close(); });

const runJob = (req: Partial<RunJobRequest>) => call<{ job_uuid: string }>(jobs, 'RunJob', req);
const ended = (s: Status) => FINAL.includes(s.status);
async function until(uuid: string, want: (s: Status) => boolean, ms = 20_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<Status>(jobs, 'GetJobStatus', { uuid });
    if (want(s) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const output = async (uuid: string) => Buffer.concat((await collect<{ payload: Buffer }>(jobs, 'GetJobLogs', { uuid })).map((c) => c.payload)).toString();
/** The first line of a running job's live output (GetJobLogs follows until the end, so cancel). */
function firstLine(uuid: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const stream = (jobs as unknown as { GetJobLogs(r: unknown): import('@grpc/grpc-js').ClientReadableStream<{ payload: Buffer }> }).GetJobLogs({ uuid });
    stream.on('data', (c) => { text += c.payload.toString(); if (text.includes('\n')) { stream.cancel(); resolve(text.split('\n')[0]); } });
    stream.on('error', (e: { code?: number }) => { if (e.code !== 1) reject(e); });
    stream.on('end', () => resolve(text));
  });
}
const uniqueSleep = () => `1000.${process.pid}${Date.now() % 1_000_000}`;
const hostPids = (marker: string) => { try { return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim(); } catch { return ''; } };

test('a job runs as the unprivileged user, in its own root, with the config pids limit', async () => {
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', 'id -u; id -G; pwd; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || grep -c . /proc/self/cgroup; test -e /opt && echo opt-visible || echo no-opt'] });
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'COMPLETED', await output(job_uuid));
  const lines = (await output(job_uuid)).trim().split('\n');
  assert.is(lines[0], '65534');
  assert.is(lines[1], '65534');
  assert.is(lines[2], '/work');
  assert.is(lines[lines.length - 1], 'no-opt');
});

test('a fork bomb stops at the pids limit and the job can still be stopped', async () => {
  // python keeps going when fork fails (a shell would exit), so the bomb stays alive at the limit
  const marker = uniqueSleep();
  const bomb = `import os, time\nforks = 0\nfor i in range(300):\n  try:\n    if os.fork() == 0:\n      os.execvp('sleep', ['sleep', '${marker}'])\n    forks += 1\n  except OSError:\n    pass\nprint(forks, flush=True)\ntime.sleep(60)\n`;
  const { job_uuid } = await runJob({ command: 'python3', args: ['-c', bomb] });
  await until(job_uuid, (s) => s.status === 'RUNNING');
  const forks = Number((await firstLine(job_uuid)).trim());
  assert.ok(forks > 0 && forks < 40, `forks that succeeded: ${forks} (pids limit 40)`);
  // The cgroup holds init and python beside the sleeps, so at most 38 sleeps fit under pids.max 40.
  const sleeps = hostPids(`^sleep ${marker}`).split('\n').filter(Boolean).length;
  assert.ok(sleeps > 0 && sleeps <= 38, `${sleeps} forked sleeps alive on the host (pids limit 40)`);
  const res = await call<{ status: string }>(jobs, 'StopJob', { uuid: job_uuid });
  assert.is(res.status, 'STOPPED');
  assert.is(hostPids(marker), '');
});

test('over max_memory: the whole job is OOM-killed and the log records why', async () => {
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', `sleep 30 & python3 -c "b = b'x' * (200 << 20)"; wait`], max_memory: 32 });
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'FAILED');
  const finished = d.daemon.readLog().map((e) => e.event).find((e) => e.type === 'JobFinished' && e.jobId === job_uuid);
  assert.ok(finished && finished.type === 'JobFinished' && finished.reason?.startsWith('oom-killed'), JSON.stringify(finished));
});

test('timeout kills the job and all its children: TIMEOUT, exit 124, nothing left', async () => {
  const marker = uniqueSleep();  // a sleep duration no other process has: pgrep finds exactly the job's
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', `setsid sleep ${marker} & sleep ${marker}`], timeout: '500ms' });
  const s = await until(job_uuid, ended);
  assert.is(s.status, 'TIMEOUT');
  assert.is(s.exit_code, 124);
  assert.is(hostPids(marker), '');
});

test('stop leaves no process of the job, daemonized grandchildren included', async () => {
  const marker = uniqueSleep();
  const { job_uuid } = await runJob({ command: 'sh', args: ['-c', `(setsid sh -c "sleep ${marker}" &) ; trap "" TERM; sleep ${marker}`] });
  await until(job_uuid, (s) => s.status === 'RUNNING');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(hostPids(marker) !== '', 'the job processes exist before stop');
  const res = await call<{ status: string }>(jobs, 'StopJob', { uuid: job_uuid });
  assert.is(res.status, 'STOPPED');
  assert.is(hostPids(marker), '');
});

test.run();
