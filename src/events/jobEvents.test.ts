// evolve: replaying the events of a job's whole life gives its final state; events that do not fit
// the state are history, not errors, so they are ignored; the input state is never mutated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALICE, JOB_ID, replay, running, submitted } from '../../test/unit/givenWhenThen.js';
import type { Job, JobStatus } from './job.js';
import { FINAL_STATUSES, SYSTEM, isFinal } from './job.js';
import type { JobEvent } from './jobEvents.js';
import { evolve } from './jobEvents.js';
import type { JobCommand } from './jobCommands.js';
import { decide } from './jobCommands.js';

test('a scheduled life: launched, started, output, stopped by a user, exited', () => {
  const job = replay([
    submitted(1000, { scheduledAt: 5000 }),
    { type: 'JobLaunching', jobId: JOB_ID, at: 5000 },
    { type: 'JobStarted', jobId: JOB_ID, at: 5003, pid: 77 },
    { type: 'JobOutputWritten', jobId: JOB_ID, at: 5100, stream: 'stdout', data: new Uint8Array([65]) },
    { type: 'JobStopRequested', jobId: JOB_ID, at: 6000, by: ALICE, reason: 'user' },
    { type: 'JobFinished', jobId: JOB_ID, at: 6100, status: 'STOPPED', exitCode: -1 },
  ]);
  assert.ok(job && isFinal(job));
  assert.equal(
    { status: job.status, submittedAt: job.submittedAt, scheduledAt: job.scheduledAt, startedAt: job.startedAt, endedAt: job.endedAt, exitCode: job.exitCode },
    { status: 'STOPPED', submittedAt: 1000, scheduledAt: 5000, startedAt: 5003, endedAt: 6100, exitCode: -1 },
  );
  // A finished job carries no running-only facts: no pid to signal, no pending stop.
  assert.not.ok('pid' in job);
  assert.not.ok('stopRequested' in job);
});

test('a queued life that hits its timeout ends TIMEOUT 124 with its reason', () => {
  const job = replay([
    submitted(1000),
    { type: 'JobQueued', jobId: JOB_ID, at: 1001 },
    { type: 'JobLaunching', jobId: JOB_ID, at: 1500 },
    { type: 'JobStarted', jobId: JOB_ID, at: 1502, pid: 9 },
    { type: 'JobStopRequested', jobId: JOB_ID, at: 31_502, by: SYSTEM, reason: 'timeout' },
    { type: 'JobFinished', jobId: JOB_ID, at: 31_610, status: 'TIMEOUT', exitCode: 124, reason: 'killed at its timeout' },
  ]);
  assert.ok(job?.status === 'TIMEOUT');
  assert.equal([job.startedAt, job.endedAt, job.exitCode, job.reason], [1502, 31_610, 124, 'killed at its timeout']);
  assert.is(job.scheduledAt, undefined);
});

test('a life driven through decide, command by command, ends COMPLETED with its times', () => {
  const commands: JobCommand[] = [
    { type: 'SubmitJob', jobId: JOB_ID, at: 10, by: ALICE, nodeId: 'n', spec: submitted(0).spec },
    { type: 'QueueJob', jobId: JOB_ID, at: 11 },
    { type: 'LaunchJob', jobId: JOB_ID, at: 20 },
    { type: 'RecordStart', jobId: JOB_ID, at: 21, pid: 500 },
    { type: 'RecordOutput', jobId: JOB_ID, at: 22, stream: 'stdout', data: new Uint8Array([1, 2]) },
    { type: 'RecordExit', jobId: JOB_ID, at: 30, exitCode: 0 },
  ];
  const log: JobEvent[] = [];
  let job: Job | undefined;
  for (const cmd of commands) {
    for (const e of decide(job, cmd)) { log.push(e); job = evolve(job, e); }
  }
  assert.equal(log.map((e) => e.type), ['JobSubmitted', 'JobQueued', 'JobLaunching', 'JobStarted', 'JobOutputWritten', 'JobFinished']);
  assert.ok(job?.status === 'COMPLETED');
  assert.equal([job.startedAt, job.endedAt, job.exitCode], [21, 30, 0]);
  assert.equal(replay(log), job, 'replaying the log gives the state that decide saw');
});

