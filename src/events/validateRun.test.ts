// RunJob validation at the API edge (DESIGN invariant 7): one test per bad input, each checking
// the status code and that the message names the field and the rule. Durations are parsed by the
// same parse-duration package the daemon uses, so the tests cover the real parser, not a stand-in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import parseDuration from 'parse-duration';
import type { RunContext, RunRequest } from './validateRun.js';
import { validateRunRequest } from './validateRun.js';
import { DomainError } from './errors.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const ctx: RunContext = {
  now: NOW, cpuCount: 2, hostMemoryMb: 4096, maxUploadBytes: 1000, defaultTimeoutMs: 3_600_000,
  parseDuration: (text) => parseDuration(text) ?? undefined,
};

function request(overrides: Partial<RunRequest> = {}): RunRequest {
  return {
    command: 'echo', args: ['hi'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, uploads: [], schedule: '',
    network: '', volumes: [], runtime: '', workDir: '', environment: {}, secretEnvironment: {}, gpuCount: 0,
    gpuMemoryMb: 0, timeout: '', ...overrides,
  };
}

function rejection(req: RunRequest): DomainError {
  try {
    validateRunRequest(req, ctx);
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  return assert.unreachable('the request was accepted') as never;
}

const upload = (path: string, size = 1, mode = 0o644) => ({ path, size, mode, isDirectory: false });

// [what is wrong, the request change, the field the message must name, a fragment of the rule]
const invalid: [string, Partial<RunRequest>, string, string][] = [
  ['empty command', { command: '' }, 'command', 'must not be empty'],
  ['blank command', { command: '   ' }, 'command', 'must not be empty'],
  ['NUL in command', { command: 'ec\0ho' }, 'command', 'NUL'],
  ['NUL in an argument', { args: ['ok', 'b\0ad'] }, 'args[1]', 'NUL'],
  ['negative max_cpu', { maxCpu: -1 }, 'max_cpu', 'from 0 to 10000'],
  ['absurd max_cpu 10001', { maxCpu: 10_001 }, 'max_cpu', 'got 10001'],
  ['fractional max_cpu', { maxCpu: 1.5 }, 'max_cpu', 'integer'],
  ['max_memory over the host memory', { maxMemory: 4097 }, 'max_memory', 'from 0 to 4096'],
  ['negative max_memory', { maxMemory: -1 }, 'max_memory', 'got -1'],
  ['negative max_io_bps', { maxIoBps: -1 }, 'max_io_bps', 'got -1'],
  ['cpu_cores naming a CPU that does not exist', { cpuCores: '2' }, 'cpu_cores', 'CPU 2 does not exist'],
  ['cpu_cores range past the last CPU', { cpuCores: '0-5' }, 'cpu_cores', 'CPU 5 does not exist'],
  ['cpu_cores that is not a list', { cpuCores: 'all' }, 'cpu_cores', 'not a CPU list'],
  ['cpu_cores with an empty item', { cpuCores: '0,,1' }, 'cpu_cores', 'not a CPU list'],
  ['cpu_cores with an open range', { cpuCores: '0-' }, 'cpu_cores', 'not a CPU list'],
  ['cpu_cores with a reversed range', { cpuCores: '1-0' }, 'cpu_cores', 'range 1-0 is reversed'],
  ['GPUs on a node without GPUs', { gpuCount: 1 }, 'gpu_count', 'no GPUs'],
  ['schedule that is not a time', { schedule: 'tomorrow' }, 'schedule', 'RFC 3339'],
  ['schedule without a time zone', { schedule: '2026-03-01T13:00:00' }, 'schedule', 'RFC 3339'],
  ['schedule in month 13', { schedule: '2026-13-01T00:00:00Z' }, 'schedule', 'RFC 3339'],
  ['schedule on 30 February', { schedule: '2026-02-30T00:00:00Z' }, 'schedule', 'got "2026-02-30T00:00:00Z"'],
  ['schedule on 29 February of a common year', { schedule: '2026-02-29T00:00:00Z' }, 'schedule', 'RFC 3339'],
  ['schedule at hour 24', { schedule: '2026-03-02T24:00:00Z' }, 'schedule', 'RFC 3339'],
  ['schedule with offset +25:00', { schedule: '2026-03-02T10:00:00+25:00' }, 'schedule', 'RFC 3339'],
  ['environment name with "="', { environment: { 'A=B': '1' } }, 'environment', 'name "A=B"'],
  ['environment name with NUL', { environment: { 'A\0B': '1' } }, 'environment', 'name "A\\0B"'],
  ['empty environment name', { environment: { '': '1' } }, 'environment', 'name ""'],
  ['environment value with NUL', { environment: { A: 'x\0y' } }, 'environment', 'value of A'],
  ['secret name with "="', { secretEnvironment: { 'K=V': 's3cret' } }, 'secret_environment', 'name "K=V"'],
  ['secret also set in environment', { environment: { TOKEN: 'a' }, secretEnvironment: { TOKEN: 'b' } }, 'secret_environment', 'TOKEN is also set'],
  ['absolute upload path', { uploads: [upload('/etc/passwd')] }, 'uploads[0].path', 'not absolute'],
  ['upload path climbing out with ".."', { uploads: [upload('ok.txt'), upload('a/../../x')] }, 'uploads[1].path', '".."'],
  ['upload path that is only ".."', { uploads: [upload('..')] }, 'uploads[0].path', '".."'],
  ['empty upload path', { uploads: [upload('')] }, 'uploads[0].path', 'must not be empty'],
  ['upload mode out of range', { uploads: [upload('x', 1, 0o10000)] }, 'uploads[0].mode', '07777'],
  ['timeout that is not a duration', { timeout: 'banana' }, 'timeout', 'got "banana"'],
  ['negative timeout', { timeout: '-5s' }, 'timeout', 'such as 30s'],
  ['unknown network', { network: 'bridge' }, 'network', 'network "bridge" does not exist'],
  ['unknown volume', { volumes: ['data'] }, 'volumes[0]', 'volume "data" does not exist'],
  ['unknown runtime', { runtime: 'python-3.11' }, 'runtime', 'runtime "python-3.11" is not installed'],
  ['relative work_dir', { workDir: 'work' }, 'work_dir', 'absolute'],
  ['work_dir with ".."', { workDir: '/work/../etc' }, 'work_dir', '".."'],
];

for (const [name, change, field, rule] of invalid) {
  test(`${name} is INVALID_ARGUMENT naming ${field}`, () => {
    const err = rejection(request(change));
    assert.is(err.code, 'INVALID_ARGUMENT');
    assert.ok(err.message.startsWith(`${field}: `), `"${err.message}" should start with "${field}: "`);
    assert.ok(err.message.includes(rule), `"${err.message}" should contain "${rule}"`);
    assert.not.ok(err.message.includes(';'), `only one problem expected, got "${err.message}"`);
  });
}

test('several problems are reported together in one message, each naming its field', () => {
  const err = rejection(request({ command: '', maxCpu: 10_001, cpuCores: '9', network: 'bridge', timeout: 'x' }));
  assert.is(err.code, 'INVALID_ARGUMENT');
  const fields = err.message.split('; ').map((p) => p.slice(0, p.indexOf(':')));
  assert.equal(fields, ['command', 'max_cpu', 'cpu_cores', 'network', 'timeout']);
});

test('a secret value never appears in an error message', () => {
  const err = rejection(request({ secretEnvironment: { 'BAD NAME': 'hunter2', OK: 'p\0ss' } }));
  assert.ok(err.message.includes('BAD NAME') && err.message.includes('value of OK'));
  assert.not.ok(err.message.includes('hunter2') || err.message.includes('p\0ss'));
});

test('uploads over the total size are RESOURCE_EXHAUSTED with both numbers', () => {
  const err = rejection(request({ uploads: [upload('a', 600), upload('b', 401)] }));
  assert.is(err.code, 'RESOURCE_EXHAUSTED');
  assert.ok(err.message.startsWith('uploads: ') && err.message.includes('1001 bytes') && err.message.includes('1000 bytes'), err.message);
});

test('uploads of exactly the limit are accepted', () => {
  assert.is(validateRunRequest(request({ uploads: [upload('a', 600), upload('dir/b', 400)] }), ctx).spec.uploads.length, 2);
});

test('a schedule in the past means run now: no scheduledAt', () => {
  const out = validateRunRequest(request({ schedule: '2026-03-01T11:59:59Z' }), ctx);
  assert.not.ok('scheduledAt' in out);
});

test('a schedule in the future gives scheduledAt in Unix ms, offsets included', () => {
  assert.is(validateRunRequest(request({ schedule: '2026-03-01T12:00:30Z' }), ctx).scheduledAt, NOW + 30_000);
  assert.is(validateRunRequest(request({ schedule: '2026-03-01T15:00:00.5+02:00' }), ctx).scheduledAt, NOW + 3_600_000 + 500);
  assert.is(validateRunRequest(request({ schedule: '2028-02-29T12:00:00Z' }), ctx).scheduledAt, Date.UTC(2028, 1, 29, 12));
});

test('a valid request becomes a spec with defaults filled and secret values left out', () => {
  const req = request({
    maxCpu: 10_000, cpuCores: '0-1', maxMemory: 4096, maxIoBps: 1_048_576, timeout: '90s',
    environment: { PATH: '/bin', 'my.var-1': 'x' }, secretEnvironment: { Z_KEY: 'zz', A_KEY: 'aa' },
  });
  const { spec } = validateRunRequest(req, ctx);
  assert.equal(
    [spec.maxCpu, spec.cpuCores, spec.maxMemory, spec.maxIoBps, spec.timeoutMs, spec.workDir, spec.network],
    [10_000, '0-1', 4096, 1_048_576, 90_000, '/work', 'none'],
  );
  assert.equal(spec.secretKeys, ['A_KEY', 'Z_KEY']);
  assert.not.ok(JSON.stringify(spec).includes('aa') || JSON.stringify(spec).includes('zz'), 'no secret value in the spec');
});

test('an empty timeout takes the server default; "0s" means no timeout', () => {
  assert.is(validateRunRequest(request(), ctx).spec.timeoutMs, 3_600_000);
  assert.is(validateRunRequest(request({ timeout: '0s' }), ctx).spec.timeoutMs, 0);
});

test('cpu lists accepted on a 2-CPU host', () => {
  // Spaces around items are fine: the kernel's list parser skips them too (written to cpuset.cpus here).
  for (const cpuCores of ['0', '1', '0-1', '0,1', '1,0', '0-0,1', '0, 1']) {
    assert.is(validateRunRequest(request({ cpuCores }), ctx).spec.cpuCores, cpuCores, cpuCores);
  }
});

test.run();
