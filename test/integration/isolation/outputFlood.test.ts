// Isolation spec row 23: a job printing without end cannot exhaust the daemon's memory or disk.
// Output past the cap is dropped with one marker line; below the cap a fast writer is slowed by
// the supervisor's writes (backpressure), never dropped; either way the job is otherwise unaffected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeExecutor, rootTest, runJob, sh } from './runJob.js';
import { startTestDaemon, call, collect } from '../../support/testDaemon.js';
import type { GetJobStatusResponse__Output as Status } from '../../../src/gen/joblet/GetJobStatusResponse.js';

const MiB = 1024 * 1024;

rootTest(test, '#23 past the cap output is dropped with one marker line; the job runs to its end at full speed', async () => {
  const t0 = Date.now();
  // 256 MiB of output against a 1 MiB cap; the job then proves it kept running after the cap
  const r = await sh(`head -c ${256 * MiB} /dev/zero | tr '\\0' x; echo; echo still here >&2; exit 3`, { maxOutputBytes: MiB, timeoutMs: 60_000 });
  const ms = Date.now() - t0;
  assert.is(r.exitCode, 3, r.startFailed);
  // the cap keeps the first MiB (all x); the newline, 'still here' and the rest are dropped
  assert.is(r.stdout.length, MiB, 'exactly the cap is kept');
  assert.ok(/^x+$/.test(r.stdout), 'the kept bytes are the first ones, unchanged');
  const dropped = 256 * MiB + '\n'.length + 'still here\n'.length - MiB;
  assert.is(r.stderr, `joblet: output cap of ${MiB} bytes reached: ${dropped} bytes of output were dropped\n`, 'one marker line');
  console.log(`#23: 256 MiB past a 1 MiB cap in ${ms} ms`);
});

rootTest(test, '#23 below the cap a fast writer loses nothing: every byte arrives, in order', async () => {
  const r = await sh(`seq 1 2000000`, { maxOutputBytes: 64 * MiB, timeoutMs: 60_000 });
  assert.is(r.exitCode, 0);
  const lines = r.stdout.split('\n');
  assert.is(lines.length, 2_000_001);
  assert.ok(lines.slice(0, -1).every((l, i) => l === String(i + 1)), 'every line once, in order');
});

rootTest(test, '#23 through the daemon: the cap comes from joblet.maxOutputBytes and the log holds cap + marker', async () => {
  const d = await startTestDaemon({ configYaml: 'joblet:\n  maxOutputBytes: 65536\n' });
  try {
    const rss0 = process.memoryUsage().rss;
    const { job_uuid } = await call<{ job_uuid: string }>(d.jobs(), 'RunJob', { command: 'sh', args: ['-c', `head -c ${64 * MiB} /dev/zero; exit 0`] });
    const end = Date.now() + 60_000;
    let s: Status;
    do { s = await call<Status>(d.jobs(), 'GetJobStatus', { uuid: job_uuid }); await new Promise((r) => setTimeout(r, 50)); } while ((s.status === 'RUNNING' || s.status === 'INITIALIZING') && Date.now() < end);
    assert.is(s.status, 'COMPLETED');
    const out = Buffer.concat((await collect<{ payload: Buffer }>(d.jobs(), 'GetJobLogs', { uuid: job_uuid })).map((c) => c.payload));
    const marker = `joblet: output cap of 65536 bytes reached: ${64 * MiB - 65536} bytes of output were dropped\n`;
    assert.is(out.length, 65536 + marker.length);
    assert.ok(out.subarray(0, 65536).every((b) => b === 0));
    assert.is(out.subarray(65536).toString(), marker);
    console.log(`#23 daemon: rss growth ${((process.memoryUsage().rss - rss0) / MiB).toFixed(1)} MiB for 64 MiB of output`);
  } finally {
    await d.close();
  }
});

test.after(closeExecutor);
test.run();
