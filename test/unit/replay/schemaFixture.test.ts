// Schema evolution against a checked-in log written in schema version 0 (test/fixtures/makeV0Log.ts):
// it replays into today's job table, its stored bytes are never rewritten (not even when a daemon
// opens it for writing and adds the hash chain), and the replay tool reads it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { EventStore } from '../../../src/persist/eventStore.js';
import type { JobEvent } from '../../../src/events/jobEvents.js';
import { upcastJobEvent } from '../../../src/events/upcasters.js';
import { EVENT_SCHEMA_VERSION } from '../../../src/events/jobEvents.js';
import { EVENT_SCHEMA_VERSION as STORED_VERSION } from '../../../src/persist/codec.js';
import { verifyChain } from '../../../src/persist/hashChain.js';
import { openLogReadOnly } from '../../../src/replay/openLog.js';
import { tableAt } from '../../../src/replay/tableAt.js';
import { runReplay } from '../../../src/replay/replayCommand.js';
import { V0_JOBS } from '../../fixtures/makeV0Log.js';

const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'v0-log');
let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'joblet-v0-'));
  cpSync(FIXTURE, dir, { recursive: true });  // never open the checked-in file itself: LMDB adds a lock file
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('the store writes the version the domain reads', () => {
  assert.is(STORED_VERSION, EVENT_SCHEMA_VERSION);
});

test('a v0 log replays into the current job table', async () => {
  const store = openLogReadOnly(dir);
  try {
    assert.is(store.lastPosition, 14);
    const table = tableAt(store, { position: store.lastPosition });
    const done = table.get(V0_JOBS.completed)!;
    assert.equal({ status: done.status, exit: 'exitCode' in done && done.exitCode, startedAt: 'startedAt' in done && done.startedAt },
      { status: 'COMPLETED', exit: 0, startedAt: done.submittedAt + 3 });
    assert.equal({ ...done.spec }, {
      command: 'echo', args: ['hello'], maxCpu: 50, cpuCores: '', maxMemory: 64, maxIoBps: 0, environment: { GREETING: 'hi' },
      secretKeys: ['TOKEN'], uploads: [], workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
    });
    assert.is(done.submittedBy.cn, 'joblet-developer');
    assert.is(table.outputTotals(V0_JOBS.completed).stdoutBytes, 6);
    const canceled = table.get(V0_JOBS.canceled)!;
    assert.equal([canceled.status, canceled.spec.cpuCores, canceled.spec.maxIoBps, canceled.scheduledAt !== undefined], ['CANCELED', '0-1', 1048576, true]);
    const running = table.get(V0_JOBS.running)!;
    assert.equal([running.status, 'pid' in running && running.pid], ['RUNNING', 202]);
    const failed = table.get(V0_JOBS.failed)!;
    assert.equal([failed.status, 'exitCode' in failed && failed.exitCode], ['FAILED', 3]);
    // Halfway through, the failed job had not been submitted yet.
    assert.is(tableAt(store, { position: 10 }).get(V0_JOBS.failed), undefined);
    // By time: the prefix of events at or before it (the cancel at T0+2s is in, the next submit is not).
    const at = tableAt(store, { time: Date.parse('2024-01-15T09:00:02Z') });
    assert.equal([at.position, at.get(V0_JOBS.canceled)?.status, at.get(V0_JOBS.running)], [7, 'CANCELED', undefined]);
    const ro = verifyChain(store);
    assert.ok(!ro.ok && ro.position === 1, 'an unchained log is reported, not passed');
  } finally { await store.close(); }
});

test('old events are upgraded when read, never rewritten: a writable open adds only the chain', async () => {
  const ro = openLogReadOnly(dir);
  const before = [...ro.readRaw()].map((r) => r.bytes.toString('hex'));
  await ro.close();
  const rw = EventStore.open<JobEvent>({ path: join(dir, 'events'), upcast: upcastJobEvent });
  try {
    assert.equal([...rw.readRaw()].map((r) => r.bytes.toString('hex')), before);
    assert.ok(verifyChain(rw).ok);
    await rw.append([{ type: 'JobDeleted', jobId: V0_JOBS.failed, at: Date.now(), by: { cn: 'joblet-admin', role: 'admin' } }]);
    const ok = verifyChain(rw);
    assert.ok(ok.ok && ok.checked === 15, JSON.stringify(ok));
  } finally { await rw.close(); }
});

test('the replay tool prints the v0 history with upgraded shapes', async () => {
  let text = '';
  const sink = new Writable({ write(chunk, _enc, cb) { text += chunk; cb(); } });
  assert.is(await runReplay({ path: dir, job: V0_JOBS.completed.slice(0, 10) + '0000' }, sink).catch((e: Error) => e.message), 'replay: no job 0a000000-00000 in this log');
  assert.is(await runReplay({ path: dir, job: V0_JOBS.completed }, sink), 0);
  assert.match(text, `history of job ${V0_JOBS.completed}`);
  assert.match(text, /JobSubmitted\s+0a000000\s+joblet-developer\/developer\s+echo hello \(cpu 50%, mem 64MB, secrets TOKEN\)/);
  assert.match(text, /JobFinished\s+0a000000\s+-\s+COMPLETED exit 0/);
  assert.is(text.trim().split('\n').length, 6);
});

test('an event from a newer schema, or without an upgrade path, is refused with both versions', () => {
  assert.throws(() => upcastJobEvent(EVENT_SCHEMA_VERSION + 1, { type: 'JobQueued' }), /schema version 2, this build reads up to 1/);
  assert.throws(() => upcastJobEvent(-1, { type: 'JobQueued' }), /no upcaster from event schema version -1/);
});

test.run();
