// Bad input at the API edge (issue: bad input, each needs a test): the right status, a message
// naming the field, and no job state written: the only event a refusal adds is one RequestRejected
// audit record naming the caller's certificate (docs/decisions/0005-rejections-are-audit-facts.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, call, FINAL, type TestDaemon } from '../support/testDaemon.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { RunJobRequest } from '../../src/gen/joblet/RunJobRequest.js';

let d: TestDaemon;
let jobs: JobServiceClient;

test.before(async () => {
  d = await startTestDaemon({ configYaml: 'joblet:\n  maxUploadBytes: 1024\n' });
  jobs = d.jobs('developer');
});
test.after(async () => { await d.close(); });

async function refused(method: string, req: unknown, code: grpc.status, ...fragments: string[]) {
  const before = d.daemon.logPosition();
  try {
    await call(jobs, method, req);
    assert.unreachable(`${method} ${JSON.stringify(req).slice(0, 200)} was accepted`);
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (e.code === undefined) throw err;
    assert.is(e.code, code, `${method}: ${e.details}`);
    for (const f of fragments) assert.ok(e.details.includes(f), `"${e.details}" should mention "${f}"`);
  }
  const written = d.daemon.readLog(before + 1);
  assert.equal(written.map((e) => e.event.type), ['RequestRejected'], `a refused ${method} wrote job events`);
  const rejected = written[0].event;
  if (rejected.type !== 'RequestRejected') return;
  assert.is(rejected.by.cn, 'joblet-developer');
  assert.is(rejected.by.role, 'developer');
  assert.match(rejected.by.peer ?? '', /^127\.0\.0\.1:\d+$/);
  assert.is(rejected.method, `joblet.JobService/${method}`);
  assert.is(rejected.code, grpc.status[code]);
}

const run = (req: Partial<RunJobRequest>) => ({ command: 'true', ...req });
const INVALID = grpc.status.INVALID_ARGUMENT;

