// SIGKILL of the persist child while a job prints continuously: the daemon restarts it, the new
// child cuts its files back to the checkpoint and resumes from there, and in the end the files
// hold every line exactly once and in order. Two kills, so a restart is also killed mid-catch-up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import { jobDir, numbered, persisted, readJobFiles, runJob, untilEnded } from './persistFixture.js';

let d: TestDaemon;
test.before(async () => { d = await startTestDaemon(); });
test.after(async () => { await d.close(); });

const LINES = 30_000;
// About 2 s of output in bursts, so the kills land while records are being appended.
const SCRIPT = `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo line$i; if [ $((i % 500)) -eq 0 ]; then echo e$i >&2; sleep 0.03; fi; done`;

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(d.daemon.persist.facts())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function killChild(minLogBytes: number, raw: string): Promise<void> {
  // Mid-write: the job's raw log is growing past what the last kill saw.
  await until(`${raw} to pass ${minLogBytes} bytes`, () => existsSync(raw) && statSync(raw).size > minLogBytes);
  const pid = d.daemon.persist.childPid;
  assert.ok(pid, 'the persist child runs');
  const restarts = d.daemon.persist.restarts;
  process.kill(pid!, 'SIGKILL');
  await until('the persist child to restart', () => d.daemon.persist.restarts > restarts && d.daemon.persist.childPid !== undefined && d.daemon.persist.childPid !== pid);
}

test('killed twice mid-write: every line once, in order, in the compressed log', async () => {
  const id = await runJob(d, 'sh', ['-c', SCRIPT]);
  const raw = join(jobDir(d, id), 'output.log');
  await killChild(20_000, raw);
  await killChild(statSync(raw).size + 20_000, raw);
  const s = await untilEnded(d, id);
  assert.is(s.status, 'COMPLETED');
  await persisted(d);
  const f = readJobFiles(jobDir(d, id));
  assert.ok(f.compressed);
  assert.is(f.stdout, numbered('line', LINES));
  assert.is(f.stderr, Array.from({ length: LINES / 500 }, (_, i) => `e${(i + 1) * 500}\n`).join(''));
  const positions = f.records.map((r) => r.position);
  assert.equal(positions, [...positions].sort((a, b) => a - b), 'records in log order');
  assert.is(new Set(positions).size, positions.length, 'no record twice');
  assert.is(d.daemon.persist.restarts, 2);
  // The restarted child serves the same history over its socket.
  const { chunks } = await d.daemon.persist.history.read(id, 1);
  const got: Buffer[] = [];
  for await (const c of chunks) if (c.stream === 'stdout') got.push(Buffer.from(c.data));
  assert.is(Buffer.concat(got).toString(), numbered('line', LINES));
});

test.run();
