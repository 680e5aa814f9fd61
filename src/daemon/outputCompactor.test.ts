// The background compactor on a real LMDB log, with the persist bound as a plain function: it
// compacts only up to the bound, follows the bound as it moves, runs on its byte trigger and its
// timer, reports a failing bound without stopping, and joins concurrent runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { JobEvent } from '../events/jobEvents.js';
import { EventStore } from '../persist/eventStore.js';
import { OutputCompactor } from './outputCompactor.js';

const silent = pino({ level: 'silent' });
const out = (i: number): JobEvent => ({ type: 'JobOutputWritten', jobId: `job-${i % 2}`, at: i, stream: 'stdout', data: new Uint8Array(100).fill(i % 256), spoolEnd: i * 100 });
const lifecycle = (i: number): JobEvent => ({ type: 'JobStarted', jobId: `job-${i % 2}`, at: i, pid: i });

async function withLog(fn: (store: EventStore<JobEvent>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-compactor-'));
  const store = EventStore.open<JobEvent>({ path: dir });
  try {
    // Positions 1..100: a lifecycle event every 10th, output otherwise.
    await store.append(Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? lifecycle(i + 1) : out(i + 1))));
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const stubsUpTo = (store: EventStore<JobEvent>) =>
  [...store.read()].filter((e) => e.event.type === 'JobOutputWritten' && e.event.compactedBytes !== undefined).map((e) => e.position);

async function until(cond: () => boolean, label: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('compacts only up to the bound, and further when the bound moves', () => withLog(async (store) => {
  let bound = 25;
  const c = new OutputCompactor({ log: store, bound: () => bound, intervalMs: 0, everyBytes: 0, stepEvents: 7, logger: silent });
  const first = await c.runNow();
  assert.is(first.through, 25);
  assert.is(first.compacted, 22);  // 25 positions minus the lifecycle events at 1, 11, 21
  assert.ok(Math.max(...stubsUpTo(store)) <= 25);
  bound = 60;
  const second = await c.runNow();
  assert.equal({ through: second.through, compacted: second.compacted }, { through: 60, compacted: 54 });
  // A bound past the end of the log stops at the end.
  bound = 10_000;
  assert.is((await c.runNow()).through, 100);
  assert.is(c.facts()['compaction.through'], '100');
  await c.close();
}));

test('a failing bound is reported and the next run succeeds', () => withLog(async (store) => {
  let fail = true;
  const c = new OutputCompactor({ log: store, bound: () => { if (fail) throw new Error('persist is down'); return 50; }, intervalMs: 0, everyBytes: 0, logger: silent });
  let err: unknown;
  try { await c.runNow(); } catch (e) { err = e; }
  assert.match(String(err), 'persist is down');
  assert.is(c.facts()['compaction.lastError'], 'persist is down');
  assert.is(store.compactedThrough, 0);
  fail = false;
  assert.is((await c.runNow()).through, 50);
  assert.is(c.facts()['compaction.lastError'], undefined);
  assert.is(c.stats.failures, 1);
  await c.close();
}));

test('runs after everyBytes of appended output, and on its timer', () => withLog(async (store) => {
  const byBytes = new OutputCompactor({ log: store, bound: () => 40, intervalMs: 0, everyBytes: 1000, logger: silent });
  for (const e of store.read(1, 5)) byBytes.noteEvent(e);  // 400 bytes: not yet
  await new Promise((r) => setImmediate(r));
  assert.is(byBytes.stats.runs, 0);
  for (const e of store.read(6, 20)) byBytes.noteEvent(e);
  await until(() => store.compactedThrough === 40, 'the byte-triggered run');
  await byBytes.close();
  const timed = new OutputCompactor({ log: store, bound: () => 80, intervalMs: 5, everyBytes: 0, logger: silent }).start();
  await until(() => store.compactedThrough === 80, 'the timer run');
  await timed.close();
  const runs = timed.stats.runs;
  await new Promise((r) => setTimeout(r, 30));
  assert.is(timed.stats.runs, runs, 'close stopped the timer');
}));

test('a run asked for while one is in progress joins it and runs once more after', () => withLog(async (store) => {
  let bound = 30;
  const c = new OutputCompactor({ log: store, bound: () => bound, intervalMs: 0, everyBytes: 0, stepEvents: 3, logger: silent });
  const a = c.runNow();
  bound = 90;
  const b = c.runNow();
  assert.is(a, b, 'the second call joined the first');
  await a;
  await until(() => store.compactedThrough >= 90, 'the follow-up run');
  assert.ok(c.stats.runs >= 2);
  await c.close();
}));

test.run();
