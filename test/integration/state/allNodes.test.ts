// `rnx job list --all-nodes` end to end: two daemons (own data dirs and node ids) replicate to one
// real redis-server, and `node bin/rnx.js` asks one of them for every node's jobs through
// joblet.state.v1.StateService/ListAllNodeJobs. With the memory backend nothing is shared, and the
// RPC says so, naming the config key to change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { stateProto } from '../../../src/proto.js';
import { startTestDaemon, CHANNEL_OPTIONS, call, type TestDaemon } from '../../support/testDaemon.js';
import { RedisServer, redisUnavailable } from './services.js';
import { stateYaml, runJobs } from './fixture.js';

interface Result { out: string; err: string; code: number }

function rnx(config: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(process.cwd(), 'bin', 'rnx.js'), '--config', config, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, out, stderr) => {
      resolve({ out, err: stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

async function caughtUp(d: TestDaemon): Promise<void> {
  assert.ok(await d.daemon.state.caughtUp(undefined, 30_000), `${d.daemon.nodeId}: replication did not catch up (${JSON.stringify(d.daemon.state.status())})`);
}

test('redis: --all-nodes lists the jobs of both nodes, with their node ids, as a table and as JSON', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const redis = await RedisServer.start();
  const started: TestDaemon[] = [];
  try {
    const a = await startTestDaemon({ configYaml: stateYaml('redis', { redisUrl: redis.url, nodeId: 'node-a' }) });
    started.push(a);
    const b = await startTestDaemon({ configYaml: stateYaml('redis', { redisUrl: redis.url, nodeId: 'node-b' }) });
    started.push(b);
    const [jobA] = await runJobs(a, 1, 'echo', ['from-a']);
    const [jobB] = await runJobs(b, 1, 'echo', ['from-b']);
    await caughtUp(a);
    await caughtUp(b);

    // Plain `job list` stays this node's own view.
    const own = await rnx(a.configFile('admin'), ['job', 'list', '--json']);
    assert.is(own.code, 0, own.err);
    assert.equal((JSON.parse(own.out) as { id: string }[]).map((j) => j.id), [jobA]);

    // --json right after --all-nodes: the flag must not swallow the next word as its value.
    const all = await rnx(a.configFile('admin'), ['job', 'list', '--all-nodes', '--json']);
    assert.is(all.code, 0, all.err);
    const listed = JSON.parse(all.out) as { id: string; node_id: string; status: string; args: string[] }[];
    const byId = new Map(listed.map((j) => [j.id, j]));
    assert.is(listed.length, 2, all.out);
    assert.is(byId.get(jobA)?.node_id, 'node-a');
    assert.is(byId.get(jobB)?.node_id, 'node-b');
    assert.is(byId.get(jobB)?.status, 'COMPLETED');
    assert.equal(byId.get(jobB)?.args, ['from-b', '0']);

    // The table, from the other node and with the least role (same rule as ListJobs: read).
    const table = await rnx(b.configFile('reader'), ['job', 'list', '--all-nodes']);
    assert.is(table.code, 0, table.err);
    assert.match(table.out, /NODE ID/);
    for (const [id, node] of [[jobA, 'node-a'], [jobB, 'node-b']]) {
      const row = table.out.split('\n').find((l) => l.includes(id));
      assert.ok(row, `no row for ${id} in:\n${table.out}`);
      assert.ok(row!.includes(node), `row of ${id} does not name ${node}: ${row}`);
    }
  } finally {
    for (const d of started.reverse()) await d.close();
    await redis.close();
  }
});

test('memory: ListAllNodeJobs answers FAILED_PRECONDITION naming state.backend, and rnx shows it', async () => {
  const d = await startTestDaemon({ configYaml: stateYaml('memory') });
  const client = new (stateProto().joblet.state.v1.StateService)(d.address, d.credentials('reader'), CHANNEL_OPTIONS);
  try {
    await runJobs(d, 1);
    const err = await call(client, 'ListAllNodeJobs', {}).then(() => undefined, (e: grpc.ServiceError) => e);
    assert.ok(err, 'ListAllNodeJobs succeeded on a memory backend');
    assert.is(err!.code, grpc.status.FAILED_PRECONDITION, err!.message);
    assert.match(err!.details, /state\.backend is memory/);
    assert.match(err!.details, /redis or dynamodb/);

    const r = await rnx(d.configFile('admin'), ['job', 'list', '--all-nodes']);
    assert.is.not(r.code, 0, r.out);
    assert.match(r.err, /state\.backend/);
  } finally {
    client.close();
    await d.close();
  }
});

test.run();
