// State sync on start: a node rebuilt with an empty data dir (same node id) gets its history back
// from Redis; its scheduled job is re-queued and runs at its time, a job that was running when the
// old node went away is recorded FAILED (its process is gone), and the rebuilt node's writes win
// over the old log's in the backend although its positions start again at 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, call } from '../../support/testDaemon.js';
import { listAllNodes } from '../../../src/state/index.js';
import type { Job__Output } from '../../../src/gen/joblet/Job.js';
import { RedisServer, redisUnavailable } from './services.js';
import { stateYaml, runJobs, untilFinal, assertReplicated, systemFacts } from './fixture.js';

test('a fresh data dir with the same node id imports its history from redis', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const redis = await RedisServer.start();
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'joblet-sync-')));
  const yaml = (nodeId: string) => stateYaml('redis', { redisUrl: redis.url, nodeId });
  try {
    // The old node: finished jobs, one scheduled for later, one still running when it goes away.
    const a = await startTestDaemon({ dataDir: dirs[0], configYaml: yaml('node-a') });
    const done = await runJobs(a, 3);
    const at = new Date(Date.now() + 2500).toISOString();
    const scheduled = (await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'echo', args: ['later'], schedule: at })).job_uuid;
    const running = (await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'sleep', args: ['30'] })).job_uuid;
    for (let i = 0; i < 200 && (await call<{ status: string }>(a.jobs(), 'GetJobStatus', { uuid: running })).status !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 10));
    await assertReplicated(a, 'old node');
    const listA = (await call<{ jobs: Job__Output[] }>(a.jobs(), 'ListJobs', {})).jobs;
    await a.close();

    // The rebuilt node: empty disk, same node id.
    const b = await startTestDaemon({ dataDir: dirs[1], configYaml: yaml('node-a') });
    const facts = await systemFacts(b);
    assert.is(facts['state.importedJobs'], '5');
    const listB = (await call<{ jobs: Job__Output[] }>(b.jobs(), 'ListJobs', {})).jobs;
    for (const id of done) assert.equal(listB.find((j) => j.uuid === id), listA.find((j) => j.uuid === id), `finished job ${id} comes back as it was`);
    assert.is(listB.find((j) => j.uuid === scheduled)?.status, 'SCHEDULED');
    assert.is(await untilFinal(b, running), 'FAILED');
    assert.is(await untilFinal(b, scheduled, 10_000), 'COMPLETED');
    const s = await call<{ start_time: string }>(b.jobs(), 'GetJobStatus', { uuid: scheduled });
    assert.ok(Date.parse(s.start_time) >= Date.parse(at) - 5, 'the scheduled job ran at its time, not at import');
    // The backend now holds the rebuilt node's records (a newer log epoch), equal to its log.
    const records = await assertReplicated(b, 'rebuilt node');
    assert.is(records.length, 5);
    assert.is(records.find((r) => r.uuid === scheduled)?.status, 'COMPLETED');

    // A second node on the same Redis: listAllNodes sees both.
    const c = await startTestDaemon({ dataDir: dirs[2], configYaml: yaml('node-c') });
    assert.is((await systemFacts(c))['state.importedJobs'], '0');
    await runJobs(c, 1);
    await assertReplicated(c, 'second node');
    const all = await listAllNodes();
    assert.equal([...new Set(all.map((r) => r.nodeId))].sort(), ['node-a', 'node-c']);
    assert.is(all.length, 6);
    await c.close();

    // Restarting the rebuilt node imports nothing twice.
    await b.close();
    const b2 = await startTestDaemon({ dataDir: dirs[1], configYaml: yaml('node-a') });
    assert.is((await systemFacts(b2))['state.importedJobs'], '0');
    assert.is((await call<{ jobs: Job__Output[] }>(b2.jobs(), 'ListJobs', {})).jobs.length, 5);
    await b2.close();
  } finally {
    await redis.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test.run();
