// The tail's read-ahead over a real spool file: output leaves in spool order even with many reads
// waiting for the log at once, the bytes waiting stay within the bounds, the end comes after every
// output observation is consumed, and the spool reader keeps one descriptor and survives a close
// during a read. The supervisor is a stand-in (the files are written here); jobProcess.test.ts
// and the integration tests run real ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coalesce, MAX_OBSERVATION_BYTES, tailJob } from './jobTail.js';
import { SPOOL_MAGIC, SPOOL_START, SpoolReader } from './spool.js';
import type { Observation } from './types.js';
import { addCaptureGate } from './captureGate.js';

const dirs: string[] = [];
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A state dir with a spool of `records` records of `size` bytes each (record i filled with byte i % 251) and a final status. */
function stateDir(records: number, size: number, final = 'exited 0'): string {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-tail-'));
  dirs.push(dir);
  const parts: Buffer[] = [SPOOL_MAGIC];
  for (let i = 0; i < records; i++) {
    const h = Buffer.alloc(16);
    h[0] = i % 3 === 2 ? 2 : 1;
    h.writeUInt32LE(size, 4);
    h.writeBigUInt64LE(BigInt(1_700_000_000_000 + i), 8);
    parts.push(h, Buffer.alloc(size, i % 251));
  }
  writeFileSync(join(dir, 'output.spool'), Buffer.concat(parts));
  writeFileSync(join(dir, 'status'), `started 42\n${final}\n`);
  return dir;
}

const handle = { alive: () => false, vanished: (): Observation => ({ type: 'lost', jobId: 'j', reason: 'gone', at: 0 }) };

test('many reads in flight: output in spool order, bounded, and the exit only after all of it is consumed', async () => {
  // 64 MiB in 64 KiB records: 64 reads of 1 MiB, far more than may wait at once
  const dir = stateDir(1024, 65536);
  const seen: Observation[] = [];
  let waiting = 0;
  let mostWaiting = 0;
  let consumed = 0;
  const emit = (o: Observation) => {
    seen.push(o);
    if (o.type !== 'output') return Promise.resolve();
    waiting += o.data.length;
    mostWaiting = Math.max(mostWaiting, waiting);
    // the log answers later and in order, as the group commit does
    return new Promise<void>((r) => setTimeout(() => { waiting -= o.data.length; consumed++; r(); }, 2));
  };
  const tail = tailJob({ jobId: 'j', stateDir: dir, from: SPOOL_START, startedKnown: false, handle, emit });
  await tail.finished;
  const outputs = seen.filter((o): o is Extract<Observation, { type: 'output' }> => o.type === 'output');
  assert.is(seen[0].type, 'started');
  assert.is(seen[seen.length - 1].type, 'exited');
  assert.is(consumed, outputs.length, 'every output was consumed before the exit was emitted');
  // records are coalesced per stream, so compare the byte sequence and the stream of each byte
  const bytes = Buffer.concat(outputs.map((o) => o.data));
  assert.is(bytes.length, 1024 * 65536);
  for (let i = 0; i < 1024; i++) assert.is(bytes[i * 65536], i % 251, `record ${i} in place`);
  let at = 0;
  for (const o of outputs) {
    const record = at / 65536;
    assert.is(o.stream, record % 3 === 2 ? 'stderr' : 'stdout', `stream of record ${record}`);
    at += o.data.length;
  }
  assert.ok(outputs.every((o, i) => i === 0 || o.spoolEnd! > outputs[i - 1].spoolEnd!), 'spool ends rise');
  assert.ok(mostWaiting > 1 << 20, `reads overlap the log (at most ${mostWaiting} bytes waited)`);
  assert.ok(mostWaiting <= 17 << 20, `at most 16 MiB + one read wait per job (${mostWaiting} did)`);
});

test('a capture gate holds reads back; a tail waiting at it holds none of its own reads in flight', async () => {
  // 8 MiB in 64 KiB records. The gate opens only while no read at all is in flight (a stand-in
  // for a persist child whose window capture's own reads would fill): a tail that waited at it
  // with its earlier reads still counted would wait for ever.
  const dir = stateDir(128, 65536);
  let closed = 0;
  const removeGate = addCaptureGate((_bytes, captureInFlight) => {
    if (captureInFlight === 0) return undefined;
    closed++;
    return new Promise((r) => setTimeout(r, 1));
  });
  let consumed = 0;
  const emit = (o: Observation) => new Promise<void>((r) => setTimeout(() => { if (o.type === 'output') consumed += o.data.length; r(); }, 1));
  try {
    const tail = tailJob({ jobId: 'j', stateDir: dir, from: SPOOL_START, startedKnown: false, handle, emit });
    await tail.finished;
  } finally {
    removeGate();
  }
  assert.is(consumed, 128 * 65536, 'all output came through the gate');
  assert.ok(closed > 0, 'the gate was asked while reads were in flight');
});

test('the spool reader: one descriptor, torn records left for later, a close during a read is safe', async () => {
  const dir = stateDir(3, 10);
  const file = join(dir, 'output.spool');
  appendFileSync(file, Buffer.from([1, 0, 0, 0, 10, 0, 0, 0]));  // half a header: not a record yet
  const reader = new SpoolReader(file);
  const fds = () => readdirSync('/proc/self/fd').length;
  const first = await reader.read(SPOOL_START);
  assert.is(first.records.length, 3);
  const before = fds();
  const again = await reader.read(first.next);
  assert.equal({ records: again.records, next: again.next }, { records: [], next: first.next }, 'the torn header waits');
  assert.is(fds(), before, 'no descriptor opened per read');
  const pending = reader.read(SPOOL_START);
  reader.close();
  assert.is((await pending).records.length, 3, 'the read under way completes');
  const closed = await reader.read(SPOOL_START);
  assert.equal({ records: closed.records, next: closed.next }, { records: [], next: SPOOL_START }, 'a closed reader reads nothing');
  assert.is(fds(), before - 1, 'and its descriptor is closed');
});

test('a missing spool: the reader says ENOENT (the tail waits for the supervisor to create it)', async () => {
  const reader = new SpoolReader(join(tmpdir(), 'joblet-no-such-dir', 'output.spool'));
  try {
    await reader.read(SPOOL_START);
    assert.unreachable('read a missing spool');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

test('coalesce joins adjacent records of one stream up to MAX_OBSERVATION_BYTES, copying them out of the read buffer', () => {
  const rec = (stream: 'stdout' | 'stderr', n: number, end: number) => ({ stream, at: end, data: Buffer.alloc(n, end), end });
  const big = MAX_OBSERVATION_BYTES - 60_000;
  const records = [rec('stdout', 40_000, 1), rec('stdout', 20_000, 2), rec('stdout', big, 3), rec('stdout', 10_000, 4), rec('stderr', 5, 5)];
  const out = coalesce('j', records);
  assert.equal(out.map((o) => o.type === 'output' ? [o.stream, o.data.length, o.spoolEnd] : []), [['stdout', MAX_OBSERVATION_BYTES, 3], ['stdout', 10_000, 4], ['stderr', 5, 5]]);
  const first = out[0].type === 'output' ? out[0].data : Buffer.alloc(0);
  for (const r of records) r.data.fill(0);  // the read buffer reused for the next read
  assert.is(first[0], 1);
  assert.is(first[40_000], 2);
  assert.is(first[MAX_OBSERVATION_BYTES - 1], 3);
});

test.run();
