// Decider specs for how a job ends: stop, exit, cancel, delete, and commands for jobs that do not
// exist. Exit codes follow the spec: STOPPED −1, TIMEOUT 124, COMPLETED 0, FAILED the real code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALICE, JOB_ID, given, replay, running, submitted } from '../../test/unit/givenWhenThen.js';
import type { Caller } from './job.js';
import type { JobCommand } from './jobCommands.js';
import type { JobEvent } from './jobEvents.js';

const BOB: Caller = { cn: 'bob', role: 'admin' };
const SYSTEM_TIMER: Caller = { cn: 'joblet', role: 'system' };
const userStopped: JobEvent[] = [...running(), { type: 'JobStopRequested', jobId: JOB_ID, at: 1500, by: ALICE, reason: 'user' }];
const timedOut: JobEvent[] = [...running(), { type: 'JobStopRequested', jobId: JOB_ID, at: 1500, by: SYSTEM_TIMER, reason: 'timeout' }];
const completed: JobEvent[] = [...running(), { type: 'JobFinished', jobId: JOB_ID, at: 2000, status: 'COMPLETED', exitCode: 0 }];
const scheduled: JobEvent[] = [submitted(1000, { scheduledAt: 60_000 })];
const queued: JobEvent[] = [submitted(1000), { type: 'JobQueued', jobId: JOB_ID, at: 1001 }];
const exit = (exitCode: number, extra: { signal?: string; reason?: string } = {}): JobCommand =>
  ({ type: 'RecordExit', jobId: JOB_ID, at: 3000, exitCode, ...extra });

test('stop of a running job records who asked and why, and the job keeps RUNNING until it exits', () => {
  const events = given(running()).when({ type: 'StopJob', jobId: JOB_ID, at: 1500, by: ALICE, reason: 'user' }).then([
    { type: 'JobStopRequested', jobId: JOB_ID, at: 1500, by: ALICE, reason: 'user' },
  ]);
  const job = replay([...running(), ...events]);
  assert.is(job?.status, 'RUNNING');
  assert.ok(job?.status === 'RUNNING' && job.stopRequested?.reason === 'user' && job.stopRequested.by === ALICE);
});

test('a second stop decides nothing, and the first reason still decides the status', () => {
  given(userStopped).when({ type: 'StopJob', jobId: JOB_ID, at: 1600, by: BOB, reason: 'user' }).then([]);
  given(userStopped).when({ type: 'StopJob', jobId: JOB_ID, at: 1600, by: SYSTEM_TIMER, reason: 'timeout' }).then([]);
  given(userStopped).when(exit(143)).then([{ type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'STOPPED', exitCode: -1 }]);
});

test('stop of a finished job is FAILED_PRECONDITION', () => {
  given(completed).when({ type: 'StopJob', jobId: JOB_ID, at: 3000, by: ALICE, reason: 'user' })
    .thenFails('FAILED_PRECONDITION', JOB_ID, 'COMPLETED', 'stopped');
});

test('stop of a scheduled job ends it STOPPED with exit -1 without a process', () => {
  const events = given(scheduled).when({ type: 'StopJob', jobId: JOB_ID, at: 2000, by: ALICE, reason: 'user' }).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 2000, status: 'STOPPED', exitCode: -1 },
  ]);
  const job = replay([...scheduled, ...events]);
  assert.ok(job?.status === 'STOPPED' && job.endedAt === 2000 && job.startedAt === undefined);
});

test('stop of a queued job ends it STOPPED with exit -1', () => {
  given(queued).when({ type: 'StopJob', jobId: JOB_ID, at: 2000, by: ALICE, reason: 'user' }).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 2000, status: 'STOPPED', exitCode: -1 },
  ]);
});

test('exit after a user stop is STOPPED with exit -1, whatever the process returned', () => {
  const events = given(userStopped).when(exit(137, { signal: 'SIGKILL' })).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'STOPPED', exitCode: -1 },
  ]);
  const job = replay([...userStopped, ...events]);
  assert.ok(job?.status === 'STOPPED' && job.exitCode === -1 && job.startedAt === 1002 && job.endedAt === 3000);
});

test('exit after a timeout stop is TIMEOUT with exit 124', () => {
  given(timedOut).when(exit(143, { signal: 'SIGTERM' })).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'TIMEOUT', exitCode: 124, reason: 'killed at its timeout' },
  ]);
});

test('a plain exit 0 is COMPLETED', () => {
  given(running()).when(exit(0)).then([{ type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'COMPLETED', exitCode: 0 }]);
});

test('exit 3 is FAILED with exit code 3', () => {
  given(running()).when(exit(3)).then([{ type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'FAILED', exitCode: 3 }]);
});

test('death by a signal nobody asked for is FAILED with the signal as the reason', () => {
  given(running()).when(exit(137, { signal: 'SIGKILL' })).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'FAILED', exitCode: 137, reason: 'killed by SIGKILL' },
  ]);
});

