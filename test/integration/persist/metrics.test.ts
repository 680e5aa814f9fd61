// Metric files: every JobMetricsSampled event of a job becomes one JSON line of
// DATA_DIR/logs/<id>/metrics.jsonl ({ position, at, ...sample }), in log order, and the history
// socket returns the same lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import { jobDir, persisted, readJobFiles, runJob, untilEnded } from './persistFixture.js';

let d: TestDaemon;
test.before(async () => { d = await startTestDaemon({ configYaml: 'joblet:\n  metricsInterval: 100ms\n' }); });
test.after(async () => { await d.close(); });

test('metrics.jsonl holds the job\'s samples as the log has them', async () => {
  const id = await runJob(d, 'sh', ['-c', 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 0.5']);
  assert.is((await untilEnded(d, id)).status, 'COMPLETED');
  await persisted(d);
  const events = d.daemon.readLog().filter((e) => e.event.type === 'JobMetricsSampled' && e.event.jobId === id)
    .map(({ position, event }) => ({ position, at: event.at, ...(event as unknown as { sample: object }).sample }));
  assert.ok(events.length >= 2, `samples while running and at exit (got ${events.length})`);
  const lines = readJobFiles(jobDir(d, id)).metrics;
  assert.equal(lines.map((l) => JSON.parse(l)), events);
  const { upTo, samples } = await d.daemon.persist.history.readMetrics(id, events[1].position);
  assert.is(upTo, d.daemon.persist.durablePosition());
  assert.equal(samples, lines.slice(1));
});

test.run();
