import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecentEvents } from './recentEvents.js';

const positions = (r: { position: number }[] | undefined) => r?.map((e) => e.position);

test('serves a range only when it holds every position of it', () => {
  const r = new RecentEvents<string>(100, 1000);
  for (let p = 5; p <= 9; p++) r.add(p, `e${p}`, 10);
  assert.is(r.firstPosition, 5);
  assert.equal(r.range(6, 8), [{ position: 6, event: 'e6' }, { position: 7, event: 'e7' }, { position: 8, event: 'e8' }]);
  assert.is(r.range(4, 6), undefined);
  assert.is(r.range(8, 10), undefined);
});

test('drops the oldest past either bound, never the newest', () => {
  const r = new RecentEvents<number>(3, 1000);
  for (let p = 1; p <= 5; p++) r.add(p, p, 1);
  assert.is(r.firstPosition, 3);
  const b = new RecentEvents<number>(100, 25);
  for (let p = 1; p <= 4; p++) b.add(p, p, 10);
  assert.is(b.firstPosition, 3);
  b.add(5, 5, 500);  // one event over the bytes bound is still held, alone
  assert.equal(positions(b.range(5, 5)), [5]);
  assert.is(b.firstPosition, 5);
});

test('a gap starts over: positions that are not contiguous are never mixed', () => {
  const r = new RecentEvents<number>(100, 1000);
  r.add(1, 1, 1);
  r.add(2, 2, 1);
  r.add(7, 7, 1);
  assert.is(r.firstPosition, 7);
  assert.is(r.range(2, 7), undefined);
});

test('dropThrough forgets the oldest; many drops keep positions right', () => {
  const r = new RecentEvents<number>(5000, 1e9);
  for (let p = 1; p <= 4000; p++) r.add(p, p * 10, 1);
  r.dropThrough(3000);
  assert.is(r.firstPosition, 3001);
  assert.equal(r.range(3001, 3002), [{ position: 3001, event: 30010 }, { position: 3002, event: 30020 }]);
  assert.equal(positions(r.range(3997, 4000)), [3997, 3998, 3999, 4000]);
  r.add(4001, 0, 1);  // continues right after the kept tail
  assert.equal(r.range(4001, 4001), [{ position: 4001, event: 0 }]);
  r.dropThrough(Infinity);
  assert.is(r.firstPosition, undefined);
});

test.run();
