// Decider specs for a job's way in: submit, queue, launch, start, start failure, output.
// The endings (stop, exit, cancel, delete) are in jobCommands.ending.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALICE, JOB_ID, NODE_ID, aSpec, given, replay, running, submitted } from '../../test/unit/givenWhenThen.js';
import type { JobEvent } from './jobEvents.js';

const spec = aSpec({ command: 'sleep', args: ['1'] });
const queued: JobEvent[] = [submitted(1000), { type: 'JobQueued', jobId: JOB_ID, at: 1001 }];
const scheduled: JobEvent[] = [submitted(1000, { scheduledAt: 60_000 })];
const failedToStart: JobEvent[] = [
  submitted(1000),
  { type: 'JobFinished', jobId: JOB_ID, at: 1001, status: 'FAILED', exitCode: -1, reason: 'exec sleep: ENOENT' },
];

test('submit without a schedule records the submission and the job is INITIALIZING', () => {
  const events = given([]).when({ type: 'SubmitJob', jobId: JOB_ID, at: 1000, by: ALICE, nodeId: NODE_ID, spec }).then([
    { type: 'JobSubmitted', jobId: JOB_ID, at: 1000, by: ALICE, nodeId: NODE_ID, spec },
  ]);
  const job = replay(events);
  assert.is(job?.status, 'INITIALIZING');
  assert.is(job?.submittedAt, 1000);
  assert.is(job?.scheduledAt, undefined);
  assert.equal(job?.submittedBy, ALICE);
});

test('submit with a schedule records scheduledAt and the job is SCHEDULED', () => {
  const events = given([])
    .when({ type: 'SubmitJob', jobId: JOB_ID, at: 1000, by: ALICE, nodeId: NODE_ID, spec, scheduledAt: 60_000 })
    .then([{ type: 'JobSubmitted', jobId: JOB_ID, at: 1000, by: ALICE, nodeId: NODE_ID, spec, scheduledAt: 60_000 }]);
  const job = replay(events);
  assert.is(job?.status, 'SCHEDULED');
  assert.is(job?.scheduledAt, 60_000);
});

test('submit with an id that exists is ALREADY_EXISTS', () => {
  given([submitted(1000)])
    .when({ type: 'SubmitJob', jobId: JOB_ID, at: 2000, by: ALICE, nodeId: NODE_ID, spec })
    .thenFails('ALREADY_EXISTS', `job already exists: ${JOB_ID}`);
});

test('submit with an id that exists is refused even after the job ended', () => {
  given(failedToStart)
    .when({ type: 'SubmitJob', jobId: JOB_ID, at: 2000, by: ALICE, nodeId: NODE_ID, spec })
    .thenFails('ALREADY_EXISTS', JOB_ID);
});

test('queue moves an initializing job to QUEUED; queueing it again decides nothing', () => {
  const events = given([submitted(1000)]).when({ type: 'QueueJob', jobId: JOB_ID, at: 1001 }).then([
    { type: 'JobQueued', jobId: JOB_ID, at: 1001 },
  ]);
  assert.is(replay([submitted(1000), ...events])?.status, 'QUEUED');
  given(queued).when({ type: 'QueueJob', jobId: JOB_ID, at: 1002 }).then([]);
});

test('queue of a running job is FAILED_PRECONDITION', () => {
  given(running()).when({ type: 'QueueJob', jobId: JOB_ID, at: 2000 }).thenFails('FAILED_PRECONDITION', 'RUNNING', 'queued');
});

test('launch moves a queued job back to INITIALIZING', () => {
  const events = given(queued).when({ type: 'LaunchJob', jobId: JOB_ID, at: 1005 }).then([
    { type: 'JobLaunching', jobId: JOB_ID, at: 1005 },
  ]);
  assert.is(replay([...queued, ...events])?.status, 'INITIALIZING');
});

