// The hash chain on a real LMDB log: it verifies after concurrent appends and across reopen, a
// flipped byte in a stored event is found at its position, a log written before chaining is
// reported (read-only) or backfilled (when opened for writing), and a read-only open writes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { EventStore, EVENT_LOG_FILE } from '../../../src/persist/eventStore.js';
import { verifyChain, chainHash, GENESIS_HASH } from '../../../src/persist/hashChain.js';
import { encodeEvent } from '../../../src/persist/codec.js';
import { tempDir, rejects } from './tempStore.js';
import { flipMarker, fingerprint, sameFile } from '../../support/logFiles.js';

interface Note { type: 'Noted'; n: number; note: string; jobId?: string }
const notes = (from: number, count: number): Note[] => Array.from({ length: count }, (_, i) => ({ type: 'Noted', n: from + i, note: `note-${from + i}` }));
const openAt = (dir: string, readOnly = false) => EventStore.open<Note>({ path: dir, readOnly });

test('the chain verifies after concurrent appends, and continues across a reopen', async () => {
  const t = tempDir();
  try {
    let s = openAt(t.dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.append(notes(i * 10, 1 + (i % 5)))));
    const first = verifyChain(s);
    assert.ok(first.ok, JSON.stringify(first));
    assert.is(first.ok && first.checked, s.lastPosition);
    // The first hash is SHA-256(zeros ‖ stored bytes), computed independently here.
    const [e1] = [...s.readRaw(1, 1)];
    assert.ok(chainHash(GENESIS_HASH, e1.bytes).equals(s.hashAt(1)!));
    await s.close();
    s = openAt(t.dir);
    await s.append(notes(1000, 3));
    const again = verifyChain(s);
    assert.ok(again.ok && again.checked === s.lastPosition, JSON.stringify(again));
    const part = verifyChain(s, 5, 9);
    assert.ok(part.ok && part.checked === 5 && part.head === s.hashAt(9)!.toString('hex'), JSON.stringify(part));
    await s.close();
  } finally { t.remove(); }
});

test('a flipped byte inside one stored event in a copy of the log fails at that position', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await s.append(notes(0, 40));
    await s.append([{ type: 'Noted', n: 40, note: 'TAMPER-ME-41' }]);
    await s.append(notes(41, 40));
    await s.close();
    const copy = join(t.dir, 'copy');
    mkdirSync(copy);
    copyFileSync(join(t.dir, EVENT_LOG_FILE), join(copy, EVENT_LOG_FILE));
    assert.ok(flipMarker(join(copy, EVENT_LOG_FILE), 'TAMPER-ME-41') >= 1);
    const c = openAt(copy, true);
    const r = verifyChain(c);
    assert.equal(r.ok ? r : { position: r.position, checked: r.checked }, { position: 41, checked: 40 });
    assert.match(!r.ok ? r.reason : '', 'hash mismatch');
    await c.close();
    const original = openAt(t.dir, true);
    assert.ok(verifyChain(original).ok, 'the original is untouched');
    await original.close();
  } finally { t.remove(); }
});

/** A log as an older joblet wrote it: events and the job index, no chain db. */
function writeUnchainedLog(dir: string, count: number): void {
  const env = open({ path: join(dir, EVENT_LOG_FILE), noSubdir: true, maxDbs: 8 });
  const events = env.openDB<Buffer, number>('events', { encoding: 'binary' });
  env.openDB('byJob', { encoding: 'binary' });
  env.openDB('checkpoints', { encoding: 'binary' });
  env.openDB('snapshots', { encoding: 'binary' });
  env.transactionSync(() => { for (let i = 1; i <= count; i++) events.putSync(i, encodeEvent({ type: 'Noted', n: i, note: 'old' })); });
  env.close();
}

test('a log without hashes: read-only verify reports position 1; a writable open backfills the chain', async () => {
  const t = tempDir();
  try {
    writeUnchainedLog(t.dir, 25);
    const ro = openAt(t.dir, true);
    assert.is(ro.lastPosition, 25);
    const r = verifyChain(ro);
    assert.ok(!r.ok && r.position === 1 && r.reason.includes('no hash stored'), JSON.stringify(r));
    await ro.close();
    const rw = openAt(t.dir);
    await rw.append(notes(100, 5));
    const ok = verifyChain(rw);
    assert.ok(ok.ok && ok.checked === 30, JSON.stringify(ok));
    await rw.close();
  } finally { t.remove(); }
});

test('read-only: reads everything, refuses writes, and leaves the file byte-for-byte and mtime unchanged', async () => {
  const t = tempDir();
  try {
    const s = openAt(t.dir);
    await s.append(notes(0, 100));
    await s.setCheckpoint('c', 50);
    await s.close();
    const file = join(t.dir, EVENT_LOG_FILE);
    const before = fingerprint(file);
    await new Promise((r) => setTimeout(r, 20));  // an mtime change would be visible
    const ro = openAt(t.dir, true);
    assert.is([...ro.read()].length, 100);
    assert.is(ro.getCheckpoint('c'), 50);
    assert.ok(verifyChain(ro).ok);
    await rejects(() => ro.append(notes(100, 1)), /read-only/);
    await rejects(() => ro.setCheckpoint('c', 60), /read-only/);
    await rejects(() => ro.saveSnapshot('s', 1, {}), /read-only/);
    await ro.close();
    assert.ok(sameFile(before, fingerprint(file)), 'a read-only open changed events.mdb');
  } finally { t.remove(); }
});

test('read-only open of a missing log names the file', async () => {
  const t = tempDir();
  try {
    assert.throws(() => openAt(join(t.dir, 'nope'), true), /no such file/);
  } finally { t.remove(); }
});

test.run();
