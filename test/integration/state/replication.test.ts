// Replication to every backend through a real daemon: records equal what the log says, survive a
// restart of the daemon (resuming from the checkpoint, not from position 1) and a restart of the
// backend while jobs keep running.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon } from '../../support/testDaemon.js';
import { LOCAL_STATE_FILE } from '../../../src/state/localBackend.js';
import { RedisServer, DynaliteServer, redisUnavailable } from './services.js';
import { stateYaml, runJobs, assertReplicated, systemFacts } from './fixture.js';

const dirs: string[] = [];
const freshDir = () => { const d = mkdtempSync(join(tmpdir(), 'joblet-state-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

test('memory: records equal the log; the backend is replayed from position 1 after a daemon restart', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir, configYaml: stateYaml('memory') });
  await runJobs(a, 5);
  const before = await assertReplicated(a, 'memory');
  const facts = await systemFacts(a);
  assert.is(facts['state.backend'], 'memory');
  assert.is(facts['state.lagEvents'], '0');
  await a.close();
  const b = await startTestDaemon({ dataDir, configYaml: stateYaml('memory') });
  const after = await assertReplicated(b, 'memory after restart');
  assert.is(after.length, before.length);
  await b.close();
});

test('local: an atomically written file in DATA_DIR/state; a restart resumes at the checkpoint', async () => {
  const dataDir = freshDir();
  const a = await startTestDaemon({ dataDir, configYaml: stateYaml('local') });
  await runJobs(a, 4);
  await assertReplicated(a, 'local');
  const checkpoint = a.daemon.state.status().position;
  await a.close();
  const file = JSON.parse(readFileSync(join(dataDir, 'state', LOCAL_STATE_FILE), 'utf8')) as { records: unknown[] };
  assert.is(file.records.length, 4);
  const b = await startTestDaemon({ dataDir, configYaml: stateYaml('local') });
  assert.ok(b.daemon.state.status().position >= checkpoint, 'resumes at or after the saved checkpoint');
  await runJobs(b, 2);
  await assertReplicated(b, 'local after restart');
  await b.close();
});

test('redis: replication, a daemon restart and a backend restart under load', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const redis = await RedisServer.start();
  try {
    const dataDir = freshDir();
    const yaml = stateYaml('redis', { redisUrl: redis.url });
    const a = await startTestDaemon({ dataDir, configYaml: yaml });
    await runJobs(a, 6);
    await assertReplicated(a, 'redis');
    await a.close();

    const b = await startTestDaemon({ dataDir, configYaml: yaml });
    const running = runJobs(b, 12);
    await new Promise((r) => setTimeout(r, 50));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 400));
    await redis.up();
    await running;
    await runJobs(b, 2);
    await assertReplicated(b, 'redis after daemon and backend restarts');
    await b.close();
  } finally {
    await redis.close();
  }
});

test('dynamodb (dynalite): table created on first use, daemon and backend restarts, TTL on finished jobs', async () => {
  const dynalite = await DynaliteServer.start();
  try {
    const dataDir = freshDir();
    const yaml = stateYaml('dynamodb', { dynamoEndpoint: dynalite.endpoint, table: 'jobs-test' });
    const a = await startTestDaemon({ dataDir, configYaml: yaml });
    await runJobs(a, 4);
    await assertReplicated(a, 'dynamodb');
    await a.close();

    const b = await startTestDaemon({ dataDir, configYaml: yaml });
    const running = runJobs(b, 8);
    await dynalite.stop();
    await new Promise((r) => setTimeout(r, 400));
    await dynalite.up();
    await running;
    const records = await assertReplicated(b, 'dynamodb after daemon and backend restarts');
    assert.is(records.length, 12);
    assert.ok(b.daemon.state.status().position > 0 && b.daemon.state.status().position === b.daemon.logPosition());

    // The TTL attribute is on the item (read it raw: the record itself does not carry it).
    const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const c = new DynamoDBClient({ region: 'us-east-1', endpoint: dynalite.endpoint });
    const item = await c.send(new GetItemCommand({ TableName: 'jobs-test', Key: { jobId: { S: records[0].uuid } } }));
    const expiresAt = Number(item.Item?.expiresAt?.N);
    assert.ok(Math.abs(expiresAt - (Date.parse(records[0].updatedAt) / 1000 + 3600)) < 2, `expiresAt ${expiresAt}`);
    c.destroy();
    await b.close();
  } finally {
    await dynalite.close();
  }
});

test.run();
