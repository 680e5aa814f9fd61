import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EventStore, EVENT_LOG_FILE } from '../../../src/persist/eventStore.js';
import { tempDir, openStore, ticks, rejects, type TestEvent } from './tempStore.js';

test('append assigns positions from 1 and read returns events in order', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    assert.is(s.lastPosition, 0);
    assert.equal(await s.append(ticks(0, 3)), [1, 2, 3]);
    assert.equal(await s.append(ticks(3, 2)), [4, 5]);
    assert.equal(await s.append([]), []);
    assert.is(s.lastPosition, 5);
    const all = [...s.read()];
    assert.equal(all.map((e) => e.position), [1, 2, 3, 4, 5]);
    assert.equal(all.map((e) => e.event.n), [0, 1, 2, 3, 4]);
    assert.equal([...s.read(2, 3)].map((e) => e.position), [2, 3]);
    assert.equal([...s.read(4)].map((e) => e.position), [4, 5]);
    assert.equal([...s.read(9)], []);
  } finally { await s.close(); t.remove(); }
});

test('events round-trip nested values through the envelope', async () => {
  const t = tempDir();
  const s = EventStore.open<{ type: string; jobId: string; data: Uint8Array; meta: { tags: string[]; at: number } }>({ path: t.dir });
  try {
    const ev = { type: 'OutputAppended', jobId: 'j1', data: new Uint8Array([0, 255, 7]), meta: { tags: ['a', 'b'], at: 1.5 } };
    await s.append([ev]);
    const [got] = [...s.read()];
    assert.equal(got.event.meta, ev.meta);
    assert.equal([...got.event.data], [0, 255, 7]);
    assert.is(got.event.jobId, 'j1');
  } finally { await s.close(); t.remove(); }
});

test('append rejects an event without a string type and writes nothing', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    await rejects(() => s.append([{ n: 1 } as unknown as TestEvent]), /events\[0\]\.type must be a string/);
    await rejects(() => s.append([{ type: 'Ticked', n: 1, jobId: 'x'.repeat(600) }]), /jobId is 600 bytes/);
    assert.is(s.lastPosition, 0);
    assert.equal(await s.append(ticks(0, 1)), [1]);
  } finally { await s.close(); t.remove(); }
});

test('reopen keeps every event and lastPosition', async () => {
  const t = tempDir();
  try {
    let s = openStore(t.dir);
    await s.append(ticks(0, 100, 'job-a'));
    await s.close();
    s = openStore(t.dir);
    assert.is(s.lastPosition, 100);
    assert.equal([...s.read()].map((e) => e.event.n), Array.from({ length: 100 }, (_, i) => i));
    assert.equal(await s.append(ticks(100, 1)), [101]);
    assert.is([...s.readJob('job-a')].length, 100);
    await s.close();
  } finally { t.remove(); }
});

test('concurrent appends get distinct gap-free positions in call order', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    // Calls of varying size, all issued before any resolves.
    const sizes = Array.from({ length: 300 }, (_, i) => 1 + (i % 4));
    const calls = sizes.map((k, i) => s.append(ticks(i * 10, k)));
    const results = await Promise.all(calls);
    let expect = 1;
    for (const positions of results) {
      for (const p of positions) assert.is(p, expect++);
    }
    assert.is(s.lastPosition, expect - 1);
    // Each call's events sit at the positions it was told, in its own order.
    const byPos = new Map([...s.read()].map((e) => [e.position, e.event.n]));
    results.forEach((positions, i) => positions.forEach((p, j) => assert.is(byPos.get(p), i * 10 + j)));
  } finally { await s.close(); t.remove(); }
});

test('group commit: 1000 concurrent single-event appends share few transactions', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    const before = s.stats.commits;
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => s.append(ticks(i, 1))));
    assert.equal(results.map((r) => r[0]), Array.from({ length: 1000 }, (_, i) => i + 1));
    const commits = s.stats.commits - before;
    assert.ok(commits >= 1 && commits <= 10, `expected a handful of commits, got ${commits}`);
  } finally { await s.close(); t.remove(); }
});

