// The crash harness (issue 5): a workload runs against the real `joblet` binary, which is
// SIGKILLed at random moments and started again on the same data dir. Afterwards every
// acknowledged RunJob exists, the log is gap-free and its hash chain verifies, each job ended with
// its true exit code (or as stopped), every byte each job wrote is in the log once and in order,
// and scheduled jobs ran no earlier than their time.
// CRASH_TRIALS=n (default 20) sets the number of kills; CRASH_SEED=n replays a run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '../../src/persist/eventStore.js';
import { verifyChain } from '../../src/persist/hashChain.js';
import { upcastJobEvent } from '../../src/events/upcasters.js';
import type { JobEvent } from '../../src/events/jobEvents.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import { startDaemonProcess, type DaemonProcess } from './daemonProcess.js';
import { call, rng, worker, type Expectation } from './workload.js';
import { FINAL_STATUSES } from '../../src/events/job.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const isRoot = process.getuid?.() === 0;
const dataDir = mkdtempSync(join(tmpdir(), 'joblet-crash-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = new Set<string>(FINAL_STATUSES);

async function waitAllFinal(d: DaemonProcess, acked: Expectation[], ms: number): Promise<Map<string, Status>> {
  const end = Date.now() + ms;
  const out = new Map<string, Status>();
  for (const e of acked) {
    for (;;) {
      const s = await call<Status>(d.jobs, 'GetJobStatus', { uuid: e.uuid });
      if (FINAL.has(s.status)) { out.set(e.uuid, s); break; }
      if (Date.now() > end) throw new Error(`job ${e.uuid} (${e.kind}) still ${s.status} after ${ms} ms`);
      await sleep(100);
    }
  }
  return out;
}

/** The job's whole output as GetJobLogs serves it. */
function readLogs(d: DaemonProcess, uuid: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = d.jobs.GetJobLogs({ uuid });
    s.on('data', (c: { payload: Buffer }) => parts.push(c.payload));
    s.on('error', reject);
    s.on('end', () => resolve(Buffer.concat(parts).toString()));
  });
}

const trialsTest = isRoot ? test : test.skip;
if (!isRoot) console.log('skip: crash harness (needs root: jobs run in namespaces)');

trialsTest(`SIGKILL the daemon ${TRIALS} times under load: nothing acknowledged is lost or doubled`, async () => {
  console.log(`crash harness: seed ${SEED}, ${TRIALS} trials (reproduce with CRASH_SEED=${SEED} CRASH_TRIALS=${TRIALS})`);
  const random = rng(SEED);
  const acked: Expectation[] = [];
  const t0 = Date.now();
  for (let trial = 0; trial < TRIALS; trial++) {
    const d = await startDaemonProcess(dataDir);
    let stopped = false;
    const workers = Array.from({ length: 3 }, () => worker(d.jobs, random, acked, () => stopped));
    // sometimes right after start (while re-attaching), mostly mid-workload
    await sleep(random() < 0.2 ? random() * 50 : 200 + random() * 1300);
    await d.kill();
    stopped = true;
    await Promise.all(workers);
  }
  const d = await startDaemonProcess(dataDir);
  // stop jobs whose StopJob never got through are stopped now, so the run ends in seconds
  for (const e of acked) if (e.kind === 'stop' && !e.stopAcked) await call(d.jobs, 'StopJob', { uuid: e.uuid }).catch(() => undefined);
  const statuses = await waitAllFinal(d, acked, 60_000);
  console.log(`crash harness: ${acked.length} jobs acknowledged over ${TRIALS} kills in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // what readers get (persist files for compacted output, then the log) is read before the stop
  const served = new Map<string, string>();
  for (const e of acked) if (e.kind !== 'stop') served.set(e.uuid, await readLogs(d, e.uuid));
  assert.is(await d.stop(), 0, d.output());

  const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events'), upcast: upcastJobEvent, readOnly: true });
  try {
    // no event lost or changed: positions gap-free from 1, every hash chains to the previous one
    const chain = verifyChain(store);
    assert.ok(chain.ok, `hash chain: ${JSON.stringify(chain)}`);
    for (const e of acked) {
      const s = statuses.get(e.uuid)!;
      const events = [...store.readJob(e.uuid)].map((x) => x.event);
      const count = (type: string) => events.filter((x) => x.type === type).length;
      const what = `${e.kind} job ${e.uuid}`;
      assert.is(count('JobSubmitted'), 1, `${what}: submitted once`);
      assert.is(count('JobFinished') + count('JobCanceled'), 1, `${what}: ended once`);
      assert.ok(count('JobStarted') <= 1, `${what}: started at most once`);
      const outputs = events.filter((x): x is Extract<JobEvent, { type: 'JobOutputWritten' }> => x.type === 'JobOutputWritten');
      const ends = outputs.map((o) => o.spoolEnd ?? -1);
      assert.ok(ends.every((v, i) => v > (i === 0 ? 0 : ends[i - 1])), `${what}: spool ranges strictly increasing (${ends.join(',')})`);
      // compaction may have emptied older output events once the persist service stored them
      const logged = outputs.reduce((n, o) => n + (o.compactedBytes ?? o.data.length), 0);
      if (e.kind === 'stop') {
        assert.ok(s.status === 'STOPPED' || (!e.stopAcked && s.status === 'COMPLETED'), `${what}: ${s.status}`);
        continue;
      }
      assert.is(served.get(e.uuid), e.output, `${what}: its output, once, in order`);
      assert.is(logged, Buffer.byteLength(e.output), `${what}: output bytes in the log`);
      assert.is(s.exit_code, e.exit, `${what}: exit code`);
      assert.is(s.status, e.exit === 0 ? 'COMPLETED' : 'FAILED', `${what}: status`);
      if (e.kind === 'sched') assert.ok(Date.parse(s.start_time) >= e.at! - 5, `${what}: started ${s.start_time}, scheduled ${new Date(e.at!).toISOString()}`);
    }
  } finally {
    await store.close();
  }
});

test.after(() => rmSync(dataDir, { recursive: true, force: true }));
test.run();
