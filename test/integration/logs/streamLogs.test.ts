// joblet.logs.v1 LogService/StreamLogs against a real daemon running real jobs: each option
// (streams, since, tail_lines, follow), the chunk fields, bad input naming the field, and
// GetJobLogs still giving the raw bytes of both streams.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, call, collect, type TestDaemon } from '../../support/testDaemon.js';
import type { LogServiceClient } from '../../../src/gen/joblet/logs/v1/LogService.js';
import type { LogChunk__Output } from '../../../src/gen/joblet/logs/v1/LogChunk.js';
import { ended, logsClient, runJob, streamLogs, text, waitStatus } from './logTestKit.js';

let d: TestDaemon;
let logs: LogServiceClient;
let mixed: string;

test.before(async () => {
  d = await startTestDaemon();
  logs = logsClient(d, 'reader');
  // Lines on both streams; the pauses put stdout and stderr chunks apart in the log.
  mixed = await runJob(d, 'echo o1; sleep 0.05; echo e1 >&2; sleep 0.05; echo o2; sleep 0.05; printf e2 >&2');
  await waitStatus(d, mixed, ended);
});
test.after(async () => { logs.close(); await d.close(); });

test('streams: stdout only, stderr only, both (each chunk tagged with its stream)', async () => {
  assert.is(text(await streamLogs(logs, { job_uuid: mixed, streams: ['stdout'] })), 'o1\no2\n');
  assert.is(text(await streamLogs(logs, { job_uuid: mixed, streams: ['stderr'] })), 'e1\ne2');
  const both = await streamLogs(logs, { job_uuid: mixed });
  assert.is(both.error, undefined);
  assert.is(text(both), 'o1\ne1\no2\ne2');
  for (const c of both.chunks) assert.is(c.stream, c.payload.toString().startsWith('o') ? 'stdout' : 'stderr');
});

test('chunks carry capture time in Unix ns within the job\'s run, and increasing positions', async () => {
  const s = await waitStatus(d, mixed, ended);
  const { chunks } = await streamLogs(logs, { job_uuid: mixed });
  let last = 0n;
  for (const c of chunks) {
    assert.match(c.timestamp, /^\d+000000$/, 'ns at ms precision');
    const ms = Number(BigInt(c.timestamp) / 1_000_000n);
    assert.ok(ms >= Date.parse(s.start_time) - 1000 && ms <= Date.parse(s.end_time) + 1000, `${ms} within ${s.start_time}..${s.end_time}`);
    assert.ok(BigInt(c.position) > last, 'positions increase');
    last = BigInt(c.position);
  }
});

test('GetJobLogs (no options) is still the raw bytes of both streams in log order', async () => {
  const raw = await collect<{ payload: Buffer }>(d.jobs('reader'), 'GetJobLogs', { uuid: mixed });
  assert.is(Buffer.concat(raw.map((c) => c.payload)).toString(), 'o1\ne1\no2\ne2');
});

test('tail_lines: the last N lines; 0 = none; more than there are = all; an unterminated line counts', async () => {
  const id = await runJob(d, 'seq 1 1000; printf tail-end');
  await waitStatus(d, id, ended);
  assert.is(text(await streamLogs(logs, { job_uuid: id, tail_lines: 3 })), '999\n1000\ntail-end');
  assert.is(text(await streamLogs(logs, { job_uuid: id, tail_lines: 1 })), 'tail-end');
  assert.is(text(await streamLogs(logs, { job_uuid: id, tail_lines: 0 })), '');
  const all = text(await streamLogs(logs, { job_uuid: id, tail_lines: 5000 }));
  assert.is(all, `${Array.from({ length: 1000 }, (_, i) => i + 1).join('\n')}\ntail-end`);
  // Per stream, then the last N of both in order.
  assert.is(text(await streamLogs(logs, { job_uuid: mixed, tail_lines: 1, streams: ['stdout'] })), 'o2\n');
  assert.is(text(await streamLogs(logs, { job_uuid: mixed, tail_lines: 2 })), 'o2\ne2');
});

test('since: only chunks captured at or after the time', async () => {
  const id = await runJob(d, 'echo early; sleep 0.3; echo late');
  await waitStatus(d, id, ended);
  const { chunks } = await streamLogs(logs, { job_uuid: id });
  const late = chunks.find((c) => c.payload.toString() === 'late\n');
  assert.ok(late, 'the late line is one chunk of its own');
  const lateMs = Number(BigInt(late!.timestamp) / 1_000_000n);
  assert.is(text(await streamLogs(logs, { job_uuid: id, since: String(lateMs) })), 'late\n');
  assert.is(text(await streamLogs(logs, { job_uuid: id, since: String(lateMs + 1) })), '');
  assert.is(text(await streamLogs(logs, { job_uuid: id, since: '1' })), 'early\nlate\n');
});

