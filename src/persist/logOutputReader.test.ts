// The persist child's reader of output bytes against a real LMDB log written by EventStore (the
// integration tests under test/integration/persist/ run it in the child beside a writing daemon).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from './eventStore.js';
import { LogOutputReader } from './logOutputReader.js';
import { flipMarker } from '../../test/support/logFiles.js';
import type { JobEvent } from '../events/jobEvents.js';

let dir: string;
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'joblet-outreader-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

const out = (jobId: string, data: Uint8Array, stream: 'stdout' | 'stderr' = 'stdout'): JobEvent =>
  ({ type: 'JobOutputWritten', jobId, at: 1000, stream, data });
const wire = (p: number, jobId: string, len: number) => ({ k: 'out' as const, p, jobId, at: 1000, stream: 'stdout' as const, len });

/** A closed log holding: 1 job a's text, 2 job a's 200 KiB of every byte value, 3 job b's stderr, 4 a's end. */
async function writeLog(compactThrough = 0): Promise<{ file: string; big: Buffer }> {
  const store = EventStore.open<JobEvent>({ path: dir });
  const big = Buffer.alloc(200 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  await store.append([out('a', Buffer.from('hello\n')), out('a', big), out('b', Buffer.from('oops\0\n'), 'stderr')]);
  await store.append([{ type: 'JobFinished', jobId: 'a', at: 2000, status: 'COMPLETED', exitCode: 0 }]);
  if (compactThrough > 0) await store.compactOutput(compactThrough);
  const file = store.file;
  await store.close();
  return { file, big };
}

test('each output event comes back byte for byte by its position', async () => {
  const { file, big } = await writeLog();
  const r = new LogOutputReader(file);
  try {
    assert.is(Buffer.from(r.withBytes(wire(1, 'a', 6)).data).toString(), 'hello\n');
    // copied before the next read: the bytes are a view of the reader's reusable buffer
    const second = Buffer.from(r.withBytes(wire(2, 'a', big.length)).data);
    assert.ok(second.equals(big), 'the 200 KiB event is exact');
    const third = r.withBytes({ ...wire(3, 'b', 6), stream: 'stderr' });
    assert.equal([third.p, third.jobId, third.stream, Buffer.from(third.data).toString()], [3, 'b', 'stderr', 'oops\0\n']);
  } finally { r.close(); }
});

test('a compaction stub reads as no bytes; the feed must then say 0', async () => {
  const { file } = await writeLog(2);
  const r = new LogOutputReader(file);
  try {
    assert.is(r.withBytes(wire(1, 'a', 0)).data.length, 0);
    assert.throws(() => r.withBytes(wire(2, 'a', 200 * 1024)), /position 2 holds 0 output bytes, the feed said 204800/);
    assert.is(Buffer.from(r.withBytes({ ...wire(3, 'b', 6) }).data).toString(), 'oops\0\n', 'past the compaction checkpoint the bytes are there');
  } finally { r.close(); }
});

test('a position that is not that job\'s output, or not in the log, is refused with the position', async () => {
  const { file } = await writeLog();
  const r = new LogOutputReader(file);
  try {
    assert.throws(() => r.withBytes(wire(1, 'b', 6)), /position 1 is not job b's output \(JobOutputWritten\)/);
    assert.throws(() => r.withBytes(wire(4, 'a', 0)), /position 4 is not job a's output \(JobFinished\)/);
    assert.throws(() => r.withBytes(wire(2, 'a', 5)), /position 2 holds 204800 output bytes, the feed said 5/);
    assert.throws(() => r.withBytes(wire(9, 'a', 1)), /position 9 is not readable/);
  } finally { r.close(); }
});

test('an output event whose stored bytes no longer match the chain hash is refused (decision 0027)', async () => {
  const { file } = await writeLog();
  assert.ok(flipMarker(file, 'oops') >= 1);
  const r = new LogOutputReader(file);
  try {
    assert.is(Buffer.from(r.withBytes(wire(1, 'a', 6)).data).toString(), 'hello\n', 'an untouched event still reads');
    assert.throws(() => r.withBytes({ ...wire(3, 'b', 6), stream: 'stderr' }), /position 3 does not match its chain hash: the stored event was changed/);
  } finally { r.close(); }
});

test('a missing log is refused at open', () => {
  const r = new LogOutputReader(join(dir, 'no-such', 'events.mdb'));
  assert.throws(() => r.open());
});

test.run();