test('readJob returns only that job, in position order, from a position', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    for (let i = 0; i < 30; i++) await s.append([{ type: 'Ticked', n: i, jobId: i % 3 === 0 ? 'job-1' : 'job-10' }]);
    await s.append([{ type: 'Noted', n: 99 }]);
    const job1 = [...s.readJob('job-1')];
    assert.equal(job1.map((e) => e.position), [1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    assert.ok(job1.every((e) => e.event.jobId === 'job-1'));
    assert.equal([...s.readJob('job-1', 20)].map((e) => e.position), [22, 25, 28]);
    assert.is([...s.readJob('job-10')].length, 20);
    assert.equal([...s.readJob('job-')], []);
    assert.equal([...s.readJob('nope')], []);
  } finally { await s.close(); t.remove(); }
});

test('checkpoints persist across reopen', async () => {
  const t = tempDir();
  try {
    let s = openStore(t.dir);
    assert.is(s.getCheckpoint('jobs'), 0);
    await s.setCheckpoint('jobs', 42);
    await s.setCheckpoint('state', 7);
    await s.setCheckpoint('jobs', 43);
    await rejects(() => s.setCheckpoint('jobs', -1), /non-negative integer/);
    await s.close();
    s = openStore(t.dir);
    assert.is(s.getCheckpoint('jobs'), 43);
    assert.is(s.getCheckpoint('state'), 7);
    await s.close();
  } finally { t.remove(); }
});

test('snapshots persist across reopen with Map, Set and Date intact', async () => {
  const t = tempDir();
  try {
    let s = openStore(t.dir);
    await s.append(ticks(0, 5));
    const state = { jobs: new Map([['a', { status: 'RUNNING', since: new Date(1000), tags: new Set(['x']) }]]), count: 5 };
    await s.saveSnapshot('jobs', 5, state);
    await rejects(() => s.saveSnapshot('jobs', 6, state), /last durable position 5/);
    assert.is(s.loadSnapshot('missing'), undefined);
    await s.close();
    s = openStore(t.dir);
    const snap = s.loadSnapshot<typeof state>('jobs');
    assert.ok(snap);
    assert.is(snap.position, 5);
    assert.ok(snap.state.jobs instanceof Map);
    const a = snap.state.jobs.get('a')!;
    assert.is(a.status, 'RUNNING');
    assert.is(a.since.getTime(), 1000);
    assert.ok(a.tags.has('x'));
    await s.close();
  } finally { t.remove(); }
});

test('open refuses a file that is not LMDB, naming the file and the fix', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, EVENT_LOG_FILE);
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    assert.throws(() => openStore(t.dir), (err: Error) =>
      err.message.startsWith(`event log ${file}: not an LMDB file`) && err.message.includes('restore from backup or move the data dir aside'));
    // A zero-filled file would otherwise be taken as a new, empty log.
    writeFileSync(file, Buffer.alloc(8192));
    assert.throws(() => openStore(t.dir), /not an LMDB file/);
  } finally { t.remove(); }
});

test('open refuses a truncated log instead of crashing', async () => {
  const t = tempDir();
  const u = tempDir();
  try {
    const s = openStore(t.dir);
    for (let i = 0; i < 20; i++) await s.append(ticks(i * 500, 500, `job-${i}`));
    await s.close();
    const copy = join(u.dir, EVENT_LOG_FILE);
    copyFileSync(join(t.dir, EVENT_LOG_FILE), copy);
    assert.ok(statSync(copy).size > 3 * 4096);
    truncateSync(copy, 3 * 4096);
    assert.throws(() => openStore(u.dir), (err: Error) => err.message.includes(copy) && /truncated/.test(err.message));
  } finally { t.remove(); u.remove(); }
});

test('append after close is rejected', async () => {
  const t = tempDir();
  try {
    const s = openStore(t.dir);
    await s.close();
    await rejects(() => s.append(ticks(0, 1)), /append after close/);
  } finally { t.remove(); }
});

test.run();