test('a canceled scheduled job is CANCELED with an end time and no start', () => {
  const job = replay([submitted(1000, { scheduledAt: 9000 }), { type: 'JobCanceled', jobId: JOB_ID, at: 2000, by: ALICE }]);
  assert.ok(job?.status === 'CANCELED');
  assert.equal([job.endedAt, job.startedAt, job.scheduledAt], [2000, undefined, 9000]);
});

test('the first end wins: a second JobFinished is ignored', () => {
  const job = replay([
    ...running(),
    { type: 'JobFinished', jobId: JOB_ID, at: 2000, status: 'COMPLETED', exitCode: 0 },
    { type: 'JobFinished', jobId: JOB_ID, at: 2500, status: 'FAILED', exitCode: 9 },
  ]);
  assert.ok(job?.status === 'COMPLETED' && job.exitCode === 0 && job.endedAt === 2000);
});

test('events that do not fit the state are ignored', () => {
  const done = replay([...running(), { type: 'JobFinished', jobId: JOB_ID, at: 2000, status: 'FAILED', exitCode: 2 }])!;
  for (const e of [
    { type: 'JobStarted', jobId: JOB_ID, at: 3000, pid: 1 },
    { type: 'JobQueued', jobId: JOB_ID, at: 3000 },
    { type: 'JobLaunching', jobId: JOB_ID, at: 3000 },
    { type: 'JobStopRequested', jobId: JOB_ID, at: 3000, by: ALICE, reason: 'user' },
    { type: 'JobCanceled', jobId: JOB_ID, at: 3000, by: ALICE },
  ] satisfies JobEvent[]) {
    assert.equal(evolve(done, e), done, e.type);
  }
  const run = replay(running())!;
  assert.equal(evolve(run, { type: 'JobQueued', jobId: JOB_ID, at: 3000 }), run, 'a running job is not queued');
  assert.equal(evolve(run, { type: 'JobCanceled', jobId: JOB_ID, at: 3000, by: ALICE }), run, 'a running job is not canceled');
  assert.is(evolve(undefined, { type: 'JobStarted', jobId: JOB_ID, at: 1, pid: 1 }), undefined, 'no job appears without JobSubmitted');
});

test('JobDeleted removes the job', () => {
  assert.is(replay([...running(), { type: 'JobFinished', jobId: JOB_ID, at: 2, status: 'COMPLETED', exitCode: 0 }, { type: 'JobDeleted', jobId: JOB_ID, at: 3, by: ALICE }]), undefined);
});

test('an event type from a newer daemon keeps the state as it is', () => {
  const run = replay(running())!;
  const future = { type: 'JobMigrated', jobId: JOB_ID, at: 5 } as unknown as JobEvent;
  assert.is(evolve(run, future), run);
});

test('evolve never mutates the state it is given', () => {
  const deepFreeze = (o: object): object => { Object.values(o).forEach((v) => v && typeof v === 'object' && deepFreeze(v)); return Object.freeze(o); };
  const run = deepFreeze(replay(running())!) as Job;
  const stopping = evolve(run, { type: 'JobStopRequested', jobId: JOB_ID, at: 1500, by: ALICE, reason: 'user' });
  const ended = evolve(stopping, { type: 'JobFinished', jobId: JOB_ID, at: 1600, status: 'STOPPED', exitCode: -1 });
  assert.ok(run.status === 'RUNNING' && run.stopRequested === undefined);
  assert.is(ended?.status, 'STOPPED');
});

test('isFinal holds for exactly the five final statuses', () => {
  const all: JobStatus[] = ['SCHEDULED', 'QUEUED', 'INITIALIZING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELED', 'TIMEOUT'];
  const base = replay([submitted(1)])!;
  const finals = all.filter((status) => isFinal({ ...base, status, endedAt: 2, exitCode: 0 } as Job));
  assert.equal(finals, [...FINAL_STATUSES]);
});

test.run();
