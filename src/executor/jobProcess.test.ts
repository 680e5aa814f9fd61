// The executor's ordering, status interpretation, detach and re-attach, driven by stand-in
// launchers (shell scripts that write the supervisor's files: status, output.spool,
// supervisor.pid), so it runs without root. The real launcher on the real kernel is covered by
// test/integration/launcher.test.ts and test/integration/restart.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeExecutor } from './nativeExecutor.js';
import { SPOOL_START } from './spool.js';
import { CorruptStateError } from './supervisorFiles.js';
import type { Executor, Observation } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-fake-launcher-'));
const env = { PATH: '/usr/bin:/bin' };

// st LINE...: replaces the status file; rec STREAM TEXT: appends a spool record (TEXT < 256 bytes)
const PRELUDE = `while [ "$1" != "--state-dir" ]; do shift; done; D=$2
echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > "$D/supervisor.pid"
printf 'JSPOOL1\\n' > "$D/output.spool"
st() { printf '%s\\n' "$@" > "$D/status.tmp"; mv "$D/status.tmp" "$D/status"; }
rec() { printf "\\\\$(printf %03o $1)\\\\000\\\\000\\\\000\\\\$(printf %03o \${#2})\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000\\\\000" >> "$D/output.spool"; printf '%s' "$2" >> "$D/output.spool"; }`;

function fakeLauncher(name: string, body: string, prelude = PRELUDE): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${prelude}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

type Seen = Record<string, unknown>;
const plain = (o: Observation): Seen => {
  const { at, ...rest } = o;
  assert.type(at, 'number');
  return o.type === 'output' ? { ...rest, data: o.data.toString() } : rest;
};
const isEnd = (o: Observation) => o.type === 'exited' || o.type === 'startFailed' || o.type === 'lost';

/** Runs one job to its last observation; drops the times and turns output into strings. */
function run(launcherPath: string, stateDir?: string): Promise<Seen[]> {
  const ex = createNativeExecutor({ launcherPath });
  const seen: Seen[] = [];
  return new Promise((resolve) => {
    ex.onObservation((o) => { seen.push(plain(o)); if (isEnd(o)) resolve(seen); });
    ex.launch({ jobId: 'j', command: 'x', args: [], env, workDir: dir, ...(stateDir ? { stateDir } : {}) });
  });
}

function until(ex: Executor, jobId: string, done: (o: Observation) => boolean): Promise<Seen[]> {
  const seen: Seen[] = [];
  return new Promise((resolve) => ex.onObservation((o) => { if (o.jobId !== jobId) return; seen.push(plain(o)); if (done(o)) resolve(seen); }));
}

const freshState = (name: string) => { const d = join(dir, name); mkdirSync(d); return d; };

/** Adjacent outputs of one stream as one (how records are grouped depends on when they are read). */
function merged(seen: Seen[]): Seen[] {
  const out: Seen[] = [];
  for (const o of seen) {
    const prev = out[out.length - 1];
    if (o.type === 'output' && prev?.type === 'output' && prev.stream === o.stream) out[out.length - 1] = { ...prev, data: `${prev.data}${o.data}`, spoolEnd: o.spoolEnd };
    else out.push(o);
  }
  return out;
}

test('started, output in spool order with its spool end, then the exit', async () => {
  const seen = merged(await run(fakeLauncher('order', `rec 1 early; st 'started 4242'; sleep 0.05; rec 2 late; rec 2 more; st 'started 4242' 'exited 0'`)));
  assert.equal(seen, [
    { type: 'started', jobId: 'j', pid: 4242 },
    { type: 'output', jobId: 'j', stream: 'stdout', data: 'early', spoolEnd: SPOOL_START + 16 + 5 },
    { type: 'output', jobId: 'j', stream: 'stderr', data: 'latemore', spoolEnd: SPOOL_START + 16 + 5 + 16 + 4 + 16 + 4 },
    { type: 'exited', jobId: 'j', exitCode: 0 },
  ]);
});

test('an error line gives startFailed alone, without the output', async () => {
  const seen = await run(fakeLauncher('err', `rec 1 noise; st 'error chdir /x: ENOENT (no such file or directory)' 'exited 127'; exit 127`));
  assert.equal(seen, [{ type: 'startFailed', jobId: 'j', reason: 'chdir /x: ENOENT (no such file or directory)' }]);
});

