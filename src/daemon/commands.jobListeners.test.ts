// CommandHandler.onJobEvent: a follower of one job hears that job's durable events only, in log
// order, and nothing after it unsubscribes (real LMDB log). Output followers rely on it: with one
// follower per job, a listener on every event made each event call every follower.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStore } from '../persist/eventStore.js';
import { JobTable } from '../projections/jobTable.js';
import { CommandHandler } from './commands.js';
import type { JobEvent } from '../events/jobEvents.js';
import { running } from '../../test/unit/givenWhenThen.js';
import { tempDir } from '../../test/unit/persist/tempStore.js';

const JOB = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';
const output = (jobId: string, text: string): JobEvent =>
  ({ type: 'JobOutputWritten', jobId, at: 2000, stream: 'stdout', data: Buffer.from(text) });

async function handler() {
  const t = tempDir();
  const store = EventStore.open<JobEvent>({ path: t.dir });
  const commands = new CommandHandler(store, new JobTable());
  return { commands, close: async () => { await store.close(); t.remove(); } };
}

test('a job listener hears its own job only, in order, until it unsubscribes', async () => {
  const h = await handler();
  const heard: string[] = [];
  const off = h.commands.onJobEvent(JOB, ({ event, position }) => heard.push(`${position}:${event.type}`));
  const everything: number[] = [];
  h.commands.onEvent(({ position }) => everything.push(position));
  await h.commands.append([...running(JOB), ...running(OTHER)]);
  await h.commands.append([output(OTHER, 'a'), output(JOB, 'b'), output(OTHER, 'c')]);
  assert.equal(heard, ['1:JobSubmitted', '2:JobStarted', '6:JobOutputWritten']);
  assert.equal(everything, [1, 2, 3, 4, 5, 6, 7]);
  off();
  await h.commands.append([output(JOB, 'd')]);
  assert.is(heard.length, 3, 'nothing after unsubscribing');
  await h.close();
});

test('two listeners of one job: one unsubscribing while called leaves the other subscribed', async () => {
  const h = await handler();
  await h.commands.append(running(JOB));
  let first = 0;
  let second = 0;
  const offFirst = h.commands.onJobEvent(JOB, () => { first++; offFirst(); });
  h.commands.onJobEvent(JOB, () => { second++; });
  await h.commands.append([output(JOB, 'a')]);
  await h.commands.append([output(JOB, 'b')]);
  assert.is(first, 1);
  assert.is(second, 2);
  await h.close();
});

test('waitFor resolves on its own job ending, not on another job ending', async () => {
  const h = await handler();
  await h.commands.append([...running(JOB), ...running(OTHER)]);
  const ended = (job: { status: string } | undefined) => job?.status === 'COMPLETED';
  let resolved = false;
  const waited = h.commands.waitFor(JOB, ended, 5000).then((job) => { resolved = true; return job; });
  await h.commands.append([{ type: 'JobFinished', jobId: OTHER, at: 3000, status: 'COMPLETED', exitCode: 0 }]);
  await new Promise((r) => setImmediate(r));
  assert.is(resolved, false, 'another job ending does not resolve it');
  await h.commands.append([{ type: 'JobFinished', jobId: JOB, at: 3001, status: 'COMPLETED', exitCode: 0 }]);
  const job = await waited;
  assert.is(job?.id, JOB);
  assert.is(job?.status, 'COMPLETED');
  await h.close();
});

test.run();
