// The event log as an audit trail, on a real daemon with real jobs, read by the real `joblet
// replay` binary: the hash chain verifies (also while the daemon is writing), a flipped byte in a
// copy fails at the right position, `--at` reproduces ListJobs as it was, a permission-denied
// attempt shows up with the caller's CN, every command event carries the caller's peer address,
// secret values appear nowhere (not in the LMDB file, not in any output), and replay never writes
// the log it reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, call, FINAL, type TestDaemon } from '../support/testDaemon.js';
import { flipMarker, fingerprint, sameFile } from '../support/logFiles.js';
import type { ExportRecord } from '../../src/replay/exportRecord.js';
import type { Job__Output } from '../../src/gen/joblet/Job.js';

const joblet = join(process.cwd(), 'bin', 'joblet.js');
const SECRET = 'hunter2-Zq8-not-in-any-log';
const MARKER = `TAMPER-MARK-${process.pid}`;

let d: TestDaemon;
let logFile = '';
const scratch = mkdtempSync(join(tmpdir(), 'joblet-audit-'));
const ids: Record<string, string> = {};
let listedAt = 0;
let listed: Job__Output[] = [];

function replay(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => execFile(process.execPath, [joblet, 'replay', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
    (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err })));
}
const exported = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as ExportRecord);

