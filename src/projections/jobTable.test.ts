// The job table projection: idempotent per log position, prefix resolution as the spec asks
// ("job not found: <id>" for unknown, ambiguous and short prefixes), list order, output totals,
// and snapshots that restore the same table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALICE, running, submitted } from '../../test/unit/givenWhenThen.js';
import type { JobEvent } from '../events/jobEvents.js';
import { DomainError } from '../events/errors.js';
import { JobTable } from './jobTable.js';

const A = 'aaaaaaaa-1111-4000-8000-000000000001';
const A2 = 'aaaaaaaa-2222-4000-8000-000000000002'; // shares its first 8 characters with A
const B = 'bbbbbbbb-3333-4000-8000-000000000003';
const out = (jobId: string, stream: 'stdout' | 'stderr', bytes: number): JobEvent =>
  ({ type: 'JobOutputWritten', jobId, at: 1500, stream, data: new Uint8Array(bytes) });
const finished = (jobId: string, at = 2000): JobEvent => ({ type: 'JobFinished', jobId, at, status: 'COMPLETED', exitCode: 0 });

/** A table fed `events` at positions 1, 2, 3... as the store would deliver them. */
function tableOf(events: JobEvent[]): JobTable {
  const t = new JobTable();
  events.forEach((e, i) => t.apply(i + 1, e));
  return t;
}

function notFoundMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, DomainError);
    assert.is((err as DomainError).code, 'NOT_FOUND');
    return (err as DomainError).message;
  }
  return assert.unreachable('expected NOT_FOUND') as never;
}

test('apply records the position and re-applying a position at or below it is ignored', () => {
  const t = tableOf([...running(A), out(A, 'stdout', 5)]);
  assert.is(t.position, 3);
  t.apply(3, out(A, 'stdout', 5));                                  // a redelivered event
  t.apply(2, finished(A));                                          // an older position
  t.apply(1, { type: 'JobDeleted', jobId: A, at: 9, by: ALICE });
  assert.is(t.position, 3);
  assert.is(t.get(A)?.status, 'RUNNING');
  assert.equal(t.outputTotals(A), { stdoutBytes: 5, stderrBytes: 0 }, 'output counted once');
  t.apply(4, finished(A));
  assert.is(t.get(A)?.status, 'COMPLETED');
  assert.is(t.position, 4);
});

test('resolve finds a job by its full id', () => {
  const t = tableOf([submitted(1, { jobId: A }), submitted(2, { jobId: A2 })]);
  assert.is(t.resolve(A).id, A);
  assert.is(t.resolve(A2).id, A2);
});

test('resolve finds a job by a unique prefix of 8 or more characters', () => {
  const t = tableOf([submitted(1, { jobId: A }), submitted(2, { jobId: B })]);
  assert.is(t.resolve('bbbbbbbb').id, B);
  assert.is(t.resolve('aaaaaaaa-1111').id, A);
});

test('an ambiguous prefix is NOT_FOUND and says so', () => {
  const t = tableOf([submitted(1, { jobId: A }), submitted(2, { jobId: A2 })]);
  const msg = notFoundMessage(() => t.resolve('aaaaaaaa'));
  assert.ok(msg.startsWith('job not found: aaaaaaaa') && msg.includes('more than one job'), msg);
  assert.is(t.resolve('aaaaaaaa-2').id, A2, 'one more character settles it');
});

test('a prefix shorter than 8 characters is NOT_FOUND even when unique', () => {
  const t = tableOf([submitted(1, { jobId: B })]);
  assert.is(notFoundMessage(() => t.resolve('bbbbbbb')), 'job not found: bbbbbbb');
  assert.is(notFoundMessage(() => t.resolve('')), 'job not found: ');
});

test('an unknown id is NOT_FOUND "job not found: <id>"', () => {
  const t = tableOf([submitted(1, { jobId: A })]);
  assert.is(notFoundMessage(() => t.resolve(B)), `job not found: ${B}`);
});

