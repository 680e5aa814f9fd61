// Removal of job files: DeleteJob removes them; retention removes finished jobs' files oldest
// first, by total size and by age (a small age in the config instead of a long sleep).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { startTestDaemon, call, type TestDaemon } from '../../support/testDaemon.js';
import { jobDir, persisted, readJobFiles, runJob, untilEnded } from './persistFixture.js';

// ~40 KB of base64 text that gzip cannot shrink much (random bytes underneath).
const NOISE = ['-c', 'head -c 30000 /dev/urandom | base64'];

async function finishedJob(d: TestDaemon): Promise<string> {
  const id = await runJob(d, 'sh', NOISE);
  assert.is((await untilEnded(d, id)).status, 'COMPLETED');
  await persisted(d);
  return id;
}

test('DeleteJob removes the job\'s files; other jobs keep theirs', async () => {
  const d = await startTestDaemon();
  try {
    const a = await finishedJob(d);
    const b = await finishedJob(d);
    assert.ok(readJobFiles(jobDir(d, a)).stdout.length > 30_000);
    await call(d.jobs(), 'DeleteJob', { uuid: a });
    await persisted(d);
    assert.not.ok(existsSync(jobDir(d, a)), 'the deleted job\'s dir is gone');
    assert.ok(existsSync(jobDir(d, b)));
    const { chunks } = await d.daemon.persist.history.read(a, 1);
    for await (const _ of chunks) assert.unreachable('no history for a deleted job');
  } finally {
    await d.close();
  }
});

test('retention by size: the oldest finished jobs go until the total fits', async () => {
  // Each job's files are ~31 KB gzipped, ~41 KB raw while it runs (running jobs count too):
  // two ended jobs, or one ended and one running, fit under 85 KB; a third does not.
  const d = await startTestDaemon({ configYaml: 'persist:\n  maxTotalBytes: 85000\n' });
  try {
    const a = await finishedJob(d);
    const b = await finishedJob(d);
    assert.ok(existsSync(jobDir(d, a)) && existsSync(jobDir(d, b)), 'two jobs fit');
    const c = await finishedJob(d);
    assert.not.ok(existsSync(jobDir(d, a)), 'the oldest job\'s files are removed');
    assert.ok(existsSync(jobDir(d, b)) && existsSync(jobDir(d, c)), 'the newer jobs stay');
    assert.ok(readJobFiles(jobDir(d, c)).compressed);
  } finally {
    await d.close();
  }
});

test('retention by age: files of jobs that ended longer ago than `persist.retention` go', async () => {
  const d = await startTestDaemon({ configYaml: 'persist:\n  retention: 2s\n' });
  try {
    const a = await finishedJob(d);
    await new Promise((r) => setTimeout(r, 2100));
    const b = await finishedJob(d);  // its checkpoint runs the retention pass
    assert.not.ok(existsSync(jobDir(d, a)), 'the job that ended over 2 s ago is gone');
    assert.ok(existsSync(jobDir(d, b)), 'the job that just ended stays');
  } finally {
    await d.close();
  }
});

test.run();