async function waitFinal(uuid: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const { status } = await call<{ status: string }>(d.jobs('admin'), 'GetJobStatus', { uuid });
    if (FINAL.includes(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${uuid} did not finish`);
}

test.before(async () => {
  d = await startTestDaemon();
  logFile = join(d.dataDir, 'events', 'events.mdb');
  const dev = d.jobs('developer');
  // The job proves it received its secret (by length, so the value is in no argument or output).
  const withSecret = await call<{ job_uuid: string }>(dev, 'RunJob', {
    command: 'sh', args: ['-c', `test "\${#TOKEN}" -eq ${SECRET.length}`], secret_environment: { TOKEN: SECRET },
  });
  ids.secret = withSecret.job_uuid;
  ids.marked = (await call<{ job_uuid: string }>(dev, 'RunJob', { command: 'true', args: [MARKER] })).job_uuid;
  ids.secretStatus = await waitFinal(ids.secret);
  await waitFinal(ids.marked);
  // Quiet now (every job ended): this is what a client saw at this log position.
  listed = (await call<{ jobs: Job__Output[] }>(d.jobs('reader'), 'ListJobs', {})).jobs;
  listedAt = d.daemon.logPosition();
  // Later history: a refused attempt, a deletion, a stopped job.
  await call(d.jobs('reader'), 'RunJob', { command: 'true' }).then(() => assert.unreachable('a reader may not run jobs'), (e: grpc.ServiceError) => assert.is(e.code, grpc.status.PERMISSION_DENIED));
  await call(dev, 'DeleteJob', { uuid: ids.marked });
  ids.stopped = (await call<{ job_uuid: string }>(dev, 'RunJob', { command: 'sleep', args: ['30'] })).job_uuid;
  // Stop it once it runs, so its history has a start and a stop request (not a stop before launch).
  for (let i = 0; i < 200 && (await call<{ status: string }>(dev, 'GetJobStatus', { uuid: ids.stopped })).status !== 'RUNNING'; i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  await call(d.jobs('admin'), 'StopJob', { uuid: ids.stopped });
});
test.after(async () => {
  await d.close();
  rmSync(scratch, { recursive: true, force: true });
});

test('a real job with a secret ran, and the secret value is nowhere in the LMDB file', () => {
  assert.is(ids.secretStatus, 'COMPLETED', 'the job did not get its secret');
  assert.is(readFileSync(logFile).indexOf(Buffer.from(SECRET)), -1);
  assert.ok(readFileSync(logFile).indexOf(Buffer.from(MARKER)) >= 0, 'self-check: argument values are in the file');
});

test('the chain verifies on the live log while the daemon runs', async () => {
  const r = await replay('--data-dir', d.dataDir, '--verify');
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`^ok: ${d.daemon.logPosition()} events verified \\(positions 1\\.\\.${d.daemon.logPosition()}\\), chain head [0-9a-f]{64}$`, 'm'));
});

test('--at reproduces the job table ListJobs returned at that position', async () => {
  const r = await replay('--data-dir', d.dataDir, '--at', String(listedAt), '--json');
  assert.is(r.code, 0, r.err);
  const got = JSON.parse(r.out) as { position: number; jobs: Job__Output[] };
  assert.is(got.position, listedAt);
  assert.equal(got.jobs, listed);
  assert.is(listed.length, 2);
  const now = await replay('--data-dir', d.dataDir, '--at', String(d.daemon.logPosition()));
  assert.not.match(now.out, ids.marked, 'the deleted job is gone from the later table');
  assert.match(now.out, ids.stopped);
});

test('a permission-denied attempt is recorded with the caller\'s CN; command events carry the peer', async () => {
  const r = await replay('--data-dir', d.dataDir, '--export', '-');
  assert.is(r.code, 0, r.err);
  const events = exported(r.out);
  assert.is(events.length, d.daemon.logPosition());
  const denied = events.filter((e) => e.type === 'RequestRejected');
  assert.is(denied.length, 1);
  assert.equal([denied[0].caller?.cn, denied[0].caller?.role, denied[0].fields.code, denied[0].fields.method],
    ['joblet-reader', 'reader', 'PERMISSION_DENIED', 'joblet.JobService/RunJob']);
  const commands = events.filter((e) => e.caller && e.caller.role !== 'system' && e.type !== 'RequestRejected');
  assert.equal([...new Set(commands.map((e) => e.type))].sort(), ['JobDeleted', 'JobStopRequested', 'JobSubmitted']);
  for (const e of [...commands, ...denied]) assert.match(e.caller?.peer ?? '', /^127\.0\.0\.1:\d+$/, JSON.stringify(e));
  assert.ok(events.every((e) => /^[0-9a-f]{64}$/.test(e.hash ?? '')));
  const lines = await replay('--data-dir', d.dataDir, '--user', 'joblet-reader');
  assert.match(lines.out, /RequestRejected\s+-\s+joblet-reader\/reader\s+joblet\.JobService\/RunJob PERMISSION_DENIED: role reader may not call/);
});

test('secret values appear in no replay output', async () => {
  const outputs = await Promise.all([
    replay('--data-dir', d.dataDir), replay('--data-dir', d.dataDir, '--export', '-', '--include-output'),
    replay('--data-dir', d.dataDir, '--job', ids.secret), replay('--data-dir', d.dataDir, '--at', String(listedAt), '--json'),
    replay('--data-dir', d.dataDir, '--diff', '1', String(d.daemon.logPosition()), '--json'),
  ]);
  for (const r of outputs) {
    assert.is(r.code, 0, r.err);
    assert.not.ok(r.out.includes(SECRET));
  }
  assert.match(outputs[2].out, /secrets TOKEN/, 'the secret name is recorded');
});

test('--job and --diff tell a job\'s life and what changed', async () => {
  const h = await replay('--data-dir', d.dataDir, '--job', ids.stopped.slice(0, 13));
  const types = h.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[2]);
  // Launching and queueing appear only when the job waited; the rest is every job's life.
  assert.equal(types.filter((t) => t !== 'JobLaunching' && t !== 'JobQueued' && t !== 'JobMetricsSampled'), ['JobSubmitted', 'JobStarted', 'JobStopRequested', 'JobFinished']);
  assert.match(h.out, /JobStopRequested\s+\S+\s+joblet-admin\/admin\s+stop requested \(user\)/);
  assert.match(h.out, /JobFinished\s+\S+\s+-\s+STOPPED exit -1/);
  const diff = await replay('--data-dir', d.dataDir, '--diff', String(listedAt), String(d.daemon.logPosition()));
  assert.match(diff.out, `+ ${ids.stopped}  STOPPED  sleep 30`);
  assert.match(diff.out, `- ${ids.marked}`);
});

test('one flipped byte inside an event in a copy of the log: --verify fails at that position', async () => {
  const submitted = exported((await replay('--data-dir', d.dataDir, '--export', '-', '--type', 'JobSubmitted')).out)
    .find((e) => e.jobId === ids.marked)!;
  const copy = join(scratch, 'copy', 'events');
  mkdirSync(copy, { recursive: true });
  copyFileSync(logFile, join(copy, 'events.mdb'));
  assert.ok(flipMarker(join(copy, 'events.mdb'), MARKER) >= 1);
  const r = await replay('--data-dir', join(scratch, 'copy'), '--verify');
  assert.is(r.code, 2, r.out + r.err);
  assert.match(r.out, `BROKEN at position ${submitted.position}: hash mismatch`);
  assert.match(r.out, `(${submitted.position - 1} events before it verified)`);
});

test('replay never writes the log it reads (bytes and mtime, after the daemon stopped)', async () => {
  await d.daemon.close();
  const before = fingerprint(logFile);
  await new Promise((r) => setTimeout(r, 20));
  for (const args of [['--verify'], ['--at', '3'], ['--export', '-'], ['--job', ids.secret], ['--diff', '1', '5'], []]) {
    const r = await replay('--data-dir', d.dataDir, ...args);
    assert.is(r.code, 0, `${args.join(' ')}: ${r.err}`);
  }
  assert.ok(sameFile(before, fingerprint(logFile)), 'events.mdb changed');
});

test.run();
