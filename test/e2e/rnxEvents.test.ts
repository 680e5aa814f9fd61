// `rnx events` and `rnx job history` end to end: a real daemon (temp data dir, real mTLS, the rnx
// configs it writes) and `node bin/rnx.js` as a separate process, the way scripts and people use
// it. A job's whole life, a refused attempt with the caller's CN, --follow seeing events as they
// happen, filters and flag errors, and no secret value in any output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon, type TestRole } from '../support/testDaemon.js';

const SECRET = 'pa55-Xy9-never-printed';
const LINE = /^(\S+Z)  #(\d+)  (\S+)\s+(\S+)\s+ (\S+)  (.*)$/;
const rnxBin = join(process.cwd(), 'bin', 'rnx.js');

let d: TestDaemon;
let id = '';
const printed: string[] = [];

interface Result { out: string; err: string; code: number }

function rnx(args: string[], role: TestRole = 'admin'): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [rnxBin, '--config', d.configFile(role), ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 }, (err, out, stderr) => {
      printed.push(out, stderr);
      resolve({ out, err: stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

function idOf(r: Result): string {
  const m = /^ID: ([0-9a-f-]{36})$/m.exec(r.out);
  if (!m) throw new Error(`no ID line in ${r.out}${r.err}`);
  return m[1];
}

function parseLine(line: string): RegExpExecArray {
  const m = LINE.exec(line);
  if (!m) throw new Error(`line does not match the layout: ${line}`);
  return m;
}

async function waitDone(jobId: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (/^Status: (COMPLETED|FAILED|STOPPED|CANCELED|TIMEOUT)$/m.test((await rnx(['job', 'status', jobId])).out)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

test.before(async () => {
  d = await startTestDaemon();
  const run = await rnx(['job', 'run', '-s', `TOKEN=${SECRET}`, 'sh', '-c', `test "\${#TOKEN}" -eq ${SECRET.length} && echo hello`], 'developer');
  id = idOf(run);
  await waitDone(id);
});
test.after(async () => { await d?.close(); });

test('rnx events --job: the job\'s whole life, one line per event', async () => {
  const r = await rnx(['events', '--job', id.slice(0, 8)]);
  assert.is(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n').map(parseLine);
  // Queued and Launching are steps the runner may or may not record; the order is what matters.
  const optional = (t: string) => t === 'JobQueued' || t === 'JobLaunching' || t === 'JobMetricsSampled';
  assert.equal(lines.map((m) => m[3]).filter((t) => !optional(t)), ['JobSubmitted', 'JobStarted', 'JobOutputWritten', 'JobFinished']);
  assert.ok(lines.every((m) => m[4] === id.slice(0, 8)));
  assert.equal([lines[0][5], lines[0][6]], ['joblet-developer/developer', `sh -c 'test "\${#TOKEN}" -eq ${SECRET.length} && echo hello' (secrets TOKEN)`]);
  assert.is(lines.find((m) => m[3] === 'JobOutputWritten')![6], 'stdout 6 bytes');
  assert.is(lines.at(-1)![6], 'COMPLETED exit 0');
  const positions = lines.map((m) => Number(m[2]));
  assert.equal(positions, [...positions].sort((a, b) => a - b));
});

test('rnx job history: steps with the time between them, output totals, durations', async () => {
  const r = await rnx(['job', 'history', id.slice(0, 8)]);
  assert.is(r.code, 0, r.err);
  const [head, table, totals] = r.out.split('\n\n');
  assert.is(head, `Job ID: ${id}\nCommand: sh -c test "\${#TOKEN}" -eq ${SECRET.length} && echo hello`);
  const rows = table.split('\n');
  assert.match(rows[0], /^TIME\s+POSITION\s+STEP\s+AFTER\s+DETAIL$/);
  const steps = rows.slice(1).map((row) => row.split(/\s{2,}/)[2]);
  assert.equal(steps.filter((s) => s !== 'queued' && s !== 'launching'), ['submitted', 'started', 'finished']);
  assert.match(rows[1], /\s-\s+sh -c .* \(by joblet-developer\/developer\)$/);
  assert.ok(rows.slice(2).every((row) => /\s\+\d+(\.\d+)?m?s\s/.test(row)), table);
  assert.match(totals, /^Output: stdout 6 bytes, stderr 0 bytes \(1 chunk\)\nMetrics: \d+ samples?, cpu avg \d+\.\d% peak \d+\.\d%, memory peak \d+\.\d MiB\nDurations: waited \S+, ran \S+, total \S+\n$/);
  const j = JSON.parse((await rnx(['job', 'history', id, '--json'])).out);
  assert.equal(j.steps.map((s: { step: string }) => s.step), steps);
  assert.is(j.durations.total_ms, j.durations.waiting_ms + j.durations.running_ms);
});

test('a refused attempt shows up with the caller\'s CN, in rnx events and in the job\'s history', async () => {
  const stop = await rnx(['job', 'stop', id], 'reader');
  assert.match(stop.err, /^Error: permission denied: /);
  const r = await rnx(['events', '--type', 'RequestRejected', '--user', 'joblet-reader']);
  assert.match(r.out, new RegExp(`^\\S+Z  #\\d+  RequestRejected   ${id.slice(0, 8)}  joblet-reader/reader  joblet\\.JobService/StopJob PERMISSION_DENIED: role reader may not call`, 'm'));
  assert.match((await rnx(['job', 'history', id])).out, /\srefused\s.*StopJob PERMISSION_DENIED.*\(by joblet-reader\/reader\)$/m);
  // A developer does not see a reader's refusals (docs/decisions/0010-event-tail-visibility.md).
  assert.is((await rnx(['events', '--type', 'RequestRejected'], 'developer')).out, '');
});

test('--json: one event object per line', async () => {
  const r = await rnx(['events', '--json', '--job', id]);
  const objs = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(objs.map((o) => o.job_id), objs.map(() => id));
  assert.equal(objs[0].submitted.secret_environment, { TOKEN: '***' });
  assert.ok(objs.find((o) => o.type === 'JobStarted').started.pid > 0);
  assert.equal(objs.find((o) => o.type === 'JobOutputWritten').output, { stream: 'stdout', byte_count: 6 });
  assert.equal(objs.find((o) => o.type === 'JobFinished').finished, { status: 'COMPLETED', exit_code: 0, reason: '' });
  assert.equal(objs.at(-1).rejected.method, 'joblet.JobService/StopJob', 'the reader\'s attempt, last');
});

test('--follow prints events as they happen and keeps running', async () => {
  const from = String(d.daemon.logPosition() + 1);
  const child = spawn(process.execPath, [rnxBin, '--config', d.configFile('reader'), 'events', '--follow', '--from', from], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  try {
    const run = await rnx(['job', 'run', 'echo', 'live'], 'developer');
    const live = idOf(run);
    for (let i = 0; i < 200 && !new RegExp(`JobFinished\\s+${live.slice(0, 8)}  -  COMPLETED exit 0\n`).test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, new RegExp(`  #${from}  JobSubmitted\\s+${live.slice(0, 8)}  joblet-developer/developer  echo live\n`));
    assert.match(out, new RegExp(`JobFinished\\s+${live.slice(0, 8)}  -  COMPLETED exit 0\n`));
    assert.is(child.exitCode, null, 'still following');
    printed.push(out);
  } finally {
    child.kill('SIGTERM');
  }
});

test('flag errors: one line, the flag named; --since accepts a duration ago', async () => {
  const since = await rnx(['events', '--since', 'last tuesday']);
  assert.is(since.code, 2);
  assert.match(since.err, /^Error: --since: cannot read "last tuesday"; use a duration ago/);
  const both = await rnx(['events', '--since', '1h', '--from', '1']);
  assert.match(both.err, /^Error: --since and --from both given/);
  const type = await rnx(['events', '--type', 'Bogus']);
  assert.match(type.err, /^Error: invalid request: types: unknown event type "Bogus"/);
  assert.match((await rnx(['events', '--job', 'ffffffff'])).err, /^Error: .*not found/);
  const hour = await rnx(['events', '--since', '1h', '--type', 'JobSubmitted,JobFinished']);
  assert.ok(hour.out.split('\n').filter(Boolean).every((l) => /  #\d+  Job(Submitted|Finished) /.test(l)), hour.out);
  assert.ok(hour.out.includes(id.slice(0, 8)));
  assert.is((await rnx(['events', '--since', '2099-01-01T00:00:00Z'])).out, '');
});

test('a deleted job\'s history stays readable by its full id', async () => {
  assert.is((await rnx(['job', 'delete', id], 'developer')).code, 0);
  const r = await rnx(['job', 'history', id]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /\sdeleted\s+\+\S+\s+deleted \(by joblet-developer\/developer\)$/m);
});

test('no secret value in anything rnx printed', () => {
  assert.ok(printed.join('').length > 2000);
  assert.is(printed.join('').indexOf(SECRET), -1);
});

test.run();
