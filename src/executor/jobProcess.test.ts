// The executor's ordering and status interpretation, driven by stand-in launchers (shell scripts
// that speak the status fd protocol), so it runs without root. The real launcher on the real
// kernel is covered by test/integration/launcher.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeExecutor } from './nativeExecutor.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-fake-launcher-'));
const env = { PATH: '/usr/bin:/bin' };

function fakeLauncher(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

type Seen = Record<string, unknown>;

/** Runs one job to its last observation; drops the times and turns output into strings. */
function run(launcherPath: string): Promise<Seen[]> {
  const ex = createNativeExecutor({ launcherPath });
  const seen: Seen[] = [];
  return new Promise((resolve) => {
    ex.onObservation((o) => {
      const { at, ...rest } = o;
      assert.type(at, 'number');
      seen.push(o.type === 'output' ? { ...rest, data: o.data.toString() } : rest);
      if (o.type === 'exited' || o.type === 'startFailed') resolve(seen);
    });
    ex.launch({ jobId: 'j', command: 'x', args: [], env, workDir: dir });
  });
}

test('output written before the started line is held back until after it', async () => {
  const seen = await run(fakeLauncher('early', `echo early; sleep 0.05; echo 'started 4242' >&3; sleep 0.05; echo late >&2; echo 'exited 0' >&3`));
  assert.equal(seen, [
    { type: 'started', jobId: 'j', pid: 4242 },
    { type: 'output', jobId: 'j', stream: 'stdout', data: 'early\n' },
    { type: 'output', jobId: 'j', stream: 'stderr', data: 'late\n' },
    { type: 'exited', jobId: 'j', exitCode: 0 },
  ]);
});

test('an error line gives startFailed alone, without the output', async () => {
  const seen = await run(fakeLauncher('err', `echo noise; echo 'error chdir /x: ENOENT (no such file or directory)' >&3; echo 'exited 127' >&3; exit 127`));
  assert.equal(seen, [{ type: 'startFailed', jobId: 'j', reason: 'chdir /x: ENOENT (no such file or directory)' }]);
});

test('a killed line becomes 128+n with the signal name', async () => {
  const seen = await run(fakeLauncher('killed', `echo 'started 7' >&3; echo 'killed 15' >&3; exit 143`));
  assert.equal(seen.at(-1), { type: 'exited', jobId: 'j', exitCode: 143, signal: 'SIGTERM' });
});

test('a launcher killed before its last line reports its own death', async () => {
  const seen = await run(fakeLauncher('selfkill', `echo 'started 7' >&3; kill -9 $$`));
  assert.equal(seen.at(-1), { type: 'exited', jobId: 'j', exitCode: 137, signal: 'SIGKILL' });
});

test('a launcher that exits without a word is a failed start', async () => {
  const seen = await run(fakeLauncher('mute', 'exit 0'));
  assert.equal(seen, [{ type: 'startFailed', jobId: 'j', reason: 'launcher exited with code 0 before the job started' }]);
});

test('garbage on the status fd is a failed start naming the line', async () => {
  const seen = await run(fakeLauncher('garbage', `echo 'hello there' >&3`));
  assert.is(seen.length, 1);
  assert.match(String(seen[0].reason), /launcher status line "hello there"/);
});

test('a missing launcher is a failed start that says how to build it', async () => {
  const seen = await run(join(dir, 'not-built'));
  assert.is(seen.length, 1);
  assert.match(String(seen[0].reason), /^spawn .*not-built: ENOENT \(build it with npx node-gyp rebuild\)$/);
});

test('a reused job id throws; running and signal follow the job', async () => {
  const ex = createNativeExecutor({ launcherPath: fakeLauncher('slow', `echo 'started 9' >&3; sleep 0.2; echo 'exited 0' >&3`) });
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
