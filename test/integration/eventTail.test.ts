// joblet.events.v1.EventService/TailEvents on a real daemon over real mTLS, with real jobs:
// a job's whole life as typed events, a refused request with the caller's CN, who sees what
// (every role), filters and bad input, secrets absent from the raw response bytes, and --follow
// under load: 200 jobs submitted at once while following, every position exactly once, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, call, FINAL, type TestDaemon, type TestRole } from '../support/testDaemon.js';
import { follow, tail, tailRaw } from '../support/eventTail.js';
import type { Event__Output } from '../../src/gen/joblet/events/v1/Event.js';

const SECRET = 'sw0rdfish-Kq7-tail-must-not-show';
const ROLES: TestRole[] = ['admin', 'maintainer', 'developer', 'reader'];

let d: TestDaemon;
let jobId = '';
let beforeJob = 0;

async function waitFinal(uuid: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const { status } = await call<{ status: string }>(d.jobs('admin'), 'GetJobStatus', { uuid });
    if (FINAL.includes(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${uuid} did not finish`);
}

function refused(role: TestRole, method: string, req: unknown): Promise<grpc.ServiceError> {
  return call(d.jobs(role), method, req).then(() => { throw new Error(`${role} ${method} was not refused`); }, (e: grpc.ServiceError) => e);
}

test.before(async () => {
  d = await startTestDaemon();
  beforeJob = Date.now();
  // The job proves it got its secret by the length only, so the value is in no argument or output.
  const run = await call<{ job_uuid: string }>(d.jobs('developer'), 'RunJob', {
    command: 'sh', args: ['-c', `test "\${#TOKEN}" -eq ${SECRET.length} && echo out && echo err >&2`], secret_environment: { TOKEN: SECRET },
  });
  jobId = run.job_uuid;
  assert.is(await waitFinal(jobId), 'COMPLETED');
  // Refusals that carry the secret in their request: the recorded summary must mask it.
  assert.is((await refused('reader', 'RunJob', { command: 'true', secret_environment: { TOKEN: SECRET } })).code, grpc.status.PERMISSION_DENIED);
  assert.is((await refused('developer', 'RunJob', { command: 'true', max_cpu: -5, secret_environment: { TOKEN: SECRET } })).code, grpc.status.INVALID_ARGUMENT);
  assert.is((await refused('reader', 'StopJob', { uuid: jobId })).code, grpc.status.PERMISSION_DENIED);
});
test.after(async () => { await d?.close(); });

test('a job\'s whole life, by a job id prefix, as typed events in position order', async () => {
  const events = await tail(d, 'admin', { job_id: jobId.slice(0, 8) });
  const types = events.map((e) => e.type).filter((t) => t !== 'JobOutputWritten');
  // Queued and Launching are steps the runner may or may not record; the order is what matters.
  // metric samples: one at exit, more when the job outlives a sampling interval
  assert.equal(types.filter((t) => t !== 'JobQueued' && t !== 'JobLaunching' && t !== 'JobMetricsSampled'), ['JobSubmitted', 'JobStarted', 'JobFinished', 'RequestRejected']);
  assert.equal(types.slice(-2), ['JobFinished', 'RequestRejected'], 'the reader\'s StopJob attempt is in the job\'s history');
  const positions = events.map((e) => Number(e.position));
  assert.equal(positions, [...positions].sort((a, b) => a - b));
  assert.ok(events.every((e) => e.job_id === jobId && /^[0-9a-f]{64}$/.test(e.hash) && e.node_id === d.daemon.nodeId), JSON.stringify(events[0]));
  assert.is(new Set(events.map((e) => e.hash)).size, events.length);
  const [submitted] = events;
  assert.is(submitted.payload, 'submitted');
  assert.equal([submitted.caller?.cn, submitted.caller?.role], ['joblet-developer', 'developer']);
  assert.match(submitted.caller!.peer, /127\.0\.0\.1/);
  assert.is(submitted.submitted!.command, 'sh');
  assert.equal(submitted.submitted!.secret_environment, { TOKEN: '***' });
  assert.is(Date.parse(submitted.time), Number(submitted.unix_ms));
  assert.ok(Number(events.find((e) => e.started)!.started!.pid) > 0);
  const finished = events.find((e) => e.finished)!.finished!;
  assert.equal([finished.status, finished.exit_code], ['COMPLETED', 0]);
  const bytes = (stream: string) => events.filter((e) => e.output?.stream === stream).reduce((n, e) => n + Number(e.output!.byte_count), 0);
  assert.equal([bytes('stdout'), bytes('stderr')], [4, 4]);
  assert.ok(events.filter((e) => e.output).every((e) => e.output!.data.length === 0), 'no bytes unless asked');
});

test('a permission-denied attempt shows up with the caller\'s CN, method and message', async () => {
  const events = await tail(d, 'admin', { types: ['RequestRejected'], caller_cn: 'joblet-reader' });
  const stop = events.find((e) => e.rejected?.method === 'joblet.JobService/StopJob');
  assert.ok(stop, JSON.stringify(events));
  assert.equal([stop!.caller?.cn, stop!.caller?.role, stop!.rejected!.code, stop!.job_id], ['joblet-reader', 'reader', 'PERMISSION_DENIED', jobId]);
  assert.match(stop!.rejected!.message, /role reader may not call joblet\.JobService\/StopJob/);
  assert.match(stop!.summary, /^joblet\.JobService\/StopJob PERMISSION_DENIED: /);
});

test('every role may tail; others\' refusals and peer addresses only for admin; output bytes for roles that may read logs', async () => {
  for (const role of ROLES) {
    const events = await tail(d, role, { include_output: true });
    const rejectedBy = new Set(events.filter((e) => e.rejected).map((e) => e.caller!.cn));
    const expected = role === 'admin' ? ['joblet-developer', 'joblet-reader'] : role === 'reader' ? ['joblet-reader'] : role === 'developer' ? ['joblet-developer'] : [];
    assert.equal([...rejectedBy].sort(), expected, `${role} sees refusals of`);
    const submitted = events.find((e) => e.job_id === jobId && e.submitted)!;
    assert.is(submitted.caller!.peer !== '', role === 'admin' || role === 'developer', `${role} sees the developer's peer address`);
    const output = events.filter((e) => e.job_id === jobId && e.output).map((e) => Buffer.from(e.output!.data).toString()).sort();
    assert.equal(output, ['err\n', 'out\n'], `${role} gets output bytes`);
    assert.ok(events.every((e) => !e.rejected || e.caller!.cn === `joblet-${role}` || role === 'admin'));
  }
});

