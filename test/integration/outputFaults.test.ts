// Issue 4, "bad input and faults", the writer's side: whatever a job prints (binary garbage, NUL
// bytes, one 100 MB line without a newline, 1 GB) comes back through GetJobLogs byte for byte,
// checked against the job's own sha256sum, and capturing it does not make the daemon buffer it.
// The readers' faults (a reader that never reads, many readers, a job deleted mid-stream) are
// tested elsewhere. Each job hashes what it wrote (tee copies the data to stdout and, through a
// fifo, into sha256sum) and prints the hash on stdout once all data is out, so both travel in one
// stream, in order: the output is <data><64 hex digits>"  -\n". (The job cannot reopen its own
// stdout through /proc/self/fd: the pipe belongs to the supervisor, root, and the job is nobody.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startTestDaemon, call, type TestDaemon } from '../support/testDaemon.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';

const MiB = 1024 * 1024;
const SUM_LINE = 64 + '  -\n'.length;
const isRoot = process.getuid?.() === 0;

/** sh: `generator` to stdout, hashed on the way by the job itself, then the hash line. */
const selfChecked = (generator: string) =>
  `mkfifo /tmp/f && { sha256sum < /tmp/f > /tmp/sum & } && ${generator} | tee /tmp/f && wait && cat /tmp/sum`;

let d: TestDaemon;
let jobs: JobServiceClient;

test.before(async () => {
  // a cap above the 1 GB job, so nothing is dropped; the cap itself is tested in outputFlood
  d = await startTestDaemon({ configYaml: `joblet:\n  maxOutputBytes: ${2048 * MiB}\n` });
  jobs = d.jobs('developer');
});
test.after(async () => { await d?.close(); });

/** What GetJobLogs delivered: its size, sha256 and last bytes; the bytes themselves are not kept. */
interface Received { bytes: number; sha256: string; tail: Buffer; chunks: number }

/**
 * Runs `script` under sh and follows GetJobLogs from the start (history, then live) until the
 * stream ends with the job. Everything but the last SUM_LINE bytes goes into the hash.
 */
