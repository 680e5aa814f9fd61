// Output blocks. Lines marked (parsed) in spec/rnx-cli.md are compared exactly: scripts read them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GetJobStatusResponse__Output } from '../gen/joblet/GetJobStatusResponse.js';
import type { Job__Output } from '../gen/joblet/Job.js';
import { formatCanceled, formatDeleted, formatDeletedAll, formatStopped } from './format/confirm.js';
import { formatJobTable, formatSubmitted, jobListJson, submittedJson } from './format/jobs.js';
import { formatStatus, statusJson } from './format/status.js';
import { displayDuration, displayTime } from './format/text.js';

process.env.TZ = 'UTC';
const ID = '3f2b8c1e-5d4a-4b6c-9e8f-0a1b2c3d4e5f';

function job(over: Partial<Job__Output> = {}): Job__Output {
  return {
    uuid: ID, command: 'echo', args: ['hello'], max_cpu: 0, cpu_cores: '', max_memory: 0, max_io_bps: 0, status: 'COMPLETED',
    start_time: '2030-01-02T03:04:05Z', end_time: '2030-01-02T03:04:06Z', exit_code: 0, scheduled_time: '', runtime: '',
    environment: {}, secret_environment: {}, gpu_indices: [], gpu_count: 0, gpu_memory_mb: 0, node_id: 'node-1', ...over,
  };
}

function status(over: Partial<GetJobStatusResponse__Output> = {}): GetJobStatusResponse__Output {
  return {
    uuid: ID, command: 'sh', args: ['-c', 'echo a'], max_cpu: 0, cpu_cores: '', max_memory: 0, max_io_bps: 0, status: 'COMPLETED',
    start_time: '2030-01-02T03:04:05Z', end_time: '2030-01-02T03:04:07.5Z', exit_code: 0, scheduled_time: '', environment: {},
    secret_environment: {}, network: '', volumes: [], runtime: '', work_dir: '', uploads: [], gpu_indices: [], gpu_count: 0,
    gpu_memory_mb: 0, node_id: '', ...over,
  };
}

test('run block: parsed lines first, optional lines only when they apply', () => {
  const base = { uuid: ID, status: 'INITIALIZING', command: 'sh', args: ['-c', 'echo a'], files: 0, envCount: 0 };
  assert.is(formatSubmitted(base), `Job submitted:\nID: ${ID}\nCommand: sh -c echo a\nStatus: INITIALIZING\n`);
  const all = formatSubmitted({ ...base, status: 'SCHEDULED', scheduled: '2030-01-02T03:04:05Z', files: 2, envCount: 3 }).split('\n');
  assert.equal(all.slice(1, 4), [`ID: ${ID}`, 'Command: sh -c echo a', 'Status: SCHEDULED']);
  assert.equal(all.slice(4), ['Scheduled: 2030-01-02 03:04:05 (2030-01-02T03:04:05Z)', 'Files: 2 uploaded', 'Environment: 3 variables set', '']);
  assert.equal(JSON.parse(submittedJson({ ...base, files: 1, envCount: 0 })), { job_uuid: ID, status: 'INITIALIZING', command: 'sh', args: ['-c', 'echo a'], files_uploaded: 1 });
});

test('list: header with the five columns, aligned rows, times and cut commands', () => {
  const long = 'x'.repeat(100);
  const out = formatJobTable([job(), job({ uuid: 'b'.repeat(36), node_id: '', status: 'SCHEDULED', start_time: '', command: 'python3', args: ['-c', long] })]);
  const [header, row1, row2, end] = out.split('\n');
  assert.is(header, 'ID                                    NODE ID  STATUS     START TIME           COMMAND');
  assert.is(row1, `${ID}  node-1   COMPLETED  2030-01-02 03:04:05  echo hello`);
  const cmd = row2.slice(header.indexOf('COMMAND'));
  assert.is(cmd.length, 80);
  assert.ok(cmd.startsWith('python3 -c xxx') && cmd.endsWith('...'), cmd);
  assert.ok(row2.includes('  -        SCHEDULED  -  '), row2);
  assert.is(end, '');
  assert.is(formatJobTable([]), 'No jobs found\n');
});

test('list --json: id, node_id, times, command, args, exit_code and limits', () => {
  const [j] = JSON.parse(jobListJson([job({ max_cpu: 50, max_memory: 256 })]));
  assert.is(j.id, ID);
  assert.is(j.node_id, 'node-1');
  assert.equal([j.status, j.start_time, j.end_time, j.command, j.args, j.exit_code], ['COMPLETED', '2030-01-02T03:04:05Z', '2030-01-02T03:04:06Z', 'echo', ['hello'], 0]);
  assert.equal([j.max_cpu, j.max_memory, j.max_io_bps], [50, 256, 0]);
});