test('a killed line becomes 128+n with the signal name', async () => {
  const seen = await run(fakeLauncher('killed', `st 'started 7' 'killed 15'; exit 143`));
  assert.equal(seen.at(-1), { type: 'exited', jobId: 'j', exitCode: 143, signal: 'SIGTERM' });
});

test('a launcher killed before its last line reports its own death', async () => {
  const seen = await run(fakeLauncher('selfkill', `st 'started 7'; kill -9 $$`));
  assert.equal(seen.at(-1), { type: 'exited', jobId: 'j', exitCode: 137, signal: 'SIGKILL' });
});

test('a launcher that exits without a word is a failed start', async () => {
  const seen = await run(fakeLauncher('mute', 'exit 0'));
  assert.equal(seen, [{ type: 'startFailed', jobId: 'j', reason: 'launcher exited with code 0 before the job started' }]);
});

test('an error on the launcher\'s stderr before its state dir was open is the reason', async () => {
  const seen = await run(fakeLauncher('args', `echo 'error args: EINVAL (bad)' >&2; exit 127`, ''));
  assert.equal(seen, [{ type: 'startFailed', jobId: 'j', reason: 'args: EINVAL (bad)' }]);
});

test('a garbage status file is a failed start naming the file', async () => {
  const seen = await run(fakeLauncher('garbage', `st 'hello there'`));
  assert.is(seen.length, 1);
  assert.match(String(seen[0].reason), /status: launcher status line "hello there"/);
});

test('a missing launcher is a failed start that says how to build it', async () => {
  const seen = await run(join(dir, 'not-built'));
  assert.is(seen.length, 1);
  assert.match(String(seen[0].reason), /^spawn .*not-built: ENOENT \(build it with npx node-gyp rebuild\)$/);
});

test('the next output is read only once the listener\'s promise settled (backpressure)', async () => {
  const ex = createNativeExecutor({ launcherPath: fakeLauncher('bp', `st 'started 5'; rec 1 a; sleep 0.1; rec 2 b; sleep 0.1; st 'started 5' 'exited 0'`) });
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const done = new Promise<void>((r) => ex.onObservation((o) => {
    seen.push(o.type === 'output' ? o.data.toString() : o.type);
    if (o.type === 'exited') r();
    return o.type === 'output' && o.data.toString() === 'a' ? gate : undefined;
  }));
  ex.launch({ jobId: 'bp', command: 'x', args: [], env, workDir: dir });
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(seen, ['started', 'a'], 'nothing after a before its promise settled');
  release();
  await done;
  assert.equal(seen, ['started', 'a', 'b', 'exited']);
});

test('close leaves the job running; a new executor re-attaches from an offset and sees the rest', async () => {
  const stateDir = freshState('reattach');
  const launcher = fakeLauncher('long', `st 'started 11'; rec 1 one; rec 1 two; while [ ! -e "$D/go" ]; do sleep 0.02; done; rec 2 three; st 'started 11' 'exited 3'`);
  const a = createNativeExecutor({ launcherPath: launcher });
  const first = until(a, 'r', (o) => o.type === 'output');
  a.launch({ jobId: 'r', command: 'x', args: [], env, workDir: dir, stateDir });
  const [, one] = await first;
  await a.close();
  assert.equal(a.running(), []);
  writeFileSync(join(stateDir, 'go'), '');
  const b = createNativeExecutor({ launcherPath: launcher });
  const rest = until(b, 'r', isEnd);
  assert.is(await b.attach({ jobId: 'r', stateDir, spoolOffset: one.spoolEnd as number, started: true }), 'attached');
  const seen = await rest;
  // 'one' and 'two' may have come as one observation; whatever came after the offset comes now
  const text = seen.filter((o) => o.type === 'output').map((o) => o.data).join('');
  assert.ok(['three', 'twothree'].includes(text), text);
  assert.equal(seen.at(-1), { type: 'exited', jobId: 'r', exitCode: 3 });
  assert.ok(!seen.some((o) => o.type === 'started'), 'started is not repeated');
});

