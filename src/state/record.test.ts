// Records and the domain Job are two views of one job: toJob(toRecord(job)) gives the job back for
// every state, secrets stay masked, and versions order by log epoch first, then position.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Job, JobSpec } from '../events/job.js';
import { evolve, type JobEvent } from '../events/jobEvents.js';
import { toRecord, toJob, isNewer, SECRET_MASK } from './record.js';
import { importsFor } from './syncOnStart.js';
import { newestPerJob } from './backend.js';
import { backoffMs } from './batchWriter.js';

const spec: JobSpec = {
  command: 'python3', args: ['-c', 'print(1)'], maxCpu: 50, cpuCores: '0-1', maxMemory: 256, maxIoBps: 1000,
  environment: { A: '1' }, secretKeys: ['TOKEN'], uploads: [{ path: 'a.txt', size: 3, mode: 0o644, isDirectory: false }],
  workDir: '/work', network: 'none', volumes: ['v1'], runtime: 'python-3.11', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 60_000,
};
const by = { cn: 'alice', role: 'developer' as const };
const history: JobEvent[] = [
  { type: 'JobSubmitted', jobId: 'j1', at: 1000, by, nodeId: 'n1', spec, scheduledAt: 5000 },
  { type: 'JobLaunching', jobId: 'j1', at: 5000 },
  { type: 'JobStarted', jobId: 'j1', at: 5010, pid: 42 },
  { type: 'JobFinished', jobId: 'j1', at: 6000, status: 'FAILED', exitCode: 3, reason: 'exit 3' },
];

test('every state survives record → job', () => {
  let job: Job | undefined;
  for (const e of history) {
    job = evolve(job, e);
    const r = toRecord(job!, { logEpoch: 1, position: 9 }, e.at);
    assert.equal(toJob(r), job, `after ${e.type}`);
    assert.is(r.status, job!.status);
  }
});

test('wire fields: RFC 3339 times, masked secrets, final flag', () => {
  let job: Job | undefined;
  for (const e of history) job = evolve(job, e);
  const r = toRecord(job!, { logEpoch: 1, position: 4 }, 6000);
  assert.is(r.start_time, '1970-01-01T00:00:05.010Z');
  assert.is(r.end_time, '1970-01-01T00:00:06.000Z');
  assert.is(r.scheduled_time, '1970-01-01T00:00:05.000Z');
  assert.equal(r.secret_environment, { TOKEN: SECRET_MASK });
  assert.is(r.exit_code, 3);
  assert.is(r.final, true);
  assert.is(r.updatedAt, '1970-01-01T00:00:06.000Z');
});

test('versions: epoch first, then position; equal is not newer', () => {
  assert.ok(isNewer({ logEpoch: 1, position: 2 }, { logEpoch: 1, position: 1 }));
  assert.not.ok(isNewer({ logEpoch: 1, position: 2 }, { logEpoch: 1, position: 2 }));
  assert.ok(isNewer({ logEpoch: 2, position: 1 }, { logEpoch: 1, position: 99 }));
  assert.not.ok(isNewer({ logEpoch: 1, position: 99 }, { logEpoch: 2, position: 1 }));
  assert.ok(isNewer({ logEpoch: 1, position: 1 }, undefined));
});

test('a batch keeps the newest record per job', () => {
  const job = evolve(undefined, history[0])!;
  const rs = [3, 7, 5].map((p) => toRecord(job, { logEpoch: 1, position: p }, 1000));
  assert.equal(newestPerJob(rs).map((r) => r.position), [7]);
});

test('imports: only this node, only unknown jobs, never tombstones, oldest first', () => {
  const job = (id: string, nodeId: string, at: number) => evolve(undefined, { ...history[0], jobId: id, nodeId, at } as JobEvent)!;
  const records = [
    toRecord(job('b', 'n1', 2000), { logEpoch: 1, position: 2 }, 2000),
    toRecord(job('a', 'n1', 1000), { logEpoch: 1, position: 1 }, 1000),
    toRecord(job('c', 'n2', 1000), { logEpoch: 1, position: 3 }, 1000),
    toRecord(job('d', 'n1', 1000), { logEpoch: 1, position: 4 }, 1000, true),
    toRecord(job('e', 'n1', 1000), { logEpoch: 1, position: 5 }, 1000),
  ];
  const events = importsFor(records, 'n1', (id) => id === 'e', 7, 'redis');
  assert.equal(events.map((e) => e.jobId), ['a', 'b']);
  assert.equal(events[0], { type: 'JobImported', jobId: 'a', at: 7, job: job('a', 'n1', 1000), source: 'redis', sourceEpoch: 1, sourcePosition: 1 });
  assert.equal(evolve(undefined, events[0]), job('a', 'n1', 1000));
  assert.is(evolve(job('a', 'n1', 5), events[0])!.submittedAt, 5, 'an existing job wins over an import');
});

test('backoff doubles from 100 ms and stops at the cap', () => {
  for (let i = 0; i < 20; i++) {
    assert.ok(backoffMs(1, 10_000) >= 80 && backoffMs(1, 10_000) <= 120);
    assert.ok(backoffMs(3, 10_000) >= 320 && backoffMs(3, 10_000) <= 480);
    assert.ok(backoffMs(30, 1000) <= 1200);
  }
});

test.run();
