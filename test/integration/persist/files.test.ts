// The persist service through a real daemon: a real job's output lands in DATA_DIR/logs/<id>,
// compressed once the job ends, each stream equal to what the job wrote, every record carrying
// its log position, capture time and stream; history over the Unix socket returns exactly the
// output up to upTo, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../../support/testDaemon.js';
import { jobDir, numbered, persisted, readJobFiles, runJob, systemFacts, untilEnded } from './persistFixture.js';

let d: TestDaemon;
test.before(async () => { d = await startTestDaemon(); });
test.after(async () => { await d.close(); });

const SCRIPT = 'for i in $(seq 1 3000); do echo out$i; echo err$i >&2; done';

test('a job\'s files: both streams apart and complete, gzipped at the end, positions and times from the log', async () => {
  const id = await runJob(d, 'sh', ['-c', SCRIPT]);
  assert.is((await untilEnded(d, id)).status, 'COMPLETED');
  await persisted(d);
  const dir = jobDir(d, id);
  const f = readJobFiles(dir);
  assert.ok(f.compressed, 'output.log.gz exists');
  assert.not.ok(existsSync(join(dir, 'output.log')), 'the raw log is gone once compressed and checkpointed');
  assert.ok(existsSync(join(dir, 'done.json')));
  assert.is(f.stdout, numbered('out', 3000));
  assert.is(f.stderr, numbered('err', 3000));
  // Each record is one JobOutputWritten event of the log: same position, time, stream and bytes.
  const events = new Map(d.daemon.readLog().filter((e) => e.event.type === 'JobOutputWritten' && e.event.jobId === id).map((e) => [e.position, e.event]));
  assert.is(f.records.length, events.size);
  let last = 0;
  for (const r of f.records) {
    const e = events.get(r.position) as { at: number; stream: string; data: Uint8Array } | undefined;
    assert.ok(e, `record at position ${r.position} is an output event of the job`);
    assert.ok(r.position > last, 'positions increase');
    last = r.position;
    assert.is(r.at, e!.at);
    assert.is(r.stream, e!.stream);
    assert.ok(Buffer.from(r.data).equals(Buffer.from(e!.data)));
  }
  const facts = d.daemon.persist.facts();
  assert.is(facts['persist.diskFull'], 'false');
  assert.ok(Number(facts['persist.position']) >= last);
});

test('history over the socket: exactly the output in [from, upTo], in position order', async () => {
  const id = await runJob(d, 'sh', ['-c', SCRIPT]);
  await untilEnded(d, id);
  await persisted(d);
  const all = readJobFiles(jobDir(d, id)).records;
  const read = async (from: number) => {
    const { upTo, chunks } = await d.daemon.persist.history.read(id, from);
    const got = [];
    for await (const c of chunks) got.push(c);
    return { upTo, got };
  };
  const whole = await read(1);
  assert.is(whole.upTo, d.daemon.persist.durablePosition());
  assert.is(whole.got.length, all.length);
  assert.equal(whole.got.map((c) => c.position), all.map((r) => r.position));
  assert.is(Buffer.concat(whole.got.filter((c) => c.stream === 'stdout').map((c) => c.data)).toString(), numbered('out', 3000));
  // Cut in the middle: from a position on, nothing before it.
  const mid = all[Math.floor(all.length / 2)].position;
  const half = await read(mid);
  assert.equal(half.got.map((c) => c.position), all.filter((r) => r.position >= mid).map((r) => r.position));
  // Past the checkpoint: nothing, and upTo = from - 1, so the reader goes to the log.
  const past = await read(whole.upTo + 5);
  assert.is(past.upTo, whole.upTo + 4);
  assert.is(past.got.length, 0);
  // A job the files do not have: nothing up to the checkpoint.
  const none = await read(1);
  assert.ok(none.got.length > 0);
  const unknown = await d.daemon.persist.history.read('no-such-job', 1);
  const u = [];
  for await (const c of unknown.chunks) u.push(c);
  assert.is(u.length, 0);
});

test('history of a running job comes from its raw log, cut at the checkpoint', async () => {
  const id = await runJob(d, 'sh', ['-c', 'i=0; while [ $i -lt 4000 ]; do i=$((i+1)); echo tick$i; if [ $((i % 200)) -eq 0 ]; then sleep 0.05; fi; done']);
  const raw = join(jobDir(d, id), 'output.log');
  const end = Date.now() + 20_000;
  while (!existsSync(raw) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  await persisted(d);
  const { upTo, chunks } = await d.daemon.persist.history.read(id, 1);
  const got = [];
  for await (const c of chunks) got.push(c);
  assert.ok(got.length > 0, 'output so far');
  assert.ok(got.every((c) => c.position <= upTo));
  const text = Buffer.concat(got.map((c) => c.data)).toString();
  assert.ok(numbered('tick', 4000).startsWith(text), 'a prefix of the job\'s output, in order');
  await untilEnded(d, id);
});

test('ten jobs printing at once: each file holds exactly its own job\'s lines', async () => {
  const ids = await Promise.all(Array.from({ length: 10 }, (_, j) => runJob(d, 'sh', ['-c', `for i in $(seq 1 2000); do echo j${j}-$i; done`])));
  for (const id of ids) assert.is((await untilEnded(d, id)).status, 'COMPLETED');
  await persisted(d);
  ids.forEach((id, j) => assert.is(readJobFiles(jobDir(d, id)).stdout, numbered(`j${j}-`, 2000), `job ${j}`));
});

test('GetSystemStatus reports the persist facts', async () => {
  const facts = await systemFacts(d);
  assert.is(facts['persist.diskFull'], 'false');
  assert.ok(Number(facts['persist.position']) > 0);
  assert.is(facts['persist.dir'], join(d.dataDir, 'logs'));
});

test.run();