test('filters: types, positions, time, caller, node; bad input is INVALID_ARGUMENT / NOT_FOUND naming the field', async () => {
  const all = await tail(d, 'admin', {});
  const last = Number(all.at(-1)!.position);
  assert.equal(all.map((e) => Number(e.position)), Array.from({ length: last }, (_, i) => i + 1), 'admin sees every position');
  assert.ok((await tail(d, 'admin', { types: ['JobStarted', 'JobFinished'] })).every((e) => e.type === 'JobStarted' || e.type === 'JobFinished'));
  assert.equal((await tail(d, 'admin', { from_position: last - 1 })).map((e) => Number(e.position)), [last - 1, last]);
  assert.ok((await tail(d, 'admin', { caller_cn: 'joblet-developer' })).every((e) => e.caller?.cn === 'joblet-developer'));
  assert.is((await tail(d, 'admin', { node_id: d.daemon.nodeId })).length, all.length);
  assert.is((await tail(d, 'admin', { node_id: 'some-other-node' })).length, 0);
  const since = await tail(d, 'admin', { since: new Date(Date.parse(all[all.length - 1].time)).toISOString() });
  assert.ok(since.length >= 1 && since.every((e) => Number(e.unix_ms) >= Number(all.at(-1)!.unix_ms)));
  assert.is((await tail(d, 'admin', { since: new Date(beforeJob - 1).toISOString() })).length, all.length);
  assert.is((await tail(d, 'admin', { since: new Date(Date.now() + 3_600_000).toISOString() })).length, 0);
  const bad = async (req: object, code: number, text: RegExp) => {
    const err = await tail(d, 'admin', req).then(() => undefined, (e: grpc.ServiceError) => e);
    assert.ok(err, `${JSON.stringify(req)} was accepted`);
    assert.is(err!.code, code, err!.details);
    assert.match(err!.details, text);
  };
  await bad({ types: ['JobExploded'] }, grpc.status.INVALID_ARGUMENT, /^types: unknown event type "JobExploded" \(known: JobSubmitted, /);
  await bad({ since: 'yesterday' }, grpc.status.INVALID_ARGUMENT, /^since: "yesterday" is not an RFC 3339 time/);
  await bad({ job_id: 'ffffffff' }, grpc.status.NOT_FOUND, /job not found: ffffffff/);
});

test('secret values are in no response byte, also with output and refused requests included', async () => {
  const raw = Buffer.concat(await tailRaw(d, 'admin', { include_output: true }));
  assert.ok(raw.length > 1000, `only ${raw.length} bytes`);
  assert.ok(raw.includes('TOKEN') && raw.includes('***'), 'the secret\'s name and mask are there');
  assert.is(raw.indexOf(SECRET), -1);
  const rejections = await tail(d, 'admin', { types: ['RequestRejected'] });
  const masked = rejections.filter((e) => e.rejected!.request.secret_environment === '{"TOKEN":"***"}');
  assert.is(masked.length, 2, JSON.stringify(rejections.map((e) => e.rejected!.request)));
});

test('--follow under load: 200 jobs submitted at once, every position exactly once and in order', async () => {
  const start = d.daemon.logPosition() + 1;
  const f = follow(d, 'admin', { from_position: start });
  const dev = d.jobs('developer');
  const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => call<{ job_uuid: string }>(dev, 'RunJob', { command: 'true', args: [String(i)] }).then((r) => r.job_uuid)));
  const mine = new Set(ids);
  // Live: the follower sees the jobs end while the stream stays open.
  await f.until((es) => es.filter((e) => e.finished && mine.has(e.job_id)).length === 200, 120_000);
  await f.until((es) => Number(es.at(-1)?.position ?? 0) >= d.daemon.logPosition(), 10_000);
  const last = d.daemon.logPosition();
  const positions = f.events.map((e) => Number(e.position));
  assert.is(positions.length, last - start + 1, 'no gap, no duplicate');
  assert.ok(positions.every((p, i) => p === start + i), `in order from ${start} to ${last}`);
  assert.equal(f.events.filter((e) => e.submitted).map((e) => e.job_id).sort(), [...ids].sort());
  f.cancel();
  assert.is(await f.ended, grpc.status.CANCELLED);
});

test('a follower with a job filter sees only that job, live, and shutdown ends its stream', async () => {
  const run = await call<{ job_uuid: string }>(d.jobs('developer'), 'RunJob', { command: 'sleep', args: ['0.3'] });
  const f = follow(d, 'reader', { job_id: run.job_uuid });
  await f.until((es) => es.some((e) => e.finished));
  assert.ok(f.events.every((e) => e.job_id === run.job_uuid));
  await d.close();
  // OK, not CANCELLED: the server ended the tail itself instead of its forced shutdown cutting it
  assert.is(await f.ended, grpc.status.OK, 'the daemon ends following tails on close');
});

test.run();
