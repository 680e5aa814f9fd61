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
import { JobTable } from '../../src/projections/jobTable.js';
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

test('reads that stop early (for..of with break, firstPositionOf) pin no pages: freed space is still reused', async () => {
  const dir = freshDir();
  const s = outputLog(dir);
  try {
    await writeOutputLog(s, 32 * MiB, 0);
    // What daemon readers do between compactions: look up a job's first event, stop a scan early.
    assert.is(s.firstPositionOf('job-0-1'), 2);
    assert.is(s.firstPositionOf('no-such-job'), 0);
    for (const e of s.readJob('job-0-2')) { assert.ok(e.position > 0); break; }
    for (const e of s.read(10)) { assert.is(e.position, 10); break; }
    await s.compactOutput(s.lastPosition);
    await writeOutputLog(s, 32 * MiB, 1);
    await s.compactOutput(s.lastPosition);
    const size = fileSize(dir);
    assert.ok(size < 48 * MiB, `events.mdb is ${(size / MiB).toFixed(1)} MiB after 2 x 32 MiB of output`);
  } finally { await s.close(); }
});

/** Runs `joblet replay` in-process and returns its exit status and what it printed. */
async function replay(opts: Parameters<typeof runReplay>[0]): Promise<{ code: number; text: string }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(Buffer.from(chunk)); done(); } });
  const code = await runReplay(opts, sink);
  return { code, text: Buffer.concat(chunks).toString() };
}

test('joblet replay on a compacted log: --verify passes, --export and the listing show compactedBytes, --at still works', async () => {
  const dir = freshDir();
  const s = outputLog(dir);
  await writeOutputLog(s, 2 * MiB, 0);
  const r = await s.compactOutput(s.lastPosition - 3);
  await writeOutputLog(s, 256 * 1024, 1);
  await s.close();
  const verified = await replay({ path: dir, verify: true });
  assert.is(verified.code, 0, verified.text);
  assert.match(verified.text, new RegExp(`ok: \\d+ events verified .*\\(${r.compacted} compacted output events`));
  const exported = (await replay({ path: dir, export: '-', includeOutput: true })).text.trim().split('\n').map((l) => JSON.parse(l));
  const outputs = exported.filter((e) => e.type === 'JobOutputWritten');
  const stubs = outputs.filter((e) => e.fields.compactedBytes !== undefined);
  assert.is(stubs.length, r.compacted);
  for (const e of stubs) {
    assert.equal({ bytes: e.fields.bytes, compactedBytes: e.fields.compactedBytes, base64: e.fields.dataBase64 }, { bytes: 65536, compactedBytes: 65536, base64: undefined });
    assert.ok(e.position <= r.through);
  }
  const live = outputs.filter((e) => e.fields.compactedBytes === undefined);
  assert.ok(live.length > 0 && live.every((e) => e.position > r.through && e.fields.dataBase64.length > 0));
  const listing = (await replay({ path: dir, filter: { jobId: 'job-0-1' } })).text;
  assert.match(listing, 'stdout 65536 bytes (compacted: stored by the persist service)');
  const table = (await replay({ path: dir, at: String(r.through), json: true })).text;
  assert.is(JSON.parse(table).position, r.through);
});

test('a daemon restarted after compaction resumes its running job from the recorded spool offset', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir });
  const { job_uuid: uuid } = await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'sh', args: ['-c', 'echo before; echo err >&2; sleep 1.5; echo after; exit 3'] });
  const outputOf = (events: { event: JobEvent }[]) => events.flatMap(({ event: e }) => (e.type === 'JobOutputWritten' && e.jobId === uuid ? [e] : []));
  const deadline = Date.now() + 10_000;
  while (outputOf(a.daemon.readLog()).reduce((n, e) => n + e.data.length, 0) < 'before\nerr\n'.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await a.close();
  const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events') });
  const compacted = await store.compactOutput(store.lastPosition);
  await store.close();
  assert.ok(compacted.compacted >= 1, 'the output before the restart was compacted');

  const b = await startTestDaemon({ dataDir });
  const end = Date.now() + 10_000;
  let status = '';
  while (Date.now() < end) {
    status = (await call<{ status: string }>(b.jobs(), 'GetJobStatus', { uuid })).status;
    if (status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.is(status, 'FAILED');
  const events = outputOf(b.daemon.readLog());
  const stubs = events.filter((e) => e.compactedBytes !== undefined);
  const fresh = events.filter((e) => e.compactedBytes === undefined);
  assert.is(stubs.length, compacted.compacted);
  // Nothing before the restart is read again from the spool: the new events hold only "after".
  assert.is(Buffer.concat(fresh.map((e) => e.data)).toString(), 'after\n');
  assert.is(stubs.reduce((n, e) => n + e.compactedBytes!, 0) + fresh.reduce((n, e) => n + e.data.length, 0), 'before\nerr\nafter\n'.length);
  const ends = events.map((e) => e.spoolEnd ?? -1);
  assert.ok(ends.every((e, i) => e > (i === 0 ? 0 : ends[i - 1])), `spool ends ${ends}`);
  await b.close();
  const v = await replay({ path: dataDir, verify: true });
  assert.is(v.code, 0, v.text);
  // The job table rebuilt from position 1 (no snapshot) still counts the compacted bytes.
  const ro = EventStore.open<JobEvent>({ path: join(dataDir, 'events'), readOnly: true });
  const table = new JobTable();
  for (const { position, event } of ro.read()) table.apply(position, event);
  await ro.close();
  assert.equal(table.outputTotals(uuid), { stdoutBytes: 'before\nafter\n'.length, stderrBytes: 'err\n'.length });
});

const crashChild = fileURLToPath(new URL('./compactionCrashChild.js', import.meta.url));

test('SIGKILL in the middle of compaction leaves a log that opens, verifies and compacts on', async () => {
  const dir = freshDir();
  const s = outputLog(dir);
  await writeOutputLog(s, 64 * MiB, 0);
  const last = s.lastPosition;
  await s.close();
  const proc = spawn(process.execPath, [crashChild, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  let progress = 0;
  await new Promise<void>((resolve, reject) => {
    let partial = '';
    proc.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) progress = Number(line);
      // Killed after a few chunks, long before the end: the next chunk is being written.
      if (progress >= 100) { proc.kill('SIGKILL'); resolve(); }
    });
    proc.on('exit', () => reject(new Error(`compaction child exited before the kill (at ${progress}): ${stderr}`)));
  });
  assert.is(await exited, 'SIGKILL');
  const after = outputLog(dir);
  try {
    assert.is(after.lastPosition, last);
    assert.ok(after.compactedThrough >= progress && after.compactedThrough < last, `checkpoint ${after.compactedThrough}, child reported ${progress}`);
    const v = verifyChain(after);
    assert.ok(v.ok && v.checked === last && v.stubs > 0, JSON.stringify(v));
    const rest = await after.compactOutput(last);
    assert.is(rest.through, last);
    const all = [...after.read()].filter((e) => e.event.type === 'JobOutputWritten');
    assert.ok(all.every((e) => e.event.type === 'JobOutputWritten' && e.event.compactedBytes === 65536 && e.event.data.length === 0));
    assert.ok(verifyChain(after).ok);
  } finally { await after.close(); }
});

test.run();
