// Capture waits for a healthy persist child (docs/decisions/0023): a job printing faster than the
// child stores its output keeps the log within about a window of the child's checkpoint (so the
// feed never falls back to re-reading the log, and compaction keeps the log small), and every
// byte still reaches the files. A child that stops checkpointing (SIGSTOP) no longer holds capture
// back: the job ends anyway, and the child catches up once it runs again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import { decodeRecords } from '../../../src/persist/logRecord.js';
import { jobDir, persisted, runJob, untilEnded } from './persistFixture.js';

const MiB = 1024 * 1024;
let d: TestDaemon;
test.before(async () => { d = await startTestDaemon({ configYaml: `joblet:\n  maxOutputBytes: ${512 * MiB}\n` }); });
test.after(async () => { await d.close(); });

/** Checks the ended job's compressed log holds exactly `bytes` zero bytes of stdout, in position order. */
function assertAllZeros(jobId: string, bytes: number): void {
  const records = decodeRecords(gunzipSync(readFileSync(join(jobDir(d, jobId), 'output.log.gz'))));
  let total = 0;
  let last = 0;
  for (const r of records) {
    assert.is(r.stream, 'stdout');
    assert.ok(r.position > last, `record positions increase (${r.position} after ${last})`);
    last = r.position;
    assert.ok(r.data.every((b) => b === 0), `record at ${r.position} holds only the zeros written`);
    total += r.data.length;
  }
  assert.is(total, bytes);
}

test('a flood is held to the persist child: the log stays within a window of its checkpoint', async () => {
  const bytes = 128 * MiB;
  const id = await runJob(d, 'sh', ['-c', `head -c ${bytes} /dev/zero`]);
  let ended = false;
  let maxAhead = 0;
  const watch = (async () => {
    while (!ended) {
      maxAhead = Math.max(maxAhead, d.daemon.logPosition() - d.daemon.persist.durablePosition());
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const s = await untilEnded(d, id);
  ended = true;
  await watch;
  assert.is(s.status, 'COMPLETED');
  // Output events carry up to 64 KiB: the 24 MiB window is about 384 of them (plus a read of
  // capture and a few lifecycle events). Without the gate the child fell ~1,500 positions behind.
  assert.ok(maxAhead <= 800, `the log ran ${maxAhead} positions ahead of the persist checkpoint`);
  await persisted(d);
  assertAllZeros(id, bytes);
});

test('a stopped persist child does not hold capture back; it catches up when it runs again', async () => {
  const bytes = 64 * MiB;
  const pid = d.daemon.persist.childPid;
  assert.ok(pid, 'the persist child runs');
  process.kill(pid!, 'SIGSTOP');
  let id: string;
  try {
    id = await runJob(d, 'sh', ['-c', `head -c ${bytes} /dev/zero`]);
    const s = await untilEnded(d, id);
    assert.is(s.status, 'COMPLETED');
  } finally {
    process.kill(pid!, 'SIGCONT');
  }
  await persisted(d);
  assert.is(d.daemon.persist.childPid, pid, 'the same child caught up (it was stopped, not restarted)');
  assertAllZeros(id, bytes);
});

test.run();
