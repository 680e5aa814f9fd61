// `rnx job metrics` and the metrics line of `rnx job history`, end to end: a real daemon sampling
// once a second and `node bin/rnx.js` as a separate process (not a terminal, so no chart).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon, type TestRole } from '../support/testDaemon.js';

const rnxBin = join(process.cwd(), 'bin', 'rnx.js');
let d: TestDaemon;

interface Result { out: string; err: string; code: number }

function rnx(args: string[], role: TestRole = 'admin'): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [rnxBin, '--config', d.configFile(role), ...args], { encoding: 'utf8', timeout: 60_000 }, (err, out, stderr) => {
      resolve({ out, err: stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

function idOf(r: Result): string {
  const id = /^ID: ([0-9a-f-]{36})$/m.exec(r.out)?.[1];
  if (!id) throw new Error(`no ID line in ${r.out}${r.err}`);
  return id;
}

test.before(async () => { d = await startTestDaemon({ configYaml: 'joblet:\n  metricsInterval: 1s\n' }); });
test.after(async () => { await d?.close(); });

test('rnx job metrics --json follows a running job from its start to its end: one JSON object per sample', async () => {
  const id = idOf(await rnx(['job', 'run', '--max-cpu=50', 'timeout', '2', 'sh', '-c', 'while :; do :; done'], 'developer'));
  // started while the job runs: history, then live samples, and it returns by itself at the end
  const r = await rnx(['job', 'metrics', id.slice(0, 8), '--json'], 'reader');
  assert.is(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
  assert.ok(lines.length >= 2, `samples: ${r.out}`);
  for (const s of lines) {
    for (const k of ['unixMs', 'cpuPercent', 'memoryBytes', 'memoryLimitBytes', 'memoryPeakBytes', 'ioReadBytes', 'ioWriteBytes', 'pids']) assert.type(s[k], 'number', k);
    assert.match(String(s.time), /Z$/);
  }
  assert.is(lines.at(-1)!.pids, 0, 'the exit sample comes last');
  assert.ok(lines.slice(0, -1).every((s) => (s.cpuPercent as number) <= 75), 'under max_cpu=50');
  assert.match((await rnx(['job', 'status', id])).out, /^Status: FAILED$/m);  // timeout's exit 124
  // text: one line per sample with cpu, mem, io, pids and net
  const text = await rnx(['job', 'metrics', id]);
  assert.is(text.code, 0, text.err);
  const rows = text.out.trim().split('\n');
  assert.is(rows.length, lines.length);
  for (const row of rows) assert.match(row, /^\S+Z  cpu +\d+\.\d%  mem \S+ \S+ \/ unlimited \(peak .+\)  io r .+ w .+  pids \d+  net rx .+ tx .+$/);
});

test('rnx job history shows the metrics summary; an unknown job is an error', async () => {
  const id = idOf(await rnx(['job', 'run', 'sh', '-c', 'head -c 8388608 /dev/zero > /tmp/f; sleep 1.5'], 'developer'));
  await rnx(['job', 'metrics', id]);  // returns once the job ended
  const h = await rnx(['job', 'history', id]);
  assert.is(h.code, 0, h.err);
  assert.match(h.out, /^Metrics: \d+ samples?, cpu avg \d+\.\d% peak \d+\.\d%, memory peak \d+\.\d MiB$/m);
  assert.not.match(h.out, /JobMetricsSampled|\smetrics\s/, 'samples are not timeline steps');
  const j = JSON.parse((await rnx(['job', 'history', id, '--json'])).out) as { metrics: { samples: number; memory_peak_bytes: number } };
  assert.ok(j.metrics.samples >= 2);
  assert.ok(j.metrics.memory_peak_bytes >= 8 * 2 ** 20, `8 MiB in tmpfs: ${j.metrics.memory_peak_bytes}`);
  const bad = await rnx(['job', 'metrics', '00000000-0000-4000-8000-000000000000']);
  assert.is.not(bad.code, 0);
  assert.match(bad.err, /not found/i);
});

test.run();
