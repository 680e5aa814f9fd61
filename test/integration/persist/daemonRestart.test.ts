// A daemon restart (jobs outlive it) while a job prints: the next daemon's persist child resumes
// from the checkpoint in DATA_DIR/logs, and the job's files end up holding every line once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon } from '../../support/testDaemon.js';
import { jobDir, numbered, persisted, readJobFiles, runJob, untilEnded } from './persistFixture.js';

const LINES = 20_000;
const SCRIPT = `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo row$i; if [ $((i % 1000)) -eq 0 ]; then sleep 0.1; fi; done`;

test('restart mid-job: the new child resumes from the checkpoint; every line once, in order', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-persistrestart-'));
  try {
    const first = await startTestDaemon({ dataDir });
    const id = await runJob(first, 'sh', ['-c', SCRIPT]);
    const raw = join(jobDir(first, id), 'output.log');
    const end = Date.now() + 20_000;
    while (!(existsSync(raw) && statSync(raw).size > 10_000 && first.daemon.persist.durablePosition() > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const checkpoint = first.daemon.persist.durablePosition();
    assert.ok(checkpoint > 0, 'some output is in the files before the restart');
    await first.close();

    const second = await startTestDaemon({ dataDir });
    try {
      assert.is((await untilEnded(second, id)).status, 'COMPLETED');
      await persisted(second);
      const f = readJobFiles(jobDir(second, id));
      assert.ok(f.compressed);
      assert.is(f.stdout, numbered('row', LINES));
      const positions = f.records.map((r) => r.position);
      assert.is(new Set(positions).size, positions.length, 'no record twice');
      assert.is(second.daemon.persist.restarts, 0);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