async function runAndFollow(script: string): Promise<{ uuid: string; got: Received; status: Status }> {
  const { job_uuid: uuid } = await call<{ job_uuid: string }>(jobs, 'RunJob', { command: 'sh', args: ['-c', script] });
  const hash = createHash('sha256');
  let tail = Buffer.alloc(0);
  let bytes = 0;
  let chunks = 0;
  await new Promise<void>((resolve, reject) => {
    const stream = jobs.GetJobLogs({ uuid });
    stream.on('data', ({ payload }: { payload: Buffer }) => {
      bytes += payload.length;
      chunks++;
      // hold back the last SUM_LINE bytes: they may be the job's checksum line
      const joined = tail.length === 0 ? payload : Buffer.concat([tail, payload]);
      const cut = Math.max(0, joined.length - SUM_LINE);
      hash.update(joined.subarray(0, cut));
      tail = Buffer.from(joined.subarray(cut));
    });
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  const status = await call<Status>(jobs, 'GetJobStatus', { uuid });
  return { uuid, got: { bytes, sha256: hash.digest('hex'), tail, chunks }, status };
}

/** The job's own checksum line, parsed; fails the test if the output does not end with one. */
function jobChecksum(got: Received): string {
  const m = /^([0-9a-f]{64}) {2}-\n$/.exec(got.tail.toString('latin1'));
  assert.ok(m, `the output ends with the job's sha256sum line (got ${JSON.stringify(got.tail.toString('latin1'))})`);
  return m![1];
}

/** Every output event of the job, from the log: the stream tags and the byte count there (a
 *  compacted event counts the bytes it held: compaction runs every few MiB of output). */
function loggedOutput(uuid: string): { streams: Set<string>; bytes: number } {
  const streams = new Set<string>();
  let bytes = 0;
  for (const { event } of d.daemon.readLog()) {
    if (event.type !== 'JobOutputWritten' || event.jobId !== uuid) continue;
    streams.add(event.stream);
    bytes += event.compactedBytes ?? event.data.length;
  }
  return { streams, bytes };
}

/** RssAnon of this process (the in-process daemon's), in bytes: what buffering output would grow. */
function rssAnon(): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

const rootTest = (name: string, fn: () => Promise<void>) => {
  if (isRoot) return test(name, fn);
  console.log(`skip: ${name} (needs root: the daemon runs jobs in namespaces)`);
  test.skip(name, fn);
};

rootTest('binary garbage and NUL bytes come back byte for byte, all tagged stdout', async () => {
  // random bytes (every byte value, lines of any length), then runs of NUL and NULs between text
  const script = `{ head -c ${20 * MiB} /dev/urandom; head -c ${MiB} /dev/zero; printf 'a\\0b\\0\\0c\\0'; } > /tmp/g && cat /tmp/g && sha256sum < /tmp/g`;
  const { uuid, got, status } = await runAndFollow(script);
  assert.is(status.status, 'COMPLETED', `exit ${status.exit_code}`);
  assert.is(got.bytes, 21 * MiB + 7 + SUM_LINE, 'every byte, nothing added');
  assert.is(got.sha256, jobChecksum(got), "what GetJobLogs returned hashes to the job's own sha256sum");
  const logged = loggedOutput(uuid);
  assert.equal([...logged.streams], ['stdout'], 'nothing was filed under stderr');
  assert.is(logged.bytes, got.bytes, 'the log holds exactly what the reader got');
});

rootTest('a single 100 MB line without a newline arrives complete and exact', async () => {
  // a repeating 25-byte pattern with no newline: a line-splitting bug would cut or reorder it
  const { got, status } = await runAndFollow(selfChecked(`yes abcdefghijklmnopqrstuvwxy | tr -d '\\n' | head -c ${100 * MiB}`));
  assert.is(status.status, 'COMPLETED', `exit ${status.exit_code}`);
  assert.is(got.bytes, 100 * MiB + SUM_LINE);
  // the job's sum is checked against the pattern too, so a job that wrote something else fails
  const pattern = Buffer.from('abcdefghijklmnopqrstuvwxy');
  const expected = createHash('sha256');
  const block = Buffer.alloc(pattern.length * MiB);
  for (let i = 0; i < MiB; i++) pattern.copy(block, i * pattern.length);
  for (let left = 100 * MiB; left > 0; left -= Math.min(left, block.length)) expected.update(block.subarray(0, Math.min(left, block.length)));
  assert.is(jobChecksum(got), expected.digest('hex'), 'the job wrote the pattern we expect');
  assert.is(got.sha256, jobChecksum(got), 'and GetJobLogs returned exactly that');
});

rootTest('1 GB of output arrives complete and exact, and the daemon does not buffer it', async () => {
  const total = 1000 * MiB;
  const before = rssAnon();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, rssAnon()); }, 50);
  const t0 = Date.now();
  let got: Received;
  let status: Status;
  try {
    ({ got, status } = await runAndFollow(selfChecked(`head -c ${total} /dev/urandom`)));
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssAnon());
  assert.is(status.status, 'COMPLETED', `exit ${status.exit_code}`);
  assert.is(got.bytes, total + SUM_LINE, 'every byte, nothing added');
  assert.is(got.sha256, jobChecksum(got), "what GetJobLogs returned hashes to the job's own sha256sum");
  // Anonymous memory only: the log is an mmap'd LMDB file, whose pages count in RSS once read
  // (RssFile) but are page cache the kernel reclaims, not memory the daemon holds on to.
  const growth = peak - before;
  console.log(`1 GB job: ${got.chunks} chunks in ${((Date.now() - t0) / 1000).toFixed(1)} s; RssAnon ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (daemon and reader in this process)`);
  assert.ok(growth < 300 * MiB, `RssAnon grew by ${(growth / MiB).toFixed(0)} MiB while 1000 MiB went through: output is being buffered`);
});

test.run();
