// Shared steps of the State tests: a daemon configured for a backend, jobs run through the real
// API, and the records the backend must hold, derived independently from the daemon's own log.
import * as assert from 'uvu/assert';
import { evolve, type JobEvent } from '../../../src/events/jobEvents.js';
import type { StoredEvent } from '../../../src/persist/eventStore.js';
import { toRecord, type JobRecord } from '../../../src/state/record.js';
import { call, FINAL, type TestDaemon } from '../../support/testDaemon.js';
import type { Job } from '../../../src/events/job.js';

export function stateYaml(backend: string, opts: { redisUrl?: string; dynamoEndpoint?: string; table?: string; nodeId?: string; extra?: string } = {}): string {
  const lines = [
    ...(opts.nodeId ? ['server:', `  nodeId: ${opts.nodeId}`] : []),
    'state:',
    `  backend: ${backend}`,
    '  batchDelay: 5ms',
    '  retryMax: 200ms',
    '  syncTimeout: 5s',
    ...(opts.redisUrl ? ['  redis:', `    url: ${opts.redisUrl}`] : []),
    ...(opts.dynamoEndpoint ? ['  dynamodb:', `    endpoint: ${opts.dynamoEndpoint}`, `    tableName: ${opts.table ?? 'joblet-jobs'}`, '    region: us-east-1', '    createTable: true', '    ttl: 1h'] : []),
    ...(opts.extra ? [opts.extra] : []),
  ];
  return lines.join('\n') + '\n';
}

/** The record of every job as the log says it must be: the last event that changed it. */
export function expectedRecords(log: StoredEvent<JobEvent>[]): Map<string, JobRecord> {
  const jobs = new Map<string, Job>();
  const out = new Map<string, JobRecord>();
  const logEpoch = log[0]?.event.at ?? 0;
  for (const { position, event } of log) {
    if (event.jobId === undefined) continue;
    const prev = jobs.get(event.jobId);
    const next = evolve(prev, event);
    if (next === prev) continue;
    if (next) jobs.set(event.jobId, next); else jobs.delete(event.jobId);
    out.set(event.jobId, toRecord(next ?? prev!, { logEpoch, position }, event.at, next === undefined));
  }
  return out;
}

/** Runs `count` short jobs at once and waits until every one is final. */
export async function runJobs(d: TestDaemon, count: number, command = 'echo', args: string[] = ['hi']): Promise<string[]> {
  const client = d.jobs();
  const ids = await Promise.all(Array.from({ length: count }, (_, i) =>
    call<{ job_uuid: string }>(client, 'RunJob', { command, args: [...args, String(i)] }).then((r) => r.job_uuid)));
  for (const id of ids) await untilFinal(d, id);
  return ids;
}

export async function untilFinal(d: TestDaemon, uuid: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<{ status: string }>(d.jobs(), 'GetJobStatus', { uuid });
    if (FINAL.includes(s.status)) return s.status;
    if (Date.now() > end) throw new Error(`job ${uuid} still ${s.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for replication to reach the log's end, then checks the backend equals the log, record by record. */
export async function assertReplicated(d: TestDaemon, what: string): Promise<JobRecord[]> {
  assert.ok(await d.daemon.state.caughtUp(undefined, 30_000), `${what}: replication did not catch up (${JSON.stringify(d.daemon.state.status())})`);
  const want = expectedRecords(d.daemon.readLog());
  const got = new Map((await d.daemon.state.list(d.daemon.nodeId)).map((r) => [r.uuid, r]));
  const visible = [...want.values()].filter((r) => !r.deleted);
  assert.is(got.size, visible.length, `${what}: record count`);
  for (const r of visible) assert.equal(got.get(r.uuid), r, `${what}: record ${r.uuid}`);
  return visible;
}

export { systemFacts } from '../../support/testDaemon.js';
