import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, openStore, ticks, until } from './tempStore.js';
import type { StoredEvent } from '../../../src/persist/eventStore.js';
import type { TestEvent } from './tempStore.js';

test('subscribe from 1 sees history, then live events, in order', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    await s.append(ticks(0, 10));
    const seen: number[] = [];
    const sub = s.subscribe(1, async (e) => {
      await new Promise((r) => setImmediate(r)); // an async handler: delivery must still be sequential
      seen.push(e.position);
    });
    await until(() => seen.length === 10, 'history');
    await s.append(ticks(10, 5));
    await s.append(ticks(15, 1));
    await until(() => seen.length === 16, 'live events');
    assert.equal(seen, Array.from({ length: 16 }, (_, i) => i + 1));
    assert.is(sub.position, 16);
    sub.close();
    await sub.done;
    await s.append(ticks(16, 1));
    await new Promise((r) => setTimeout(r, 30));
    assert.is(seen.length, 16, 'no delivery after close');
  } finally { await s.close(); t.remove(); }
});

test('a subscriber joining mid-stream sees every position exactly once, no gap', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    let writing = true;
    const writer = (async () => {
      let n = 0;
      // Many small appends, some concurrent, so the subscriber's switch from history to live
      // happens while commits are landing.
      while (writing) { await Promise.all([s.append(ticks(n, 3)), s.append(ticks(n + 3, 1))]); n += 4; }
    })();
    await until(() => s.lastPosition >= 400, 'writer warm-up');
    const from = s.lastPosition - 150;
    const seen: number[] = [];
    const sub = s.subscribe(from, (e) => { seen.push(e.position); });
    await until(() => seen.length >= 600, 'subscriber to catch up and follow live appends');
    writing = false;
    await writer;
    const last = s.lastPosition;
    await until(() => sub.position === last, 'subscriber to reach the end');
    assert.is(seen[0], from);
    for (let i = 1; i < seen.length; i++) {
      if (seen[i] !== seen[i - 1] + 1) assert.unreachable(`gap or duplicate at index ${i}: ${seen[i - 1]} then ${seen[i]}`);
    }
    assert.is(seen[seen.length - 1], last);
    sub.close();
  } finally { await s.close(); t.remove(); }
});

test('subscribe with a jobId filter delivers only that job', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    await s.append([...ticks(0, 3, 'a'), ...ticks(3, 2, 'b'), { type: 'Noted', n: 5 }]);
    const seen: StoredEvent<TestEvent>[] = [];
    const sub = s.subscribe(2, (e) => { seen.push(e); }, { jobId: 'a' });
    await s.append([...ticks(6, 2, 'b'), ...ticks(8, 1, 'a')]);
    await until(() => sub.position === 9, 'scan to the end');
    assert.equal(seen.map((e) => e.position), [2, 3, 9]);
    assert.ok(seen.every((e) => e.event.jobId === 'a'));
    sub.close();
  } finally { await s.close(); t.remove(); }
});

test('a slow subscriber does not hold up appends', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const seen: number[] = [];
    const sub = s.subscribe(1, async (e) => { await gate; seen.push(e.position); });
    for (let i = 0; i < 20; i++) await s.append(ticks(i, 1));
    assert.is(s.lastPosition, 20);
    assert.is(seen.length, 0);
    release();
    await until(() => seen.length === 20, 'slow subscriber to drain');
    sub.close();
  } finally { await s.close(); t.remove(); }
});

test('a handler error stops the subscription and rejects done', async () => {
  const t = tempDir();
  const s = openStore(t.dir);
  try {
    await s.append(ticks(0, 5));
    const seen: number[] = [];
    const sub = s.subscribe(1, (e) => { if (e.position === 3) throw new Error('projection bug'); seen.push(e.position); });
    let err: unknown;
    try { await sub.done; } catch (e) { err = e; }
    assert.instance(err, Error);
    assert.is((err as Error).message, 'projection bug');
    assert.equal(seen, [1, 2]);
    assert.is(sub.position, 2, 'position stays at the last event handled');
  } finally { await s.close(); t.remove(); }
});

test('close ends waiting subscriptions', async () => {
  const t = tempDir();
  try {
    const s = openStore(t.dir);
    const sub = s.subscribe(1, () => undefined);
    await new Promise((r) => setTimeout(r, 10));
    await s.close();
    await sub.done; // would hang if the store did not wake its cursors
    assert.is(sub.position, 0);
  } finally { t.remove(); }
});

test.run();
