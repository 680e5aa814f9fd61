// The queue's ordering and failure rules, driven by a writer whose commits the test settles by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BATCH_TARGET_BYTES, GroupCommit, type BatchTicket } from '../../../src/persist/groupCommit.js';

interface Step { first: number; items: string[]; commit: Deferred; flush: Deferred }
interface Deferred { promise: Promise<void>; resolve(): void; reject(e: Error): void }
function deferred(): Deferred {
  let resolve!: () => void; let reject!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => { resolve = a; reject = b; });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
const turn = () => new Promise((r) => setImmediate(r));

function harness(last = 0, sizeOf?: (item: string) => number) {
  const steps: Step[] = [];
  const durable: number[] = [];
  const gc = new GroupCommit<string>(last, (first, items): BatchTicket => {
    const step = { first, items, commit: deferred(), flush: deferred() };
    steps.push(step);
    return { committed: step.commit.promise, flushed: step.flush.promise };
  }, (p) => durable.push(p), 'event log /tmp/x', sizeOf);
  return { gc, steps, durable };
}

test('one batch in flight; the next is submitted only after the commit, acks only after the flush', async () => {
  const { gc, steps, durable } = harness(10);
  const a = gc.submit(['a1', 'a2']);
  const b = gc.submit(['b1']);
  await turn();
  assert.is(steps.length, 1);
  assert.equal(steps[0], { ...steps[0], first: 11, items: ['a1', 'a2', 'b1'] });
  const c = gc.submit(['c1']);
  await turn();
  assert.is(steps.length, 1, 'c waits for batch 1 to commit');
  steps[0].commit.resolve();
  await turn();
  assert.is(steps.length, 2);
  assert.is(steps[1].first, 14);
  assert.is(gc.lastDurable, 10, 'committed is not durable');
  steps[1].commit.resolve();
  steps[1].flush.resolve();
  await turn();
  assert.is(gc.lastDurable, 10, 'batch 2 cannot be acknowledged before batch 1 is flushed');
  steps[0].flush.resolve();
  assert.equal(await a, [11, 12]);
  assert.equal(await b, [13]);
  assert.equal(await c, [14]);
  assert.equal(durable, [13, 14]);
  assert.equal(gc.stats, { commits: 2, events: 4, largestBatch: 3 });
});

test('calls are batched up to about BATCH_TARGET_BYTES; one call is never split, however big', async () => {
  const third = Math.floor(BATCH_TARGET_BYTES / 3);
  const { gc, steps } = harness(0, (item) => item.length * third);
  const all = [gc.submit(['a']), gc.submit(['b']), gc.submit(['c']), gc.submit(['d']), gc.submit(['eeeee'])];
  await turn();
  assert.equal(steps.map((s) => s.items), [['a', 'b', 'c']], 'three thirds fit, the fourth starts the next batch');
  steps[0].commit.resolve();
  await turn();
  assert.equal(steps[1].items, ['d'], 'd and the five thirds of e do not fit together');
  steps[1].commit.resolve();
  await turn();
  assert.equal(steps[2], { ...steps[2], first: 5, items: ['eeeee'] });
  for (const s of steps) { s.commit.resolve(); s.flush.resolve(); }
  assert.equal(await Promise.all(all), [[1], [2], [3], [4], [5]]);
});

test('a failed commit rejects its batch and everything queued, and stops the queue', async () => {
  const { gc, steps } = harness();
  const a = gc.submit(['a']);
  await turn();
  const b = gc.submit(['b']);
  steps[0].commit.reject(new Error('MDB_MAP_FULL'));
  const msg = /write failed after position 0: MDB_MAP_FULL \(reopen the event store/;
  let errA: Error | undefined; let errB: Error | undefined;
  await a.catch((e) => { errA = e; });
  await b.catch((e) => { errB = e; });
  assert.match(errA!.message, msg);
  assert.match(errB!.message, msg);
  let errC: Error | undefined;
  await gc.submit(['c']).catch((e) => { errC = e; });
  assert.match(errC!.message, msg);
  await turn();
  assert.is(steps.length, 1, 'nothing is written after a failed batch');
  assert.is(gc.lastDurable, 0);
});

test('a writer that throws rejects the batch without advancing positions', async () => {
  const gc = new GroupCommit<string>(5, () => { throw new Error('boom'); }, () => undefined, 'event log /tmp/y');
  let err: Error | undefined;
  await gc.submit(['x']).catch((e) => { err = e; });
  assert.match(err!.message, /event log \/tmp\/y: write failed after position 5: boom/);
});

test.run();
