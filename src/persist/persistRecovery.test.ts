// Recovery against real files in a temp dir: what a SIGKILL can leave behind at each step, and
// the state it must come back to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recover } from './persistRecovery.js';
import { writeCheckpoint } from './persistCheckpoint.js';
import { LogProjection } from './logProjection.js';
import { decodeRecords } from './logRecord.js';

let dir: string;
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'joblet-persistrec-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

const out = (p: number, jobId: string, text: string) => ({ k: 'out' as const, p, jobId, at: 1000 + p, stream: 'stdout' as const, data: Buffer.from(text) });

test('a fresh dir gets a checkpoint at 0; a missing checkpoint beside job files is refused', () => {
  const r = recover(dir);
  assert.is(r.position, 0);
  assert.ok(existsSync(join(dir, 'checkpoint.json')));
  rmSync(join(dir, 'checkpoint.json'));
  mkdirSync(join(dir, 'job1'));
  writeFileSync(join(dir, 'job1', 'output.log'), 'x');
  assert.throws(() => recover(dir), /checkpoint\.json is missing but 1 job dirs exist/);
});

test('bytes past the checkpoint are cut, a job born after it is removed, an end after it is undone', async () => {
  const p = new LogProjection(dir, recover(dir), () => undefined);
  await p.apply([out(1, 'a', 'one\n'), out(2, 'b', 'two\n')], 2);
  p.checkpoint();
  // After the checkpoint: more output, a new job, and a's end (compression + done.json).
  await p.apply([out(3, 'a', 'three\n'), out(4, 'c', 'new\n'), { k: 'finished', p: 5, jobId: 'a', at: 5, status: 'COMPLETED', exitCode: 0 }], 5);
  assert.ok(existsSync(join(dir, 'a', 'output.log.gz')));
  p.abandon();  // a SIGKILL here: no checkpoint for 3..5
  const r = recover(dir);
  assert.is(r.position, 2);
  assert.equal([...r.open.keys()].sort(), ['a', 'b']);
  assert.not.ok(existsSync(join(dir, 'c')), 'the job born after the checkpoint is gone');
  assert.not.ok(existsSync(join(dir, 'a', 'output.log.gz')), 'the end after the checkpoint is undone');
  assert.not.ok(existsSync(join(dir, 'a', 'done.json')));
  assert.equal(decodeRecords(readFileSync(join(dir, 'a', 'output.log'))).map((x) => x.position), [1]);
  // Resent from position 3, the files end up as if nothing had happened.
  const q = new LogProjection(dir, r, () => undefined);
  await q.apply([out(3, 'a', 'three\n'), out(4, 'c', 'new\n'), { k: 'finished', p: 5, jobId: 'a', at: 5, status: 'COMPLETED', exitCode: 0 }], 5);
  q.checkpoint();
  assert.not.ok(existsSync(join(dir, 'a', 'output.log')), 'the raw log goes once the checkpoint covers the end');
  const r2 = recover(dir);
  assert.equal([...r2.closed.keys()], ['a']);
  assert.equal([...r2.open.keys()].sort(), ['b', 'c']);
});

test('removals announced by the checkpoint are carried out at recovery', () => {
  recover(dir);
  for (const j of ['gone', 'ended']) mkdirSync(join(dir, j));
  writeFileSync(join(dir, 'gone', 'output.log.gz'), 'x');
  writeFileSync(join(dir, 'ended', 'output.log'), 'raw');
  writeFileSync(join(dir, 'ended', 'output.log.gz'), 'gz');
  writeFileSync(join(dir, 'ended', 'done.json'), JSON.stringify({ jobId: 'ended', finishedPosition: 7, endedAt: 1 }));
  writeCheckpoint(dir, { version: 1, position: 9, open: {}, removeDirs: ['gone'], removeRaw: ['ended'] });
  const r = recover(dir);
  assert.not.ok(existsSync(join(dir, 'gone')));
  assert.not.ok(existsSync(join(dir, 'ended', 'output.log')));
  assert.is(r.closed.get('ended')?.bytes, statSync(join(dir, 'ended', 'output.log.gz')).size + statSync(join(dir, 'ended', 'done.json')).size);
});

test.run();
