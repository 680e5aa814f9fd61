// Log compaction on a real LMDB log: output events at or below the bound become stubs (same
// positions and fields, empty data, the byte count kept), lifecycle events and the chain db are
// untouched, a second call does nothing, progress is checkpointed, and the hash chain still
// verifies while tampering with a lifecycle event or forging a stub is still caught.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { EventStore, EVENT_LOG_FILE } from '../../../src/persist/eventStore.js';
import { verifyChain } from '../../../src/persist/hashChain.js';
import { encodeStub } from '../../../src/persist/codec.js';
import { tempDir, rejects } from './tempStore.js';
import { flipMarker } from '../../support/logFiles.js';

type Ev =
  | { type: 'JobStarted'; jobId: string; at: number; pid: number; note?: string }
  | { type: 'JobOutputWritten'; jobId: string; at: number; stream: 'stdout' | 'stderr'; data: Uint8Array; spoolEnd?: number; compactedBytes?: number };

const started = (jobId: string, at: number, note?: string): Ev => ({ type: 'JobStarted', jobId, at, pid: 100 + at, ...(note ? { note } : {}) });
const output = (jobId: string, at: number, text: string, spoolEnd: number): Ev =>
  ({ type: 'JobOutputWritten', jobId, at, stream: at % 2 ? 'stderr' : 'stdout', data: new Uint8Array(Buffer.from(text)), spoolEnd });
const openAt = (dir: string, readOnly = false) => EventStore.open<Ev>({ path: dir, readOnly });

/** 3 jobs, 60 rounds of (lifecycle, output, output): 60 lifecycle events and 120 output events. */
async function writeMixedLog(s: EventStore<Ev>): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const job = `job-${i % 3}`;
    await s.append([started(job, i, i === 7 ? 'TAMPER-LIFECYCLE' : undefined), output(job, i, `out-${i}-`.repeat(50), 1000 + i), output(job, i + 1, `more-${i}`, 2000 + i)]);
  }
}

function copyLog(dir: string): string {
  const copy = join(dir, 'copy');
  mkdirSync(copy);
  copyFileSync(join(dir, EVENT_LOG_FILE), join(copy, EVENT_LOG_FILE));
  return copy;
}

test('stubs keep positions dense, fields and counts; lifecycle events and hashes are untouched', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    const before = [...s.read()];
    const hashes = before.map((e) => s.hashAt(e.position)!.toString('hex'));
    const r = await s.compactOutput(90, { chunkEvents: 7 });
    const outputsUpTo90 = before.filter((e) => e.position <= 90 && e.event.type === 'JobOutputWritten');
    assert.is(r.compacted, outputsUpTo90.length);
    assert.is(r.through, 90);
    assert.is(r.examined, 90);
    assert.ok(r.bytesFreed > 0);
    assert.is(s.compactedThrough, 90);
    const after = [...s.read()];
    assert.equal(after.map((e) => e.position), before.map((e) => e.position));
    for (const [i, { position, event }] of after.entries()) {
      const old = before[i].event;
      assert.is(s.hashAt(position)!.toString('hex'), hashes[i], `hash of ${position}`);
      if (old.type !== 'JobOutputWritten' || position > 90) { assert.equal(event, old, `event ${position} unchanged`); continue; }
      assert.ok(event.type === 'JobOutputWritten');
      if (event.type !== 'JobOutputWritten') continue;
      assert.is(event.data.length, 0);
      assert.is(event.compactedBytes, old.data.length);
      assert.equal({ ...event, data: null, compactedBytes: null }, { ...old, data: null, compactedBytes: null });
    }
    // The per-job index still finds every position, stubs included.
    assert.equal([...s.readJob('job-1')].map((e) => e.position), before.filter((e) => e.event.jobId === 'job-1').map((e) => e.position));
    const v = verifyChain(s);
    assert.ok(v.ok && v.checked === 180 && v.stubs === outputsUpTo90.length, JSON.stringify(v));
    await s.close();
  } finally { t.remove(); }
});

