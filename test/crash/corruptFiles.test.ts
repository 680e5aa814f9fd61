// Corrupt or truncated files in the data dir: the `joblet` binary refuses to start with a message
// naming the file and the recovery step, and never silently drops history. After the operator's
// step the daemon starts and records what it can no longer know as a FAILED job with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import { refusedStart, startDaemonProcess, type DaemonProcess } from './daemonProcess.js';
import { call } from './workload.js';
import { supervisorPaths, supervisorPid, type SupervisorPaths } from '../support/supervisorPaths.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
const freshDir = () => { const d = mkdtempSync(join(tmpdir(), 'joblet-corrupt-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rootTest = (name: string, fn: () => Promise<void>) => (isRoot ? test(name, fn) : (console.log(`skip: ${name} (needs root)`), test.skip(name)));

async function until(d: DaemonProcess, uuid: string, want: (s: Status) => boolean, ms = 15_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<Status>(d.jobs, 'GetJobStatus', { uuid });
    if (want(s) || Date.now() > end) return s;
    await sleep(50);
  }
}

/** A daemon killed while a job that printed 3 lines runs; its supervisor is killed too. */
async function crashedWithRunningJob(): Promise<{ dataDir: string; uuid: string; files: SupervisorPaths }> {
  const dataDir = freshDir();
  const d = await startDaemonProcess(dataDir);
  const { job_uuid: uuid } = await call<{ job_uuid: string }>(d.jobs, 'RunJob', { command: 'sh', args: ['-c', 'echo 1; echo 2; echo 3; sleep 60'] });
  await until(d, uuid, (s) => s.status === 'RUNNING');
  await sleep(500);  // the three lines reach the log
  await d.kill();
  const files = supervisorPaths(dataDir, uuid);
  process.kill(supervisorPid(dataDir, uuid), 'SIGKILL');
  await sleep(100);
  return { dataDir, uuid, files };
}

rootTest('a truncated output spool: refused, naming the spool and the mv; after the mv the job is FAILED with why', async () => {
  const { dataDir, uuid, files } = await crashedWithRunningJob();
  const spool = files.spool;
  truncateSync(spool, 8);
  const r = await refusedStart(dataDir);
  assert.is.not(r.code, 0);
  assert.match(r.out, `${spool}: truncated: 8 bytes, but the event log already holds its output up to offset`);
  assert.match(r.out, `mv ${spool} ${spool}.corrupt`);
  renameSync(spool, `${spool}.corrupt`);
  const d = await startDaemonProcess(dataDir);
  const s = await until(d, uuid, (x) => x.status !== 'RUNNING');
  assert.is(s.status, 'FAILED');
  await d.stop();
});

rootTest('a garbage pid file and a garbage status file: refused, naming each', async () => {
  const { dataDir, files } = await crashedWithRunningJob();
  const pidFile = files.pidFile;
  writeFileSync(pidFile, 'not a pid\n');
  let r = await refusedStart(dataDir);
  assert.is.not(r.code, 0);
  assert.match(r.out, `${pidFile}: not "<pid> <start time>"`);
  writeFileSync(pidFile, '1 1\n');
  const status = files.statusFile;
  writeFileSync(status, 'started 1\nexited\n');
  r = await refusedStart(dataDir);
  assert.is.not(r.code, 0);
  assert.match(r.out, `${status}: launcher status line "exited"`);
});

rootTest('a truncated event log: refused, naming events.mdb and the recovery step', async () => {
  const dataDir = freshDir();
  const d = await startDaemonProcess(dataDir);
  for (let i = 0; i < 20; i++) await call(d.jobs, 'RunJob', { command: 'echo', args: [`n${i}`] });
  assert.is(await d.stop(), 0);
  const log = join(dataDir, 'events', 'events.mdb');
  truncateSync(log, Math.floor(statSync(log).size / 3));
  const r = await refusedStart(dataDir);
  assert.is.not(r.code, 0);
  assert.match(r.out, 'events.mdb');
  assert.match(r.out, /restore from backup|move the data dir aside/);
});

rootTest('a garbage node-id: refused, naming the file and the fix', async () => {
  const dataDir = freshDir();
  const d = await startDaemonProcess(dataDir);
  assert.is(await d.stop(), 0);
  writeFileSync(join(dataDir, 'node-id'), 'two words\n');
  const r = await refusedStart(dataDir);
  assert.is.not(r.code, 0);
  assert.match(r.out, join(dataDir, 'node-id'));
  assert.match(r.out, 'fix or delete the file');
});

test.run();
