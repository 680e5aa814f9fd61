// Compaction wired into a real daemon: once the persist service has stored a job's output, the
// background compactor turns its output events into stubs, GetJobLogs still returns every byte
// (from the persist files), the live log verifies with `joblet replay --verify`, and
// GetSystemStatus reports the compaction.* facts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { startTestDaemon, call, collect } from '../support/testDaemon.js';
import { runReplay } from '../../src/replay/replayCommand.js';
import { systemFacts } from './persist/persistFixture.js';

test('a finished job\'s output is compacted out of the log and still read in full', async () => {
  const d = await startTestDaemon({ configYaml: 'storage:\n  compactInterval: 1s\n  compactEveryBytes: 4096\n' });
  try {
    const lines = Array.from({ length: 300 }, (_, i) => `line-${i + 1}`);
    const { job_uuid: uuid } = await call<{ job_uuid: string }>(d.jobs(), 'RunJob', { command: 'sh', args: ['-c', 'for i in $(seq 1 300); do echo line-$i; done'] });
    const outputEvents = () => d.daemon.readLog().flatMap(({ event: e }) => (e.type === 'JobOutputWritten' && e.jobId === uuid ? [e] : []));
    const deadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await call<{ status: string }>(d.jobs(), 'GetJobStatus', { uuid })).status;
      const events = outputEvents();
      if (status === 'COMPLETED' && events.length > 0 && events.every((e) => e.compactedBytes !== undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const events = outputEvents();
    assert.is(status, 'COMPLETED');
    assert.ok(events.length > 0 && events.every((e) => e.compactedBytes !== undefined && e.data.length === 0), `stubs: ${events.map((e) => e.compactedBytes).join(',')}`);
    assert.is(events.reduce((n, e) => n + e.compactedBytes!, 0), lines.join('\n').length + 1);
    const logs = await collect<{ payload: Buffer }>(d.jobs(), 'GetJobLogs', { uuid });
    assert.is(Buffer.concat(logs.map((c) => c.payload)).toString(), `${lines.join('\n')}\n`);
    const chunks: Buffer[] = [];
    const code = await runReplay({ path: d.dataDir, verify: true }, new Writable({ write(c: Buffer, _e, done) { chunks.push(Buffer.from(c)); done(); } }));
    assert.is(code, 0, Buffer.concat(chunks).toString());
    assert.match(Buffer.concat(chunks).toString(), 'compacted output events');
    // GetSystemStatus reports how far compaction got and what it freed.
    // (the counters move when a compaction call returns, after its fsync: a moment after the stubs show)
    const lastOutput = Math.max(...d.daemon.readLog().filter(({ event: e }) => e.type === 'JobOutputWritten' && e.jobId === uuid).map((e) => e.position));
    let facts = await systemFacts(d);
    for (const end = Date.now() + 10_000; Number(facts['compaction.through']) < lastOutput && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 50));
      facts = await systemFacts(d);
    }
    assert.ok(Number(facts['compaction.through']) >= lastOutput, JSON.stringify(facts));
    assert.ok(Number(facts['compaction.bytesFreed']) > 0 && Number(facts['compaction.events']) >= events.length, JSON.stringify(facts));
    assert.is(facts['compaction.lastError'], undefined);
  } finally { await d.close(); }
});

test.run();