test('launch of a scheduled job when its time comes makes it INITIALIZING and keeps scheduledAt', () => {
  const events = given(scheduled).when({ type: 'LaunchJob', jobId: JOB_ID, at: 60_000 }).then([
    { type: 'JobLaunching', jobId: JOB_ID, at: 60_000 },
  ]);
  const job = replay([...scheduled, ...events]);
  assert.is(job?.status, 'INITIALIZING');
  assert.is(job?.scheduledAt, 60_000);
});

test('launch of a job that is already initializing decides nothing', () => {
  given([submitted(1000)]).when({ type: 'LaunchJob', jobId: JOB_ID, at: 1001 }).then([]);
});

test('launch of a finished job is FAILED_PRECONDITION', () => {
  given(failedToStart).when({ type: 'LaunchJob', jobId: JOB_ID, at: 2000 }).thenFails('FAILED_PRECONDITION', 'FAILED', 'launched');
});

test('start of an initializing job records the pid and the job is RUNNING since then', () => {
  const events = given([submitted(1000)]).when({ type: 'RecordStart', jobId: JOB_ID, at: 1002, pid: 4242 }).then([
    { type: 'JobStarted', jobId: JOB_ID, at: 1002, pid: 4242 },
  ]);
  const job = replay([submitted(1000), ...events]);
  assert.is(job?.status, 'RUNNING');
  assert.ok(job?.status === 'RUNNING' && job.pid === 4242 && job.startedAt === 1002);
});

test('start of a scheduled job that was never launched is FAILED_PRECONDITION', () => {
  given(scheduled).when({ type: 'RecordStart', jobId: JOB_ID, at: 2000, pid: 7 }).thenFails('FAILED_PRECONDITION', 'SCHEDULED', 'started');
});

test('start of a running job is FAILED_PRECONDITION (a job starts once)', () => {
  given(running()).when({ type: 'RecordStart', jobId: JOB_ID, at: 2000, pid: 7 }).thenFails('FAILED_PRECONDITION', 'RUNNING');
});

test('start failure ends the job FAILED with exit -1 and keeps the reason', () => {
  const reason = 'exec sleep: ENOENT (is it installed in the job root?)';
  const events = given([submitted(1000)]).when({ type: 'RecordStartFailure', jobId: JOB_ID, at: 1001, reason }).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 1001, status: 'FAILED', exitCode: -1, reason },
  ]);
  const job = replay([submitted(1000), ...events]);
  assert.is(job?.status, 'FAILED');
  assert.ok(job?.status === 'FAILED' && job.exitCode === -1 && job.reason === reason && job.endedAt === 1001);
  assert.ok(job?.status === 'FAILED' && job.startedAt === undefined, 'a job that never started has no startedAt');
});

test('start failure of a running job is FAILED_PRECONDITION', () => {
  given(running()).when({ type: 'RecordStartFailure', jobId: JOB_ID, at: 2000, reason: 'x' }).thenFails('FAILED_PRECONDITION', 'RUNNING', 'failed to start');
});

test('output of a running job is recorded with its stream and bytes', () => {
  const data = new Uint8Array([104, 105, 10]);
  given(running()).when({ type: 'RecordOutput', jobId: JOB_ID, at: 1500, stream: 'stderr', data }).then([
    { type: 'JobOutputWritten', jobId: JOB_ID, at: 1500, stream: 'stderr', data: new Uint8Array([104, 105, 10]) },
  ]);
});

test('output arriving after the job ended decides nothing', () => {
  given(failedToStart).when({ type: 'RecordOutput', jobId: JOB_ID, at: 2000, stream: 'stdout', data: new Uint8Array([1]) }).then([]);
});

test('decide reads no clock: the same history and command give the same events', () => {
  const cmd = { type: 'SubmitJob', jobId: JOB_ID, at: 5, by: ALICE, nodeId: NODE_ID, spec } as const;
  const a = given([]).when(cmd).then([{ type: 'JobSubmitted', jobId: JOB_ID, at: 5, by: ALICE, nodeId: NODE_ID, spec }]);
  const b = given([]).when(cmd).then(a);
  assert.equal(a, b);
});

test.run();