test('list is in submission order, oldest first, whatever order the ids have', () => {
  const t = tableOf([submitted(30, { jobId: A }), submitted(10, { jobId: B }), submitted(20, { jobId: A2 })]);
  assert.equal(t.list().map((j) => j.id), [B, A2, A]);
  const tie = tableOf([submitted(5, { jobId: B }), submitted(5, { jobId: A })]);
  assert.equal(tie.list().map((j) => j.id), [A, B], 'same millisecond: by id, so the order is stable');
});

test('output totals count bytes per stream and per job', () => {
  const t = tableOf([...running(A), ...running(B), out(A, 'stdout', 3), out(A, 'stderr', 7), out(A, 'stdout', 4), out(B, 'stderr', 1)]);
  assert.equal(t.outputTotals(A), { stdoutBytes: 7, stderrBytes: 7 });
  assert.equal(t.outputTotals(B), { stdoutBytes: 0, stderrBytes: 1 });
  assert.equal(t.outputTotals(A2), { stdoutBytes: 0, stderrBytes: 0 }, 'a job without output has zero totals');
});

test('output of a job the table does not hold leaves no totals behind', () => {
  const t = tableOf([submitted(1, { jobId: B }), out(A, 'stdout', 9)]);
  assert.is(t.position, 2);
  assert.equal(t.snapshot().output, []);
});

test('delete removes the job and its output totals', () => {
  const t = tableOf([...running(A), out(A, 'stdout', 3), finished(A), submitted(3000, { jobId: B }), { type: 'JobDeleted', jobId: A, at: 4000, by: ALICE }]);
  assert.is(t.get(A), undefined);
  assert.equal(t.list().map((j) => j.id), [B]);
  assert.equal(t.outputTotals(A), { stdoutBytes: 0, stderrBytes: 0 });
  assert.is(notFoundMessage(() => t.resolve(A)), `job not found: ${A}`);
  assert.not.ok(t.snapshot().output.some(([id]) => id === A), 'no totals of a deleted job in the snapshot');
});

test('snapshot then fromSnapshot gives the same list, totals and position, also after a copy', () => {
  const t = tableOf([...running(A), out(A, 'stdout', 3), finished(A), submitted(5000, { jobId: B, scheduledAt: 9000 })]);
  // The store keeps snapshots serialized; structuredClone stands in for that copy.
  for (const snap of [t.snapshot(), structuredClone(t.snapshot())]) {
    const r = JobTable.fromSnapshot(snap);
    assert.is(r.position, t.position);
    assert.equal(r.list(), t.list());
    assert.equal(r.outputTotals(A), { stdoutBytes: 3, stderrBytes: 0 });
    assert.is(r.resolve('bbbbbbbb').scheduledAt, 9000);
  }
});

test('a taken snapshot does not change when the table moves on, and restored tables are independent', () => {
  const t = tableOf([...running(A), out(A, 'stdout', 3)]);
  const snap = t.snapshot();
  t.apply(4, out(A, 'stdout', 10));
  assert.equal(snap.output, [[A, { stdoutBytes: 3, stderrBytes: 0 }]], 'the snapshot still says 3 bytes');
  const r1 = JobTable.fromSnapshot(snap);
  const r2 = JobTable.fromSnapshot(snap);
  r1.apply(4, out(A, 'stderr', 2));
  assert.equal(r2.outputTotals(A), { stdoutBytes: 3, stderrBytes: 0 });
  assert.equal(r1.outputTotals(A), { stdoutBytes: 3, stderrBytes: 2 });
});

test('a restored table resumes after the snapshot position and ignores what it already holds', () => {
  const events = [...running(A), out(A, 'stdout', 3), finished(A)];
  const r = JobTable.fromSnapshot(tableOf(events.slice(0, 3)).snapshot());
  events.forEach((e, i) => r.apply(i + 1, e));                      // replay the whole log from 1
  assert.equal(r.outputTotals(A), { stdoutBytes: 3, stderrBytes: 0 });
  assert.is(r.get(A)?.status, 'COMPLETED');
  assert.is(r.position, 4);
});

test.run();
