// One-line summaries and the event filter: what the replay tool, the tail and `rnx events` print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALICE, JOB_ID, submitted, aSpec } from '../../test/unit/givenWhenThen.js';
import type { JobEvent } from './jobEvents.js';
import { formatEventLine, summarizeEvent, callerLabel } from './eventSummary.js';
import { matchesFilter } from './eventFilter.js';

const rejected: JobEvent = {
  type: 'RequestRejected', at: Date.UTC(2025, 0, 2, 3, 4, 5, 6), by: { cn: 'mallory', role: 'reader', peer: '10.0.0.9:4000' },
  method: 'joblet.JobService/RunJob', code: 'PERMISSION_DENIED', message: 'role reader may not call joblet.JobService/RunJob (needs developer)', request: {},
};

test('a submission shows the command line as typed, its limits and secret names', () => {
  const e = submitted(0, { spec: { ...aSpec(), command: 'sh', args: ['-c', "echo 'hi'\nexit 1"], maxCpu: 50, maxMemory: 64, secretKeys: ['TOKEN', 'KEY'] } });
  assert.is(summarizeEvent(e), `sh -c 'echo '\\''hi'\\'' exit 1' (cpu 50%, mem 64MB, secrets TOKEN,KEY)`);
});

test('output is a length, never the bytes; an end shows status, code and reason', () => {
  assert.is(summarizeEvent({ type: 'JobOutputWritten', jobId: JOB_ID, at: 1, stream: 'stderr', data: new Uint8Array(42) }), 'stderr 42 bytes');
  assert.is(summarizeEvent({ type: 'JobFinished', jobId: JOB_ID, at: 1, status: 'FAILED', exitCode: -1, reason: 'killed by SIGKILL' }), 'FAILED exit -1: killed by SIGKILL');
});

test('the line: time, position, type, short job id, caller, summary; a rejection without a job shows -', () => {
  assert.is(formatEventLine(7, rejected), '2025-01-02T03:04:05.006Z  #7  RequestRejected   -         mallory/reader  joblet.JobService/RunJob PERMISSION_DENIED: role reader may not call joblet.JobService/RunJob (needs developer)');
  const line = formatEventLine(1, submitted(0));
  assert.match(line, ` ${JOB_ID.slice(0, 8)}  ${ALICE.cn}/${ALICE.role}  `);
  assert.is(callerLabel({ type: 'JobQueued', jobId: JOB_ID, at: 0 }), '-');
});

test('the filter narrows by position, time, job, type and caller CN', () => {
  const s = submitted(1000);
  assert.ok(matchesFilter({}, 5, s));
  assert.not.ok(matchesFilter({ fromPosition: 6 }, 5, s));
  assert.not.ok(matchesFilter({ toPosition: 4 }, 5, s));
  assert.ok(matchesFilter({ since: 1000, until: 1000 }, 5, s));
  assert.not.ok(matchesFilter({ since: 1001 }, 5, s));
  assert.not.ok(matchesFilter({ jobId: 'other' }, 5, s));
  assert.ok(matchesFilter({ types: ['JobQueued', 'JobSubmitted'] }, 5, s));
  assert.not.ok(matchesFilter({ types: ['JobQueued'] }, 5, s));
  assert.ok(matchesFilter({ callerCn: 'mallory' }, 5, rejected));
  assert.not.ok(matchesFilter({ callerCn: 'mallory' }, 5, { type: 'JobQueued', jobId: JOB_ID, at: 0 }));
  assert.not.ok(matchesFilter({ jobId: JOB_ID }, 5, rejected));
});

test.run();
