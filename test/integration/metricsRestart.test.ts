// Metrics of a job that outlives its daemon: the next daemon re-attaches and keeps sampling. Its
// cgroup's CPU counter then holds everything from before the restart; the first reading after it
// is only a base, so no sample claims that whole time as one burst.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, call, collect, type TestDaemon } from '../support/testDaemon.js';
import { until } from '../support/until.js';
import type { JobMetricsEvent__Output as Metrics } from '../../src/gen/joblet/JobMetricsEvent.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';

const dataDir = mkdtempSync(join(tmpdir(), 'joblet-metrics-restart-'));
const yaml = 'joblet:\n  metricsInterval: 500ms\n';
test.after(() => rmSync(dataDir, { recursive: true, force: true }));

const samples = (d: TestDaemon, id: string) => collect<Metrics>(d.jobs(), 'GetJobMetrics', { job_uuid: id });

test('a re-attached job goes on being sampled, with sane CPU %, up to its exit sample', async () => {
  const a = await startTestDaemon({ dataDir, configYaml: yaml });
  // busy under a 30% limit for ~4 s: the counter grows by ~1.2 s of CPU, across the restart
  const { job_uuid: id } = await call<{ job_uuid: string }>(a.jobs(), 'RunJob', { command: 'timeout', args: ['4', 'sh', '-c', 'while :; do :; done'], max_cpu: 30 });
  await until(() => samples(a, id), (s) => s.length >= 1);
  const before = (await samples(a, id)).length;
  await a.close();  // the job keeps running under its supervisor
  const b = await startTestDaemon({ dataDir, configYaml: yaml });
  try {
    const end = await until(() => call<Status>(b.jobs(), 'GetJobStatus', { uuid: id }), (s) => s.status !== 'RUNNING');
    assert.is(end.status, 'FAILED', 'timeout\'s exit 124');
    const all = await samples(b, id);
    assert.ok(all.length > before + 1, `samples after the restart: ${all.length - before}`);
    const cpu = all.slice(0, -1).map((s) => s.cpu_percent);
    assert.ok(cpu.every((p) => p >= 0 && p <= 50), `every periodic sample within the 30% limit plus noise: ${cpu}`);
    assert.ok(all.slice(before).some((s) => s.cpu_percent > 5), `the re-attached job's CPU shows: ${cpu}`);
  } finally {
    await b.close();
  }
});

test.run();