test('follow: live output until the job ends; no-follow: what is there now, while the job runs on', async () => {
  const id = await runJob(d, 'echo first; sleep 60; echo never');
  // Wait until the first line is in the log.
  for (let n = 0; text(await streamLogs(logs, { job_uuid: id })) !== 'first\n'; n++) {
    if (n > 400) throw new Error('the first line never arrived');
    await new Promise((r) => setTimeout(r, 25));
  }
  const now = await streamLogs(logs, { job_uuid: id, follow: false });
  assert.is(now.error, undefined);
  assert.is(text(now), 'first\n');
  assert.is((await waitStatus(d, id, () => true)).status, 'RUNNING', 'no-follow ended while the job still runs');

  const follower = following(logs.StreamLogs({ job_uuid: id, follow: true }));
  await follower.received('first\n');
  assert.not.ok(follower.ended, 'a follower of a running job stays open');
  await call(d.jobs('developer'), 'StopJob', { uuid: id });
  assert.is(await follower.done, undefined, 'the follower ends cleanly when the job ends');
  assert.is(follower.text(), 'first\n');
});

test('follow with tail: the last lines so far, then live output until the end', async () => {
  // On SIGTERM (StopJob) the job prints one more line and exits.
  const id = await runJob(d, "trap 'echo live; exit 0' TERM; seq 1 5; sleep 60 & wait");
  for (let n = 0; text(await streamLogs(logs, { job_uuid: id })) !== '1\n2\n3\n4\n5\n'; n++) {
    if (n > 400) throw new Error('the first lines never arrived');
    await new Promise((r) => setTimeout(r, 25));
  }
  const follower = following(logs.StreamLogs({ job_uuid: id, tail_lines: 2, follow: true }));
  await follower.received('4\n5\n');
  await call(d.jobs('developer'), 'StopJob', { uuid: id });
  assert.is(await follower.done, undefined);
  assert.is(follower.text(), '4\n5\nlive\n');
});

/** A follower: what it got so far, whether it ended, and a wait for some text. */
function following(stream: grpc.ClientReadableStream<LogChunk__Output>) {
  const got: Buffer[] = [];
  const f = {
    ended: false,
    text: () => Buffer.concat(got).toString(),
    done: new Promise<grpc.ServiceError | undefined>((resolve) => {
      stream.on('end', () => { f.ended = true; resolve(undefined); });
      stream.on('error', (e: grpc.ServiceError) => { f.ended = true; resolve(e); });
    }),
    async received(want: string): Promise<void> {
      for (let n = 0; f.text() !== want; n++) {
        if (n > 2000 || f.ended) throw new Error(`follower has ${JSON.stringify(f.text())}, waiting for ${JSON.stringify(want)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  stream.on('data', (c: LogChunk__Output) => got.push(c.payload));
  return f;
}

test('bad input is INVALID_ARGUMENT naming the field; an unknown job is NOT_FOUND', async () => {
  const bad = async (req: Parameters<typeof streamLogs>[1], code: grpc.status, field: string) => {
    const r = await streamLogs(logs, req);
    assert.is(r.error?.code, code, `${JSON.stringify(req)}: ${r.error?.details}`);
    assert.match(r.error!.details, field);
  };
  await bad({ job_uuid: mixed, streams: ['stdout', 'stdin'] }, grpc.status.INVALID_ARGUMENT, 'streams[1]');
  await bad({ job_uuid: mixed, tail_lines: -1 }, grpc.status.INVALID_ARGUMENT, 'tail_lines');
  await bad({ job_uuid: mixed, tail_lines: 1_000_001 }, grpc.status.INVALID_ARGUMENT, 'tail_lines');
  await bad({ job_uuid: mixed, since: String(Date.now() + 3_600_000) }, grpc.status.INVALID_ARGUMENT, 'since');
  await bad({ job_uuid: mixed, since: '-5' }, grpc.status.INVALID_ARGUMENT, 'since');
  await bad({ job_uuid: '' }, grpc.status.INVALID_ARGUMENT, 'job_uuid');
  await bad({ job_uuid: '00000000-0000-4000-8000-000000000000' }, grpc.status.NOT_FOUND, 'not found');
});

test('a job prefix works as in JobService', async () => {
  assert.is(text(await streamLogs(logs, { job_uuid: mixed.slice(0, 8), streams: ['stdout'] })), 'o1\no2\n');
});

test.run();
