// A backend outage under load: Redis stops while jobs are submitted and run. Jobs keep running,
// the API keeps answering, GetSystemStatus says how far behind replication is and why; when Redis
// returns the replicator catches up from its checkpoint and every record equals the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, call } from '../../support/testDaemon.js';
import { RedisServer, redisUnavailable } from './services.js';
import { stateYaml, untilFinal, assertReplicated, systemFacts } from './fixture.js';

test('redis stopped for a while under load: nothing lost, lag reported, caught up after', async () => {
  const why = redisUnavailable();
  if (why) { console.log(`skipped: ${why}`); return; }
  const redis = await RedisServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-outage-'));
  const d = await startTestDaemon({ dataDir, configYaml: stateYaml('redis', { redisUrl: redis.url }) });
  try {
    const client = d.jobs();
    const ids: string[] = [];
    let submitting = true;
    // Load: a job every 20 ms (each one is ~5 events: submitted, launching, started, output, finished).
    const load = (async () => {
      while (submitting) {
        ids.push((await call<{ job_uuid: string }>(client, 'RunJob', { command: 'echo', args: [`n${ids.length}`] })).job_uuid);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await redis.stop();
    const stoppedAt = Date.now();

    // While Redis is down: the daemon answers, and reports the lag and the error.
    let facts: Record<string, string> = {};
    for (let i = 0; i < 100; i++) {
      facts = await systemFacts(d);
      if (Number(facts['state.lagEvents']) > 0 && facts['state.lastError'] && Number(facts['state.behindSeconds']) > 0) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(Number(facts['state.lagEvents']) > 0, `lag reported: ${JSON.stringify(facts)}`);
    assert.ok(facts['state.lastError'], 'the backend error is reported');
    assert.ok(Number(facts['state.behindSeconds']) > 0, 'seconds behind are reported');
    await new Promise((r) => setTimeout(r, Math.max(0, 1500 - (Date.now() - stoppedAt))));
    const submittedDuringOutage = ids.length;

    await redis.up();
    await new Promise((r) => setTimeout(r, 300));
    submitting = false;
    await load;
    for (const id of ids) await untilFinal(d, id);
    assert.ok(submittedDuringOutage > 20, `jobs kept being accepted during the outage (${submittedDuringOutage})`);
    const records = await assertReplicated(d, 'after the outage');
    assert.is(records.length, ids.length);
    assert.ok(records.every((r) => r.status === 'COMPLETED'), 'every job ran to completion');
    const after = await systemFacts(d);
    assert.is(after['state.lagEvents'], '0');
    assert.is(after['state.lastError'], undefined);
  } finally {
    await d.close();
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
