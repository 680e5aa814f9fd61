import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeOverFromPredecessor } from './predecessor.js';

let dir: string;
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'joblet-pred-')); });
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('a predecessor that lingers is waited for, then killed; our pid is recorded', async () => {
  // A stand-in whose command line names persistChild and which ignores the channel closing.
  const stale = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'persistChild'], { stdio: 'ignore' });
  const exited = new Promise((r) => stale.once('exit', (_c, signal) => r(signal)));
  writeFileSync(join(dir, 'persist.pid'), `${stale.pid}\n`);
  await takeOverFromPredecessor(dir);
  assert.is(await exited, 'SIGKILL');
  assert.is(readFileSync(join(dir, 'persist.pid'), 'utf8'), `${process.pid}\n`);
});

test('a recorded pid that is another program (or gone) is left alone', async () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'persist.pid'), `${other.pid}\n`);
  await takeOverFromPredecessor(dir);
  assert.is(other.exitCode, null);
  assert.is(other.signalCode, null);
  other.kill('SIGKILL');
});

test.run();
