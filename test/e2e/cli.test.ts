// rnx end to end: a real `joblet` daemon (bin/joblet.js, temp data dir, free loopback port, the
// mTLS configs it writes) driven by `node bin/rnx.js` as a separate process, the way scripts use it.
// Output lines marked (parsed) in spec/rnx-cli.md are matched exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RNX_BIN, startDaemonBinary, type DaemonBinary } from '../support/daemonBinary.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rnx-e2e-'));
const adminConfig = join(dataDir, 'config', 'rnx-config.yml');
let daemon: DaemonBinary | undefined;

interface Result { out: string; err: string; code: number }

function rnx(args: string[], config = adminConfig, cwd = dataDir): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RNX_BIN, '--config', config, ...args], { cwd, encoding: 'utf8', timeout: 30_000 }, (err, out, stderr) => {
      resolve({ out, err: stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

function idOf(r: Result): string {
  const m = /^ID: ([0-9a-f-]{36})$/m.exec(r.out);
  if (!m) throw new Error(`no "ID: <uuid>" line in:\n${r.out}${r.err}`);
  return m[1];
}

const statusLine = (out: string) => /^Status: (\S+)$/m.exec(out)?.[1];

async function waitForStatus(id: string, want: string[], ms = 15_000): Promise<Result> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await rnx(['job', 'status', id]);
    if (want.includes(statusLine(r.out) ?? '')) return r;
    if (Date.now() > until) throw new Error(`job ${id} not in ${want.join('/')} after ${ms} ms:\n${r.out}${r.err}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test.before(async () => { daemon = await startDaemonBinary(dataDir); });
test.after(async () => {
  await daemon?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let helloId = '';

test('run echo hello: submitted block, listed, COMPLETED with exit code 0, log is exactly the output', async () => {
  const run = await rnx(['job', 'run', 'echo', 'hello']);
  assert.is(run.code, 0, run.err);
  assert.is(run.err, '');
  helloId = idOf(run);
  assert.equal(run.out.split('\n').slice(0, 4), ['Job submitted:', `ID: ${helloId}`, 'Command: echo hello', `Status: ${statusLine(run.out)}`]);
  const done = await waitForStatus(helloId, ['COMPLETED', 'FAILED']);
  assert.match(done.out, new RegExp(`^Job ID: ${helloId}\nCommand: echo hello\nStatus: COMPLETED\n`));
  assert.match(done.out, /\nResult:\n {2}Exit Code: 0\n/);
  const list = await rnx(['job', 'list']);
  assert.match(list.out.split('\n')[0], /^ID\s+NODE ID\s+STATUS\s+START TIME\s+COMMAND$/);
  assert.match(list.out, new RegExp(`^${helloId}\\s+\\S+\\s+COMPLETED\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+echo hello$`, 'm'));
  const log = await rnx(['job', 'log', helloId]);
  assert.is(log.code, 0, log.err);
  assert.is(log.out, 'hello\n');
});

test('the job command keeps its own flags and quoting; a failing job shows its exit code', async () => {
  const run = await rnx(['run', 'sh', '-c', 'echo "a  b"; exit 3']);
  const id = idOf(run);
  const done = await waitForStatus(id, ['FAILED', 'COMPLETED']);
  assert.is(statusLine(done.out), 'FAILED');
  assert.match(done.out, /\nResult:\n {2}Exit Code: 3\n/);
  assert.is((await rnx(['log', id])).out, 'a  b\n');
});

test('a job over its memory limit: FAILED, and status says it was OOM-killed', async () => {
  const id = idOf(await rnx(['job', 'run', '--max-memory=32', 'python3', '-c', "b = b'x' * (200 << 20)"]));
  const done = await waitForStatus(id, ['FAILED', 'COMPLETED']);
  assert.is(statusLine(done.out), 'FAILED');
  assert.match(done.out, /\n {2}Reason: oom-killed: the job exceeded its memory limit of 32 MiB\n/);
  assert.match((await rnx(['--json', 'job', 'status', id])).out, /"reason": "oom-killed/);
});

test('uploads and environment reach the job', async () => {
  const work = mkdtempSync(join(tmpdir(), 'rnx-e2e-up-'));
  try {
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    const run = await rnx(['job', 'run', '--upload', './data/', '-e', 'GREETING=hi', 'sh', '-c', 'cat data/a.txt; echo $GREETING'], adminConfig, work);
    assert.ok(run.out.includes('\nFiles: 1 uploaded\n') && run.out.includes('\nEnvironment: 1 variables set\n'), run.out + run.err);
    const id = idOf(run);
    await waitForStatus(id, ['COMPLETED']);
    assert.is((await rnx(['job', 'log', id])).out, 'alpha\nhi\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('stop a running job → STOPPED', async () => {
  const id = idOf(await rnx(['job', 'run', 'sleep', '30']));
  await waitForStatus(id, ['RUNNING']);
  const stop = await rnx(['job', 'stop', id]);
  assert.is(stop.code, 0, stop.err);
  assert.is(stop.out.split('\n').slice(0, 3).join('\n'), `Job stopped successfully:\nID: ${id}\nStatus: STOPPED`);
  assert.is(statusLine((await rnx(['job', 'status', id])).out), 'STOPPED');
});

test('cancel a scheduled job → CANCELED', async () => {
  const run = await rnx(['job', 'run', '--schedule', '1h', 'echo', 'later']);
  assert.is(statusLine(run.out), 'SCHEDULED', run.out + run.err);
  assert.match(run.out, /^Scheduled: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/m);
  const id = idOf(run);
  const cancel = await rnx(['job', 'cancel', id]);
  assert.is(cancel.out, `Job canceled successfully:\nID: ${id}\nStatus: CANCELED\n`, cancel.err);
});

test('a short prefix works; an unknown id says not found and fails', async () => {
  const byPrefix = await rnx(['job', 'status', helloId.slice(0, 8)]);
  assert.match(byPrefix.out, new RegExp(`^Job ID: ${helloId}$`, 'm'));
  const unknown = await rnx(['job', 'status', 'ffffffff-0000-4000-8000-000000000000']);
  assert.ok(unknown.code !== 0);
  assert.match(unknown.err, /^Error: .*not found/);
  assert.is(unknown.err.split('\n').length, 2, 'one line');
});

test('--json outputs parse', async () => {
  const run = JSON.parse((await rnx(['--json', 'job', 'run', 'true'])).out);
  assert.match(run.job_uuid, /^[0-9a-f-]{36}$/);
  assert.is(run.command, 'true');
  const list = JSON.parse((await rnx(['job', 'list', '--json'])).out) as { id: string; command: string }[];
  assert.ok(list.some((j) => j.id === helloId && j.command === 'echo'));
  const status = JSON.parse((await rnx(['job', 'status', '--json', helloId])).out);
  assert.equal([status.uuid, status.status, status.exitCode, status.args], [helloId, 'COMPLETED', 0, ['hello']]);
  await waitForStatus(run.job_uuid, ['COMPLETED']);
});

test('--version prints the client and the server line', async () => {
  const v = await rnx(['--version']);
  assert.is(v.code, 0, v.err);
  assert.match(v.out, /^rnx \d+\.\d+\.\d+\S*\njoblet \S+\n$/);
});

test('a reader may list but not run', async () => {
  const reader = join(dataDir, 'config', 'rnx-config-reader.yml');
  assert.is((await rnx(['job', 'list'], reader)).code, 0);
  const run = await rnx(['job', 'run', 'true'], reader);
  assert.ok(run.code !== 0);
  assert.match(run.err, /^Error: permission denied: .*\n$/);
});

test('delete one job, then delete-all', async () => {
  const del = await rnx(['job', 'delete', helloId]);
  assert.is(del.code, 0, del.err);
  assert.match(del.out, new RegExp(`^Job deleted successfully:\nID: ${helloId}\n`));
  assert.match((await rnx(['job', 'status', helloId])).err, /not found/);
  const all = await rnx(['job', 'delete-all']);
  assert.is(all.code, 0, all.err);
  assert.match(all.out, /^Jobs deleted successfully:\nDeleted: \d+\nSkipped: \d+\n/);
  const left = JSON.parse((await rnx(['job', 'list', '--json'])).out) as { status: string }[];
  assert.ok(left.every((j) => !['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'].includes(j.status)), JSON.stringify(left));
});

test.run();
