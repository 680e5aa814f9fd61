// Every backend refuses to replace a record by an older one, judged by (logEpoch, position), and
// accepts a newer log's write even at a lower position (a node rebuilt with an empty disk).
// Real servers: redis-server and dynalite on loopback; memory and local need none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateBackend } from '../../../src/state/backend.js';
import { MemoryBackend } from '../../../src/state/memoryBackend.js';
import { LocalBackend } from '../../../src/state/localBackend.js';
import { RedisBackend } from '../../../src/state/redisBackend.js';
import { DynamoBackend } from '../../../src/state/dynamoBackend.js';
import { toRecord, type JobRecord } from '../../../src/state/record.js';
import type { Job } from '../../../src/events/job.js';
import { RedisServer, DynaliteServer, redisUnavailable } from './services.js';

const job = (id: string, status: Job['status']): Job => ({
  id, nodeId: 'n1', submittedAt: 1_700_000_000_000, submittedBy: { cn: 'admin', role: 'admin' },
  spec: {
    command: 'echo', args: ['x'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, environment: { A: '1' },
    secretKeys: ['TOKEN'], uploads: [], workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
  },
  ...(status === 'COMPLETED' ? { status, endedAt: 1_700_000_001_000, exitCode: 0 } : { status: 'QUEUED' }),
} as Job);
const rec = (id: string, status: Job['status'], logEpoch: number, position: number): JobRecord =>
  toRecord(job(id, status), { logEpoch, position }, 1_700_000_000_500);

async function check(backend: StateBackend): Promise<void> {
  const newer = rec('job-1', 'COMPLETED', 100, 10);
  await backend.write([newer]);
  await backend.write([rec('job-1', 'QUEUED', 100, 5)]);               // older position, same log
  await backend.write([rec('job-1', 'QUEUED', 99, 500)]);              // older log, higher position
  await backend.write([rec('job-1', 'QUEUED', 100, 10)]);              // the same version again
  assert.equal(await backend.list('n1'), [newer], `${backend.name}: stale writes are refused`);
  const rebuilt = rec('job-1', 'QUEUED', 200, 1);
  await backend.write([rebuilt]);
  assert.equal(await backend.list('n1'), [rebuilt], `${backend.name}: a newer log wins at a lower position`);
  const tomb = { ...rec('job-2', 'COMPLETED', 200, 3), deleted: true };
  await backend.write([rec('job-2', 'COMPLETED', 200, 2), tomb]);
  await backend.write([rec('job-2', 'COMPLETED', 200, 2)]);
  assert.equal((await backend.list()).map((r) => r.uuid), ['job-1'], `${backend.name}: a tombstone hides the job and is not undone`);
  assert.equal(await backend.list('other-node'), []);
}

test('memory', async () => { await check(new MemoryBackend()); });

test('local (and the file survives a reopen)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-local-'));
  try {
    await check(new LocalBackend(dir));
    assert.equal((await new LocalBackend(dir).list('n1')).map((r) => [r.uuid, r.position]), [['job-1', 1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redis (Lua compare-and-set)', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const server = await RedisServer.start();
  const b = new RedisBackend({ url: server.url, keyPrefix: 't:', cluster: [], options: {} });
  try { await check(b); } finally { await b.close(); await server.close(); }
});

test('redis down: a write fails promptly instead of queueing', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const server = await RedisServer.start();
  const b = new RedisBackend({ url: server.url, keyPrefix: 't:', cluster: [], options: {} });
  try {
    await b.write([rec('job-9', 'QUEUED', 1, 1)]);
    await server.stop();
    // A queueing client never settles: the 30 s timer only turns that hang into a failure.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => { timer = setTimeout(() => r('hung'), 30_000); });
    const outcome = await Promise.race([b.write([rec('job-9', 'COMPLETED', 1, 2)]).then(() => 'resolved', (e: Error) => e), hung]);
    clearTimeout(timer);
    assert.ok(outcome instanceof Error, `write to a stopped redis must reject, not ${String(outcome)}`);
  } finally { await b.close(); await server.close(); }
});

test('dynamodb via dynalite (ConditionExpression)', async () => {
  const server = await DynaliteServer.start();
  const b = new DynamoBackend({ tableName: 'cond-test', region: 'us-east-1', endpoint: server.endpoint, ttlMs: 0, createTable: true });
  try { await check(b); } finally { await b.close(); await server.close(); }
});

test('dynamodb: a missing table without createTable is an error naming the fix', async () => {
  const server = await DynaliteServer.start();
  const b = new DynamoBackend({ tableName: 'absent', region: 'us-east-1', endpoint: server.endpoint, ttlMs: 0, createTable: false });
  try {
    let err: Error | undefined;
    try { await b.write([rec('x', 'QUEUED', 1, 1)]); } catch (e) { err = e as Error; }
    assert.match(err?.message ?? '', /absent.*does not exist.*createTable: true/);
  } finally { await b.close(); await server.close(); }
});

test.run();