test('idempotent and resumable: a second call does nothing, maxEvents stops early, a reopen continues', async () => {
  const t = tempDir();
  try {
    let s = openAt(t.dir);
    await writeMixedLog(s);
    const first = await s.compactOutput(1000, { maxEvents: 50 });
    assert.equal({ through: first.through, examined: first.examined }, { through: 50, examined: 50 });
    await s.close();
    s = openAt(t.dir);
    assert.is(s.compactedThrough, 50);
    const rest = await s.compactOutput(1000);
    assert.is(rest.through, 180);
    assert.is(rest.examined, 130);
    assert.is(first.compacted + rest.compacted, 120);
    const again = await s.compactOutput(1000);
    assert.equal(again, { compacted: 0, bytesFreed: 0, examined: 0, through: 180 });
    // New events past the mark are compacted by the next call, and only they are examined.
    await s.append([output('job-9', 99, 'late', 1)]);
    const late = await s.compactOutput(181);
    assert.equal({ compacted: late.compacted, examined: late.examined, through: late.through }, { compacted: 1, examined: 1, through: 181 });
    assert.ok(verifyChain(s).ok);
    await s.close();
  } finally { t.remove(); }
});

test('appends made while compaction runs are all acknowledged, dense and chained', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    const compacting = s.compactOutput(180, { chunkEvents: 3 });
    const acked = await Promise.all(Array.from({ length: 40 }, (_, i) => s.append([started('job-new', 1000 + i), output('job-new', 1000 + i, `during-${i}`, i + 1)])));
    const r = await compacting;
    assert.is(r.through, 180);
    assert.equal(acked.flat().sort((a, b) => a - b), Array.from({ length: 80 }, (_, i) => 181 + i));
    const during = [...s.read(181)];
    assert.ok(during.every((e) => e.event.type !== 'JobOutputWritten' || (e.event.data.length > 0 && e.event.compactedBytes === undefined)), 'nothing past the bound was compacted');
    const v = verifyChain(s);
    assert.ok(v.ok && v.checked === 260 && v.stubs === 120, JSON.stringify(v));
    await s.close();
  } finally { t.remove(); }
});

test('close() during compaction waits for the current chunk; the reopened log resumes from its checkpoint', async () => {
  const t = tempDir();
  try {
    let s = openAt(t.dir);
    await writeMixedLog(s);
    const compacting = s.compactOutput(180, { chunkEvents: 3 });
    await s.close();
    const r = await compacting;
    assert.ok(r.through >= 3 && r.through < 180, `stopped at ${r.through}`);
    s = openAt(t.dir);
    assert.is(s.compactedThrough, r.through);
    assert.ok(verifyChain(s).ok);
    assert.is((await s.compactOutput(180)).through, 180);
    await s.close();
  } finally { t.remove(); }
});

test('bad bounds and read-only logs are refused; two calls at once are refused', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    await rejects(() => s.compactOutput(-1), /upTo -1 must be a non-negative integer/);
    await rejects(() => s.compactOutput(1.5), /upTo 1.5 must be a non-negative integer/);
    const running = s.compactOutput(180, { chunkEvents: 5 });
    await rejects(() => s.compactOutput(180), /already running/);
    await running;
    await s.close();
    const ro = openAt(t.dir, true);
    await rejects(() => ro.compactOutput(10), /read-only/);
    await ro.close();
  } finally { t.remove(); }
});

test('after compaction verify still catches a tampered lifecycle event', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    await s.compactOutput(180);
    await s.close();
    const copy = copyLog(t.dir);
    assert.ok(flipMarker(join(copy, EVENT_LOG_FILE), 'TAMPER-LIFECYCLE') >= 1);
    const c = openAt(copy, true);
    const r = verifyChain(c);
    assert.ok(!r.ok && r.position === 22 && r.reason.includes('hash mismatch'), JSON.stringify(r));
    await c.close();
  } finally { t.remove(); }
});

/** A store reopened over a log whose output event at position 2 no longer matches its chain hash. */
async function tamperedStore(dir: string) {
  const s = openAt(dir);
  await s.append([started('j', 1), output('j', 2, 'TAMPER-OUTPUT', 10), output('j', 3, 'fine', 20)]);
  await s.close();
  flipMarker(join(dir, EVENT_LOG_FILE), 'TAMPER-OUTPUT');
  return openAt(dir);
}

test('compaction refuses to launder an output event that no longer matches its hash', async () => {
  const t = tempDir();
  try {
    const s = await tamperedStore(t.dir);
    await rejects(() => s.compactOutput(3), /compaction refused at position 2: the event does not match its chain hash/);
    assert.is(s.compactedThrough, 0, 'nothing was stubbed');
    const r = verifyChain(s);
    assert.ok(!r.ok && r.position === 2, JSON.stringify(r));
    await s.close();
  } finally { t.remove(); }
});