test('status: parsed lines, Result/Exit Code only once the process has ended', () => {
  const done = formatStatus(status({ exit_code: 3, status: 'FAILED' }), new Date()).split('\n');
  assert.equal(done.slice(0, 3), [`Job ID: ${ID}`, 'Command: sh -c echo a', 'Status: FAILED']);
  assert.equal(done.slice(-3), ['Result:', '  Exit Code: 3', '']);
  assert.ok(done.includes('  Duration: 2.5s'), done.join('\n'));
  const running = formatStatus(status({ status: 'RUNNING', end_time: '' }), new Date('2030-01-02T03:05:05Z'));
  assert.not.match(running, /Exit Code/);
  assert.match(running, /\n {2}Duration: 1m0s \(running\)\n/);
  assert.not.match(formatStatus(status({ status: 'CANCELED', start_time: '', end_time: '' }), new Date()), /Exit Code/);
});

test('status: the end reason (OOM kill, start failure) follows the exit code, in text and JSON', () => {
  const reason = 'oom-killed: the job exceeded its memory limit of 32 MiB';
  const lines = formatStatus(status({ exit_code: 137, status: 'FAILED' }), new Date(), reason).split('\n');
  assert.equal(lines.slice(-4), ['Result:', '  Exit Code: 137', `  Reason: ${reason}`, '']);
  assert.is(JSON.parse(statusJson(status({ status: 'FAILED' }), reason)).reason, reason);
  assert.is(JSON.parse(statusJson(status({ status: 'FAILED' }))).reason, undefined);
});

test('status: only the limits that are set; secrets never shown', () => {
  const out = formatStatus(status({ max_memory: 512, cpu_cores: '0-1', environment: { B: '2', A: '1' }, secret_environment: { TOKEN: 'hunter2' }, volumes: ['v1', 'v2'], network: 'bridge', uploads: ['data/a.txt'] }), new Date());
  assert.match(out, /\nResource Limits:\n {2}CPU Cores: 0-1\n {2}Max Memory: 512 MB\n\n/);
  assert.not.match(out, /Max CPU|Max IO/);
  assert.match(out, /\nEnvironment:\n {2}A=1\n {2}B=2\n {2}TOKEN=\*\*\* \(secret\)\n/);
  assert.not.match(out, /hunter2/);
  assert.match(out, /Volumes: v1, v2/);
  assert.match(out, /\nUploads:\n {2}data\/a\.txt\n/);
});

test('status --json: camelCase keys, secrets masked', () => {
  const j = JSON.parse(statusJson(status({ secret_environment: { TOKEN: 'hunter2' }, max_cpu: 50, node_id: 'n1', exit_code: 0 })));
  for (const k of ['uuid', 'nodeId', 'command', 'args', 'status', 'startTime', 'endTime', 'exitCode', 'scheduledTime', 'environment', 'secretEnvironment', 'maxCPU', 'maxMemory', 'maxIOBPS', 'cpuCores', 'workDir']) {
    assert.ok(k in j, `missing ${k}`);
  }
  assert.equal(j.secretEnvironment, { TOKEN: '***' });
  assert.is(j.maxCPU, 50);
  assert.is(j.nodeId, 'n1');
});

test('confirmation blocks', () => {
  assert.is(formatStopped({ uuid: ID, status: 'STOPPED', end_time: '', exit_code: -1 }), `Job stopped successfully:\nID: ${ID}\nStatus: STOPPED\n`);
  assert.is(formatCanceled({ uuid: ID, status: 'CANCELED' }), `Job canceled successfully:\nID: ${ID}\nStatus: CANCELED\n`);
  assert.is(formatDeleted({ uuid: ID, success: true, message: '' }), `Job deleted successfully:\nID: ${ID}\n`);
  assert.is(formatDeletedAll({ success: true, message: '', deleted_count: 3, skipped_count: 1 }), 'Jobs deleted successfully:\nDeleted: 3\nSkipped: 1\n');
});

test('time and duration display', () => {
  assert.is(displayTime('2030-01-02T03:04:05.123+01:00'), '2030-01-02 02:04:05');
  assert.is(displayTime(''), '-');
  assert.is(displayDuration(850), '850ms');
  assert.is(displayDuration(12_340), '12.3s');
  assert.is(displayDuration(3_725_000), '1h2m5s');
});

test.run();