test('empty command', () => refused('RunJob', run({ command: '' }), INVALID, 'command', 'empty'));
test('unknown job id', () => refused('GetJobStatus', { uuid: '3f1c0000-0000-4000-8000-000000000000' }, grpc.status.NOT_FOUND, 'job not found'));
test('unknown prefix and too-short prefix', async () => {
  await refused('StopJob', { uuid: 'ffffffff' }, grpc.status.NOT_FOUND, 'job not found: ffffffff');
  await refused('GetJobStatus', { uuid: 'abc' }, grpc.status.NOT_FOUND, 'job not found');
});
test('negative max_cpu', () => refused('RunJob', run({ max_cpu: -1 }), INVALID, 'max_cpu'));
test('absurd max_cpu', () => refused('RunJob', run({ max_cpu: 1_000_000 }), INVALID, 'max_cpu'));
test('absurd max_memory', () => refused('RunJob', run({ max_memory: 2_000_000_000 }), INVALID, 'max_memory'));
test('negative max_io_bps', () => refused('RunJob', run({ max_io_bps: -5 }), INVALID, 'max_io_bps'));
test('cpu_cores naming a CPU that does not exist', () => refused('RunJob', run({ cpu_cores: '0-4095' }), INVALID, 'cpu_cores', 'does not exist'));
test('malformed schedule', () => refused('RunJob', run({ schedule: 'tomorrow-ish' }), INVALID, 'schedule'));
test('environment name with =', () => refused('RunJob', run({ environment: { 'A=B': '1' } }), INVALID, 'environment'));
test('environment name with NUL', () => refused('RunJob', run({ environment: { 'A\0B': '1' } }), INVALID, 'environment'));
test('secret environment name with =', () => refused('RunJob', run({ secret_environment: { 'S=': 'x' } }), INVALID, 'secret_environment'));
test('absolute upload path', () => refused('RunJob', run({ uploads: [{ path: '/etc/passwd', content: Buffer.from('x'), mode: 0o644 }] }), INVALID, 'uploads[0].path', 'absolute'));
test('upload path with ..', () => refused('RunJob', run({ uploads: [{ path: 'a/../../x', content: Buffer.from('x'), mode: 0o644 }] }), INVALID, 'uploads[0].path', '..'));
test('uploads beyond the configured total', () => refused('RunJob', run({ uploads: [{ path: 'big', content: Buffer.alloc(2048), mode: 0o644 }] }), grpc.status.RESOURCE_EXHAUSTED, 'uploads', '1024'));
test('a secret value never appears in an error message nor in the rejection record', async () => {
  const before = d.daemon.logPosition();
  await refused('RunJob', run({ command: '', secret_environment: { TOKEN: 'hunter2-secret' } }), INVALID, 'command');
  try { await call(jobs, 'RunJob', run({ command: '', secret_environment: { TOKEN: 'hunter2-secret' } })); } catch (e) {
    assert.not.ok((e as grpc.ServiceError).details.includes('hunter2'));
  }
  const records = d.daemon.readLog(before + 1);
  assert.is(records.length, 2);
  for (const { event } of records) {
    assert.not.ok(JSON.stringify(event).includes('hunter2'), JSON.stringify(event));
    assert.equal(event.type === 'RequestRejected' && event.request.secret_environment, { TOKEN: '***' });
  }
});
test('a refusal that names an existing job is filed under that job; upload bytes are kept as a length', async () => {
  const done = await call<{ job_uuid: string }>(jobs, 'RunJob', run({ command: 'true' }));
  await waitStatus(done.job_uuid, ...FINAL);
  const before = d.daemon.logPosition();
  await refused('CancelJob', { uuid: done.job_uuid.slice(0, 8) }, grpc.status.FAILED_PRECONDITION, 'SCHEDULED');
  const [rec] = d.daemon.readLog(before + 1);
  assert.is(rec.event.jobId, done.job_uuid);
  const upload = d.daemon.logPosition();
  await refused('RunJob', run({ uploads: [{ path: 'big', content: Buffer.alloc(2048), mode: 0o644 }] }), grpc.status.RESOURCE_EXHAUSTED, 'uploads');
  const [big] = d.daemon.readLog(upload + 1);
  assert.equal(big.event.type === 'RequestRejected' && big.event.request.uploads, [{ path: 'big', content: '<2048 bytes>', mode: 0o644 }]);
  assert.is(big.event.jobId, undefined);
});
test('several problems are reported together', () => refused('RunJob', run({ command: '', max_cpu: -1, schedule: 'x' }), INVALID, 'command', 'max_cpu', 'schedule'));
async function waitStatus(uuid: string, ...statuses: string[]): Promise<void> {
  let last = '';
  for (let i = 0; i < 300; i++) {
    last = (await call<{ status: string }>(jobs, 'GetJobStatus', { uuid })).status;
    if (statuses.includes(last)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${uuid} did not reach ${statuses.join(' or ')} (still ${last})`);
}

test('stop of a finished job and delete of a running one are FAILED_PRECONDITION', async () => {
  const done = await call<{ job_uuid: string }>(jobs, 'RunJob', run({ command: 'true' }));
  await waitStatus(done.job_uuid, 'COMPLETED');
  await refused('StopJob', { uuid: done.job_uuid }, grpc.status.FAILED_PRECONDITION, 'COMPLETED');
  await refused('CancelJob', { uuid: done.job_uuid }, grpc.status.FAILED_PRECONDITION, 'SCHEDULED');
  const running = await call<{ job_uuid: string }>(jobs, 'RunJob', run({ command: 'sleep', args: ['30'] }));
  await waitStatus(running.job_uuid, 'RUNNING');  // so its own start event cannot land inside the check
  await refused('DeleteJob', { uuid: running.job_uuid }, grpc.status.FAILED_PRECONDITION, 'stop');
  await call(jobs, 'StopJob', { uuid: running.job_uuid });
});

test.run();