test('attach: a held launch its daemon gave up by dying is absent, its files cleared for the relaunch; other start failures stay', async () => {
  const ex = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  const held = freshState('held-given-up');
  writeFileSync(join(held, 'supervisor.pid'), '999999999 1\n');
  // as native/init.c step 7b reports it
  writeFileSync(join(held, 'status'), 'error wait for the release (--hold-fd): ECANCELED (operation canceled; the daemon gave the launch up (its submission was never durable))\n');
  assert.is(await ex.attach({ jobId: 'hg', stateDir: held, spoolOffset: SPOOL_START, started: false }), 'absent');
  assert.equal(readdirSync(held), [], 'pid and status files removed');
  const other = freshState('start-failed');
  writeFileSync(join(other, 'supervisor.pid'), '999999999 1\n');
  writeFileSync(join(other, 'status'), 'error mount /proc: EPERM (operation not permitted)\n');
  assert.is(await ex.attach({ jobId: 'sf', stateDir: other, spoolOffset: SPOOL_START, started: false }), 'attached');
  await ex.close();
});

test('attach: no files is absent; a vanished supervisor is lost with the reason', async () => {
  const ex = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  assert.is(await ex.attach({ jobId: 'none', stateDir: freshState('empty'), spoolOffset: SPOOL_START, started: false }), 'absent');
  const gone = freshState('gone');
  writeFileSync(join(gone, 'supervisor.pid'), '999999999 1\n');
  writeFileSync(join(gone, 'output.spool'), 'JSPOOL1\n');
  writeFileSync(join(gone, 'status'), 'started 12\n');
  const end = until(ex, 'gone', isEnd);
  await ex.attach({ jobId: 'gone', stateDir: gone, spoolOffset: SPOOL_START, started: true });
  const seen = await end;
  assert.is(seen.length, 1);
  assert.is(seen[0].type, 'lost');
  assert.match(String(seen[0].reason), /supervisor \(pid 999999999\) is gone and left no exit status/);
});

test('attach refuses corrupt files, naming the file and the recovery step; a set-aside file ends the job as lost', async () => {
  const ex = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  const bad = freshState('bad');
  writeFileSync(join(bad, 'supervisor.pid'), '1 1\n');
  writeFileSync(join(bad, 'status'), 'started 12\nexit\n');
  writeFileSync(join(bad, 'output.spool'), 'JSPOOL1\n');
  const refused = async (want: RegExp) => {
    try { await ex.attach({ jobId: 'bad', stateDir: bad, spoolOffset: 100, started: true }); assert.unreachable('attached'); } catch (err) {
      assert.instance(err, CorruptStateError);
      assert.match((err as Error).message, want);
    }
  };
  await refused(new RegExp(`${join(bad, 'status')}: .*mv ${join(bad, 'status')} ${join(bad, 'status')}.corrupt`));
  writeFileSync(join(bad, 'status'), 'started 12\n');
  await refused(/output\.spool: truncated: 8 bytes, but the event log already holds its output up to offset 100/);
  writeFileSync(join(bad, 'output.spool'), Buffer.alloc(200, 7));
  await refused(/output\.spool: not an output spool/);
  truncateSync(join(bad, 'output.spool'), 0);
  writeFileSync(join(bad, 'supervisor.pid'), 'garbage');
  await refused(/supervisor\.pid: not "<pid> <start time>"/);
  writeFileSync(join(bad, 'supervisor.pid.corrupt'), 'garbage');
  rmSync(join(bad, 'supervisor.pid'));
  const end = until(ex, 'bad', isEnd);
  await ex.attach({ jobId: 'bad', stateDir: bad, spoolOffset: 100, started: true });
  const [lost] = await end;
  assert.is(lost.type, 'lost');
  assert.match(String(lost.reason), /supervisor\.pid\.corrupt set aside as corrupt by the operator/);
});

// --spool S: the spool is S (its dir made here) and the state dir holds a symlink to it, as the real launcher does
const SPOOL_PRELUDE = `while [ "$1" != "--" ]; do case "$1" in --state-dir) D=$2;; --spool) S=$2;; esac; shift 2; done
echo "$$ $(cut -d' ' -f22 /proc/$$/stat)" > "$D/supervisor.pid"
mkdir -p "$(dirname "$S")"; printf 'JSPOOL1\\n' > "$S"; ln -s "$S" "$D/output.spool"
${PRELUDE.split('\n').slice(2).join('\n')}`;

