// Readers against a real daemon whose persist service stores output and whose compactor empties
// it out of the event log every few KiB: followers from the start, a reader that joins mid-way,
// a slow reader that compaction overtakes, and readers after everything was compacted. Each must
// get the exact output: no gap, no duplicate, whatever mix of persist files and log it came from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import type { DataChunk__Output } from '../../../src/gen/joblet/DataChunk.js';
import { ended, logsClient, readAll, runJob, streamLogs, text, waitStatus } from './logTestKit.js';

let d: TestDaemon;

test.before(async () => {
  d = await startTestDaemon({ configYaml: 'storage:\n  compactInterval: 1s\n  compactEveryBytes: 4096\n' });
});
test.after(async () => { await d.close(); });

const LINES = 600;
const line = (i: number) => `line ${i} ${'x'.repeat(100)}\n`;
const expected = Array.from({ length: LINES }, (_, i) => line(i + 1)).join('');

const compactedEvents = (jobId: string) => d.daemon.readLog().filter(({ event }) => event.jobId === jobId && event.type === 'JobOutputWritten' && event.compactedBytes !== undefined).length;

/** Waits until every output event of the job in the log is a compaction stub. */
async function allCompacted(jobId: string): Promise<void> {
  const left = () => d.daemon.readLog().filter(({ event }) => event.jobId === jobId && event.type === 'JobOutputWritten' && event.compactedBytes === undefined).length;
  for (let n = 0; compactedEvents(jobId) === 0 || left() > 0; n++) {
    if (n > 1200) throw new Error(`${left()} output events of job ${jobId} were never compacted (${compactedEvents(jobId)} were)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('followers, a late joiner and a slow reader overtaken by compaction all get the exact output', async () => {
  const id = await runJob(d, `i=1; while [ $i -le ${LINES} ]; do printf 'line %d %s\\n' $i ${'x'.repeat(100)}; i=$((i+1)); sleep 0.005; done`);
  const raw = (c: DataChunk__Output[]) => Buffer.concat(c.map((x) => x.payload)).toString();
  const jobs = d.jobs('reader');
  const logs = logsClient(d);
  const first = readAll<DataChunk__Output>(jobs.GetJobLogs({ uuid: id }));
  const firstStream = readAll(logs.StreamLogs({ job_uuid: id, follow: true }));
  // A slow reader: takes one chunk, then stops until the job has ended and compaction ran.
  const slow = jobs.GetJobLogs({ uuid: id });
  const slowChunks: Buffer[] = [];
  const slowDone = new Promise<grpc.ServiceError | undefined>((resolve) => {
    slow.on('error', (e: grpc.ServiceError) => resolve(e));
    slow.on('end', () => resolve(undefined));
  });
  await new Promise<void>((resolve) => slow.once('data', (c: DataChunk__Output) => { slowChunks.push(c.payload); slow.pause(); resolve(); }));
  slow.on('data', (c: DataChunk__Output) => slowChunks.push(c.payload));
  // A reader joining once compaction has taken some of the output.
  for (let n = 0; compactedEvents(id) === 0; n++) {
    if (n > 1200) throw new Error('no output of the job was compacted while it ran');
    await new Promise((r) => setTimeout(r, 25));
  }
  const late = readAll<DataChunk__Output>(jobs.GetJobLogs({ uuid: id }));
  assert.is((await waitStatus(d, id, ended)).status, 'COMPLETED');
  await allCompacted(id);
  slow.resume();

  assert.is(raw((await first).chunks), expected, 'a follower from the start');
  assert.is(text(await firstStream), expected, 'a StreamLogs follower from the start');
  assert.is(raw((await late).chunks), expected, 'a reader that joined after compaction began');
  assert.is(await slowDone, undefined);
  assert.is(Buffer.concat(slowChunks).toString(), expected, 'a slow reader compaction overtook');
  logs.close();
});

test('after compaction: raw, tail, since and stream selection read the persist files exactly', async () => {
  const id = await runJob(d, `i=1; while [ $i -le 300 ]; do echo out $i; echo err $i >&2; i=$((i+1)); done`);
  assert.is((await waitStatus(d, id, ended)).status, 'COMPLETED');
  await allCompacted(id);
  const logs = logsClient(d);
  const outs = Array.from({ length: 300 }, (_, i) => `out ${i + 1}\n`).join('');
  const errs = Array.from({ length: 300 }, (_, i) => `err ${i + 1}\n`).join('');
  assert.is(text(await streamLogs(logs, { job_uuid: id, streams: ['stdout'] })), outs);
  assert.is(text(await streamLogs(logs, { job_uuid: id, streams: ['stderr'] })), errs);
  assert.is(text(await streamLogs(logs, { job_uuid: id, streams: ['stdout'], tail_lines: 2 })), 'out 299\nout 300\n');
  const all = await streamLogs(logs, { job_uuid: id });
  assert.is(all.chunks.length > 0 && all.chunks.every((c, i) => i === 0 || BigInt(c.position) > BigInt(all.chunks[i - 1].position)), true, 'positions increase');
  const lastMs = Number(BigInt(all.chunks[all.chunks.length - 1].timestamp) / 1_000_000n);
  const since = text(await streamLogs(logs, { job_uuid: id, since: String(lastMs) }));
  assert.ok(since.length > 0 && all.chunks.map((c) => c.payload.toString()).join('').endsWith(since), 'since: a suffix of the output');
  const raw = await readAll<DataChunk__Output>(d.jobs('reader').GetJobLogs({ uuid: id }));
  assert.is(Buffer.concat(raw.chunks.map((c) => c.payload)).toString(), text(all), 'GetJobLogs: the same bytes');
  logs.close();
});

test.run();
