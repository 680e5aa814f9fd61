// rnx job log end to end: a real `joblet` daemon (bin/joblet.js) and `node bin/rnx.js` as separate
// processes. No flags: the raw bytes (byte-exact, so `rnx job log ID > out` is the output). Each
// flag: --stream/--stdout/--stderr, --timestamps, --tail, --since, --no-follow/--follow=false, and
// following a running job until it ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RNX_BIN, startDaemonBinary, type DaemonBinary } from '../support/daemonBinary.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rnx-log-e2e-'));
const config = join(dataDir, 'config', 'rnx-config.yml');
let daemon: DaemonBinary | undefined;

interface Result { out: Buffer; err: string; code: number }

function rnx(args: string[], cwd = dataDir): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RNX_BIN, '--config', config, ...args], { cwd, encoding: 'buffer', timeout: 60_000, maxBuffer: 64 << 20 }, (err, out, stderr) => {
      resolve({ out, err: stderr.toString(), code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

const text = async (args: string[]) => {
  const r = await rnx(args);
  assert.is(r.code, 0, `rnx ${args.join(' ')}: ${r.err}`);
  return r.out.toString();
};

async function run(args: string[], cwd = dataDir): Promise<string> {
  const r = await rnx(['job', 'run', ...args], cwd);
  const m = /^ID: ([0-9a-f-]{36})$/m.exec(r.out.toString());
  if (!m) throw new Error(`no "ID: <uuid>" line in:\n${r.out}${r.err}`);
  return m[1];
}

async function waitForStatus(id: string, want: string[], ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const out = (await rnx(['job', 'status', id])).out.toString();
    if (want.includes(/^Status: (\S+)$/m.exec(out)?.[1] ?? '')) return;
    if (Date.now() > until) throw new Error(`job ${id} not in ${want.join('/')} after ${ms} ms:\n${out}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** rnx as a long-running process: its output so far, a wait for some output, its exit code. */
function follower(args: string[]) {
  const child = spawn(process.execPath, [RNX_BIN, '--config', config, ...args], { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  const out = () => Buffer.concat(chunks).toString();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child, out, exit,
    async received(want: string): Promise<void> {
      for (let n = 0; out() !== want; n++) {
        if (n > 600 || child.exitCode !== null) throw new Error(`rnx ${args.join(' ')} printed ${JSON.stringify(out())}, waiting for ${JSON.stringify(want)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

let mixed = '';

test.before(async () => {
  daemon = await startDaemonBinary(dataDir);
  // stdout and stderr lines, apart in time so their order in the log is the order written
  mixed = await run(['sh', '-c', 'echo o1; sleep 0.05; echo e1 >&2; sleep 0.05; echo o2; sleep 0.05; echo e2 >&2']);
  await waitForStatus(mixed, ['COMPLETED']);
});
test.after(async () => {
  await daemon?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('no flags: the raw bytes, exactly (binary garbage and NUL bytes, sha256)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'rnx-log-up-'));
  try {
    const garbage = Buffer.concat([randomBytes(300_000), Buffer.alloc(5000), randomBytes(300_000)]);
    writeFileSync(join(work, 'garbage.bin'), garbage);
    const id = await run(['--upload', 'garbage.bin', 'cat', 'garbage.bin'], work);
    await waitForStatus(id, ['COMPLETED']);
    const r = await rnx(['job', 'log', id]);
    assert.is(r.code, 0, r.err);
    assert.is(r.err, '');
    assert.is(createHash('sha256').update(r.out).digest('hex'), createHash('sha256').update(garbage).digest('hex'));
    // The same bytes through the flagged path (joblet.logs.v1) with a stream chosen.
    const s = await rnx(['job', 'log', '--stdout', id]);
    assert.ok(s.out.equals(garbage));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('--stream / --stdout / --stderr choose the stream', async () => {
  assert.is(await text(['job', 'log', mixed]), 'o1\ne1\no2\ne2\n');
  assert.is(await text(['job', 'log', '--stdout', mixed]), 'o1\no2\n');
  assert.is(await text(['job', 'log', '--stderr', mixed]), 'e1\ne2\n');
  assert.is(await text(['job', 'log', '--stream', 'stderr', mixed]), 'e1\ne2\n');
  assert.is(await text(['job', 'log', '--stream=stdout', mixed]), 'o1\no2\n');
  assert.is(await text(['job', 'log', '--stream', 'both', mixed]), 'o1\ne1\no2\ne2\n');
});

test('--timestamps prefixes each line with its RFC 3339 capture time', async () => {
  const out = await text(['job', 'log', '--timestamps', mixed]);
  const lines = out.split('\n');
  assert.is(lines.pop(), '');
  assert.is(lines.length, 4);
  const times: number[] = [];
  lines.forEach((line, i) => {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+)$/.exec(line);
    assert.ok(m, `line ${i}: ${line}`);
    assert.is(m![2], ['o1', 'e1', 'o2', 'e2'][i]);
    times.push(Date.parse(m![1]));
  });
  assert.equal([...times].sort((a, b) => a - b), times, 'capture times in order');
});

test('--tail N: the last N lines (both streams, or the chosen one)', async () => {
  assert.is(await text(['job', 'log', '--tail', '2', mixed]), 'o2\ne2\n');
  assert.is(await text(['job', 'log', '--tail', '1', '--stdout', mixed]), 'o2\n');
  assert.is(await text(['job', 'log', '--tail=0', mixed]), '');
  assert.is(await text(['job', 'log', '--tail', '99', mixed]), 'o1\ne1\no2\ne2\n');
});

test('--since: a duration ago or an RFC 3339 time', async () => {
  assert.is(await text(['job', 'log', '--since', '1h', mixed]), 'o1\ne1\no2\ne2\n');
  const stamped = (await text(['job', 'log', '--timestamps', mixed])).split('\n');
  const o2At = stamped[2].split(' ')[0];
  assert.is(await text(['job', 'log', '--since', o2At, mixed]), 'o2\ne2\n');
  const future = await rnx(['job', 'log', '--since', new Date(Date.now() + 3_600_000).toISOString(), mixed]);
  assert.is.not(future.code, 0);
  assert.match(future.err, /since/);
});

test('--no-follow / --follow=false stop at the output so far; the default follows until the job ends', async () => {
  // On SIGTERM (rnx job stop) the job prints one more line and exits.
  const id = await run(['sh', '-c', "trap 'echo bye; exit 0' TERM; echo hello; sleep 60 & wait"]);
  for (let n = 0; (await text(['job', 'log', '--no-follow', id])) !== 'hello\n'; n++) {
    if (n > 100) throw new Error('hello never arrived');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(await text(['job', 'log', '--follow=false', id]), 'hello\n');
  await waitForStatus(id, ['RUNNING']);
  // Followers (plain, and with a flag) have the first line and are still there when the job is stopped.
  const plain = follower(['job', 'log', id]);
  const tail = follower(['job', 'log', '--tail', '1', id]);
  const dashF = follower(['job', 'log', '-f', id]);
  await plain.received('hello\n');
  await dashF.received('hello\n');
  await tail.received('hello\n');
  assert.is(plain.child.exitCode, null, 'following a running job does not end by itself');
  assert.is(tail.child.exitCode, null, 'following a running job does not end by itself');
  const stop = await rnx(['job', 'stop', id]);
  assert.is(stop.code, 0, stop.err);
  assert.is(await plain.exit, 0);
  assert.is(plain.out(), 'hello\nbye\n');
  assert.is(await tail.exit, 0);
  assert.is(tail.out(), 'hello\nbye\n');
  assert.is(await dashF.exit, 0);
  assert.is(dashF.out(), 'hello\nbye\n');
});

test('bad flag values: exit 2 with the flag named; an unknown job: not found', async () => {
  const t = await rnx(['job', 'log', '--tail', 'many', mixed]);
  assert.is(t.code, 2);
  assert.match(t.err, /--tail/);
  const s = await rnx(['job', 'log', '--stream', 'stdin', mixed]);
  assert.is(s.code, 2);
  assert.match(s.err, /--stream/);
  const since = await rnx(['job', 'log', '--since', 'yesterday-ish', mixed]);
  assert.is(since.code, 2);
  assert.match(since.err, /--since/);
  const unknown = await rnx(['job', 'log', '--tail', '1', '00000000-0000-4000-8000-000000000000']);
  assert.is.not(unknown.code, 0);
  assert.match(unknown.err, /not found/);
});

test.run();