test('a spool outside the state dir (spoolFile): output arrives while the job runs, then the end; a re-attach reads it too', async () => {
  const stateDir = freshState('tmpfs-like');
  const spoolFile = join(dir, 'disk', 'sj', 'output.spool');
  // the job waits for the test to have seen its first line, so that line cannot come with the end
  const launcher = fakeLauncher('spool', `st 'started 21'; rec 1 first; while [ ! -e "$D/go" ]; do sleep 0.01; done; rec 1 second; st 'started 21' 'exited 0'`, SPOOL_PRELUDE);
  const ex = createNativeExecutor({ launcherPath: launcher });
  const seen: Seen[] = [];
  const done = new Promise<void>((resolve) => ex.onObservation((o) => {
    seen.push(plain(o));
    if (o.type === 'output' && o.data.toString() === 'first') writeFileSync(join(stateDir, 'go'), '');
    if (isEnd(o)) resolve();
  }));
  ex.launch({ jobId: 'sj', command: 'x', args: [], env, workDir: dir, stateDir, spoolFile });
  await done;
  assert.equal(merged(seen).map((o) => (o.type === 'output' ? o.data : o.type)), ['started', 'firstsecond', 'exited']);
  const b = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  const again = until(b, 'sj', isEnd);
  assert.is(await b.attach({ jobId: 'sj', stateDir, spoolFile, spoolOffset: SPOOL_START, started: true }), 'attached');
  assert.equal(merged(await again).map((o) => (o.type === 'output' ? o.data : o.type)), ['firstsecond', 'exited']);
});

test('attach with a spool file: no state files but the spool (a host restart emptied the tmpfs) is lost, not absent', async () => {
  const ex = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  const spoolFile = join(dir, 'disk', 'gone', 'output.spool');
  mkdirSync(join(dir, 'disk', 'gone'), { recursive: true });
  assert.is(await ex.attach({ jobId: 'g0', stateDir: freshState('wiped0'), spoolFile, spoolOffset: SPOOL_START, started: false }), 'absent');
  writeFileSync(spoolFile, 'JSPOOL1\n');
  const end = until(ex, 'g1', isEnd);
  assert.is(await ex.attach({ jobId: 'g1', stateDir: freshState('wiped1'), spoolFile, spoolOffset: SPOOL_START, started: false }), 'attached');
  const [lost] = await end;
  assert.is(lost.type, 'lost');
  assert.match(String(lost.reason), /no supervisor files in .*wiped1/);
});

test('attach with a spool file: a started job that printed nothing has no spool, and that is not corruption', async () => {
  const ex = createNativeExecutor({ launcherPath: join(dir, 'unused') });
  const stateDir = freshState('silent');
  writeFileSync(join(stateDir, 'supervisor.pid'), '999999999 1\n');
  writeFileSync(join(stateDir, 'status'), 'started 12\nexited 0\n');
  const end = until(ex, 'silent', isEnd);
  assert.is(await ex.attach({ jobId: 'silent', stateDir, spoolFile: join(dir, 'disk', 'never-made'), spoolOffset: SPOOL_START, started: true }), 'attached');
  assert.equal(await end, [{ type: 'exited', jobId: 'silent', exitCode: 0 }]);
  try {
    await ex.attach({ jobId: 'wrote', stateDir, spoolFile: join(dir, 'disk', 'never-made'), spoolOffset: SPOOL_START + 20, started: true });
    assert.unreachable('attached');
  } catch (err) {
    assert.match((err as Error).message, /never-made: missing, but the job wrote output up to spool offset 28/);
  }
});

test('a reused job id throws; running and signal follow the job', async () => {
  const ex = createNativeExecutor({ launcherPath: fakeLauncher('slow', `st 'started 9'; sleep 0.2; st 'started 9' 'exited 0'`) });
  const done = new Promise<void>((r) => ex.onObservation((o) => { if (o.type === 'exited') r(); }));
  ex.launch({ jobId: 'a', command: 'x', args: [], env, workDir: dir });
  assert.throws(() => ex.launch({ jobId: 'a', command: 'x', args: [], env, workDir: dir }), /launch a: a job with this id is still running/);
  assert.equal(ex.running(), ['a']);
  assert.is(ex.signal('nope', 'SIGTERM'), false);
  await done;
  assert.equal(ex.running(), []);
  assert.is(ex.signal('a', 'SIGTERM'), false);
  await ex.stop('a', 10); // a finished job: resolves at once
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