test('a signal with exit code 0 is still FAILED: a killed process did not succeed', () => {
  given(running()).when(exit(0, { signal: 'SIGSEGV' })).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'FAILED', exitCode: 0, reason: 'killed by SIGSEGV' },
  ]);
});

test('an exit with an explicit reason (OOM) is FAILED and keeps that reason', () => {
  given(running()).when(exit(137, { signal: 'SIGKILL', reason: 'out of memory (max_memory 64 MiB)' })).then([
    { type: 'JobFinished', jobId: JOB_ID, at: 3000, status: 'FAILED', exitCode: 137, reason: 'out of memory (max_memory 64 MiB)' },
  ]);
});

test('an exit reported for a job already recorded as ended decides nothing', () => {
  given(completed).when(exit(0)).then([]);
});

test('cancel of a scheduled job records it and the job is CANCELED', () => {
  const events = given(scheduled).when({ type: 'CancelJob', jobId: JOB_ID, at: 2000, by: ALICE }).then([
    { type: 'JobCanceled', jobId: JOB_ID, at: 2000, by: ALICE },
  ]);
  const job = replay([...scheduled, ...events]);
  assert.ok(job?.status === 'CANCELED' && job.endedAt === 2000);
});

for (const [name, history, status] of [
  ['initializing', [submitted(1000)], 'INITIALIZING'],
  ['queued', queued, 'QUEUED'],
  ['running', running(), 'RUNNING'],
  ['completed', completed, 'COMPLETED'],
] as const) {
  test(`cancel of a ${name} job is FAILED_PRECONDITION (only SCHEDULED jobs can be canceled)`, () => {
    given([...history]).when({ type: 'CancelJob', jobId: JOB_ID, at: 2000, by: ALICE })
      .thenFails('FAILED_PRECONDITION', status, 'only SCHEDULED');
  });
}

test('delete of a finished job records it, and the job no longer exists', () => {
  const events = given(completed).when({ type: 'DeleteJob', jobId: JOB_ID, at: 4000, by: BOB }).then([
    { type: 'JobDeleted', jobId: JOB_ID, at: 4000, by: BOB },
  ]);
  assert.is(replay([...completed, ...events]), undefined);
});

for (const [name, history, status] of [
  ['scheduled', scheduled, 'SCHEDULED'],
  ['initializing', [submitted(1000)], 'INITIALIZING'],
  ['running', running(), 'RUNNING'],
  ['stopping', userStopped, 'RUNNING'],
] as const) {
  test(`delete of a ${name} job is FAILED_PRECONDITION`, () => {
    given([...history]).when({ type: 'DeleteJob', jobId: JOB_ID, at: 2000, by: ALICE }).thenFails('FAILED_PRECONDITION', status, 'before deleting');
  });
}

test('every command about a deleted job is NOT_FOUND', () => {
  const deleted: JobEvent[] = [...completed, { type: 'JobDeleted', jobId: JOB_ID, at: 4000, by: BOB }];
  given(deleted).when({ type: 'DeleteJob', jobId: JOB_ID, at: 5000, by: BOB }).thenFails('NOT_FOUND', `job not found: ${JOB_ID}`);
  given(deleted).when({ type: 'StopJob', jobId: JOB_ID, at: 5000, by: BOB, reason: 'user' }).thenFails('NOT_FOUND', `job not found: ${JOB_ID}`);
});

const UNKNOWN = 'ffffffff-0000-4000-8000-000000000000';
const commandsForUnknown: JobCommand[] = [
  { type: 'QueueJob', jobId: UNKNOWN, at: 1 },
  { type: 'LaunchJob', jobId: UNKNOWN, at: 1 },
  { type: 'RecordStart', jobId: UNKNOWN, at: 1, pid: 1 },
  { type: 'RecordStartFailure', jobId: UNKNOWN, at: 1, reason: 'x' },
  { type: 'RecordOutput', jobId: UNKNOWN, at: 1, stream: 'stdout', data: new Uint8Array() },
  { type: 'StopJob', jobId: UNKNOWN, at: 1, by: ALICE, reason: 'user' },
  { type: 'RecordExit', jobId: UNKNOWN, at: 1, exitCode: 0 },
  { type: 'CancelJob', jobId: UNKNOWN, at: 1, by: ALICE },
  { type: 'DeleteJob', jobId: UNKNOWN, at: 1, by: ALICE },
];
for (const cmd of commandsForUnknown) {
  test(`${cmd.type} of an unknown job is NOT_FOUND "job not found: <id>"`, () => {
    // Another job in the log must not leak into this one's state.
    const err = given(running()).when(cmd).thenFails('NOT_FOUND');
    assert.is(err.message, `job not found: ${UNKNOWN}`);
  });
}

test.run();