test('verifiedThrough: appends this store remembers are stubbed without a read, with the same stubs; a reopened store reads and checks (decision 0027)', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    const before = [...s.read()];
    const r = await s.compactOutput(90, { chunkEvents: 7, verifiedThrough: 90 });
    const outputsUpTo90 = before.filter((e) => e.position <= 90 && e.event.type === 'JobOutputWritten');
    assert.is(r.compacted, outputsUpTo90.length);
    assert.is(r.through, 90);
    assert.ok(r.bytesFreed > 0);
    // past verifiedThrough the bytes are read and checked as before
    const rest = await s.compactOutput(120, { verifiedThrough: 90 });
    assert.is(rest.through, 120);
    for (const [i, { position, event }] of [...s.read()].entries()) {
      const old = before[i].event;
      if (old.type !== 'JobOutputWritten' || position > 120) { assert.equal(event, old, `event ${position} unchanged`); continue; }
      assert.ok(event.type === 'JobOutputWritten' && event.data.length === 0 && event.compactedBytes === old.data.length, `stub at ${position}`);
      assert.equal({ ...event, data: null, compactedBytes: null }, { ...old, data: null, compactedBytes: null });
    }
    const v = verifyChain(s);
    assert.ok(v.ok && v.checked === 180, JSON.stringify(v));
    await s.close();

    // A reopened store remembers nothing: verifiedThrough alone does not skip the check.
    const t2 = tempDir();
    try {
      const s2 = await tamperedStore(t2.dir);
      await rejects(() => s2.compactOutput(3, { verifiedThrough: 3 }), /compaction refused at position 2: the event does not match its chain hash/);
      assert.is(s2.compactedThrough, 0);
      await s2.close();
    } finally { t2.remove(); }
  } finally { t.remove(); }
});

/** Overwrites one stored event of a closed log, as someone with write access to the file could. */
function forge(dir: string, position: number, event: unknown, checkpoint?: number): void {
  const env = open({ path: join(dir, EVENT_LOG_FILE), noSubdir: true, maxDbs: 8 });
  const events = env.openDB<Buffer, number>('events', { encoding: 'binary' });
  const checkpoints = env.openDB<number, string>('checkpoints', {});
  const chain = env.openDB<Buffer, number>('chain', { encoding: 'binary' });
  env.transactionSync(() => {
    if (event === 'flip-hash') {
      const h = Buffer.from(chain.get(position)!);
      h[0] ^= 1;
      chain.putSync(position, h);
    } else {
      events.putSync(position, encodeStub(event));
    }
    if (checkpoint !== undefined) checkpoints.putSync('compaction', checkpoint);
  });
  env.close();
}

test('verify rejects forged stubs: a lifecycle event marked compacted, a bad count, a stub past the checkpoint, a changed stub hash', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await writeMixedLog(s);
    await s.compactOutput(90);
    await s.close();
    const cases: [string, number, unknown, RegExp, number][] = [
      ['lifecycle as stub', 4, { ...started('job-1', 1), data: new Uint8Array(0), compactedBytes: 5 }, /illegal compaction stub: a JobStarted event is marked compacted/, 4],
      ['stub with data', 5, { ...output('job-1', 1, 'x', 1), compactedBytes: 5 }, /must have empty data/, 5],
      ['stub without count', 5, { ...output('job-1', 1, '', 1) }, /compactedBytes must be a positive integer/, 5],
      ['output past the mark', 95, { ...output('job-1', 31, '', 1), compactedBytes: 3 }, /past the compaction checkpoint \(90\)/, 95],
      ['stub hash changed', 6, 'flip-hash', /the stored hash of the compaction stub before it/, 7],
    ];
    for (const [name, position, event, reason, failsAt] of cases) {
      const copy = join(t.dir, `c-${position}-${name.length}`);
      mkdirSync(copy);
      copyFileSync(join(t.dir, EVENT_LOG_FILE), join(copy, EVENT_LOG_FILE));
      forge(copy, position, event);
      const c = openAt(copy, true);
      const r = verifyChain(c);
      assert.ok(!r.ok && r.position === failsAt && reason.test(r.reason), `${name}: ${JSON.stringify(r)}`);
      await c.close();
    }
  } finally { t.remove(); }
});

test.run();
