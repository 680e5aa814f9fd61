// SIGKILL of the State child: the daemon restarts it (with backoff) and it resumes from the
// checkpoint — not from position 1 — with no record lost, whether it dies while idle or under load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import { stateYaml, runJobs, assertReplicated } from './fixture.js';

const dirs: string[] = [];
const freshDir = () => { const d = mkdtempSync(join(tmpdir(), 'joblet-statekill-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function killChild(d: TestDaemon): Promise<number> {
  const { childPid, restarts } = d.daemon.state.status();
  assert.ok(childPid, 'the state child is running');
  process.kill(childPid!, 'SIGKILL');
  const end = Date.now() + 10_000;
  while (d.daemon.state.status().restarts === restarts || !d.daemon.state.status().childPid || d.daemon.state.status().childPid === childPid) {
    if (Date.now() > end) throw new Error(`state child not restarted: ${JSON.stringify(d.daemon.state.status())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return childPid!;
}

test('local: killed while idle, resumes at checkpoint + 1; killed under load, loses nothing', async () => {
  const d = await startTestDaemon({ dataDir: freshDir(), configYaml: stateYaml('local') });
  try {
    await runJobs(d, 10);
    await assertReplicated(d, 'before the kill');
    const checkpoint = d.daemon.state.status().position;
    const old = await killChild(d);
    assert.is.not(d.daemon.state.status().childPid, old);
    // Wait for the new child's feed to start, then check where it started.
    const end = Date.now() + 10_000;
    while (d.daemon.state.status().resumedFrom === 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.is(d.daemon.state.status().resumedFrom, checkpoint + 1);
    await runJobs(d, 3);
    await assertReplicated(d, 'after an idle kill');

    const load = runJobs(d, 20);
    await new Promise((r) => setTimeout(r, 100));
    await killChild(d);
    await load;
    await runJobs(d, 2);
    const records = await assertReplicated(d, 'after a kill under load');
    assert.is(records.length, 35);
    assert.is(d.daemon.state.status().restarts, 2);
  } finally {
    await d.close();
  }
});

test('memory: a killed child forgets everything, so its successor replays the log from position 1', async () => {
  const d = await startTestDaemon({ dataDir: freshDir(), configYaml: stateYaml('memory') });
  try {
    await runJobs(d, 4);
    await assertReplicated(d, 'before the kill');
    await killChild(d);
    const records = await assertReplicated(d, 'after the kill');
    assert.is(records.length, 4);
    assert.is(d.daemon.state.status().resumedFrom, 1);
  } finally {
    await d.close();
  }
});

test.run();
