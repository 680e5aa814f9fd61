// Shared steps of the persist tests: run a job through the daemon, wait for its end and for the
// persist child to have checkpointed past it, and read its files back as the job's streams.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { call, FINAL, type TestDaemon } from '../../support/testDaemon.js';
import { decodeRecords, type LogRecord } from '../../../src/persist/logRecord.js';
import type { GetJobStatusResponse__Output as Status } from '../../../src/gen/joblet/GetJobStatusResponse.js';

export { FINAL };

export async function runJob(d: TestDaemon, command: string, args: string[]): Promise<string> {
  const { job_uuid } = await call<{ job_uuid: string }>(d.jobs(), 'RunJob', { command, args });
  return job_uuid;
}

export async function untilEnded(d: TestDaemon, uuid: string, ms = 60_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<Status>(d.jobs(), 'GetJobStatus', { uuid });
    if (FINAL.includes(s.status)) return s;
    if (Date.now() > end) throw new Error(`job ${uuid} still ${s.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the persist checkpoint covers the whole log as it is now. */
export async function persisted(d: TestDaemon, ms = 30_000): Promise<void> {
  const want = d.daemon.logPosition();
  if (!(await d.daemon.persist.caughtUp(want, ms))) throw new Error(`persist checkpoint ${d.daemon.persist.durablePosition()} did not reach ${want}: ${JSON.stringify(d.daemon.persist.facts())}`);
}

export const jobDir = (d: TestDaemon, jobId: string) => join(d.dataDir, 'logs', jobId);

export interface JobFiles { compressed: boolean; records: LogRecord[]; stdout: string; stderr: string; metrics: string[] }

/** The job's output log (gzipped once it ended, raw while it runs) and metric lines. */
export function readJobFiles(dir: string): JobFiles {
  const gz = join(dir, 'output.log.gz');
  const compressed = existsSync(gz);
  const bytes = compressed ? gunzipSync(readFileSync(gz)) : readFileSync(join(dir, 'output.log'));
  const records = decodeRecords(bytes);
  const text = (s: string) => Buffer.concat(records.filter((r) => r.stream === s).map((r) => r.data)).toString();
  const m = join(dir, 'metrics.jsonl');
  const metrics = existsSync(m) ? readFileSync(m, 'utf8').split('\n').filter((l) => l !== '') : [];
  return { compressed, records, stdout: text('stdout'), stderr: text('stderr'), metrics };
}

/** "prefix1\nprefix2\n...prefixN\n" */
export const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join('');

export { systemFacts } from '../../support/testDaemon.js';
