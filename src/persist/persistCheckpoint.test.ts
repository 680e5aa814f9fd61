// The persist checkpoint's two slots, on real files: written in place by turns (no inode freed),
// a torn slot falls back to the other, an older daemon's plain checkpoint.json still reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_SLOTS, readCheckpoint, writeCheckpoint, type PersistCheckpoint } from './persistCheckpoint.js';

let dir: string;
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'joblet-checkpoint-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

const at = (position: number): PersistCheckpoint => ({ version: 1, position, open: { job: { log: position * 10, metrics: position } }, removeDirs: [], removeRaw: [] });
const slot = (i: number) => join(dir, CHECKPOINT_SLOTS[i]);
const inode = (file: string) => statSync(file).ino;

test('writes alternate between two slot files written in place; the newest whole one is read', () => {
  assert.is(readCheckpoint(dir), undefined, 'none yet');
  writeCheckpoint(dir, at(1));
  writeCheckpoint(dir, at(2));
  const inodes = [inode(slot(0)), inode(slot(1))];
  for (let p = 3; p <= 20; p++) {
    writeCheckpoint(dir, at(p));
    assert.equal(readCheckpoint(dir), at(p));
  }
  assert.equal([inode(slot(0)), inode(slot(1))], inodes, 'the same two files all along: no inode made or freed');
  assert.match(readFileSync(slot(0), 'latin1'), /^JCP1 19 /, 'odd writes in the first slot');
  assert.match(readFileSync(slot(1), 'latin1'), /^JCP1 20 /, 'even ones in the second');
});

test('a slot torn by a crash mid-write: the other slot holds the checkpoint, and the next write goes to the torn one', () => {
  writeCheckpoint(dir, at(1));
  writeCheckpoint(dir, at(2));
  writeCheckpoint(dir, at(3));  // slot 0 holds 3, slot 1 holds 2
  const whole = readFileSync(slot(0));
  writeFileSync(slot(0), Buffer.concat([whole.subarray(0, whole.length - 5), Buffer.from('}}}}}')]));  // same length, other bytes
  assert.equal(readCheckpoint(dir), at(2), 'its sha256 no longer matches: the previous checkpoint stands');
  writeFileSync(slot(0), whole.subarray(0, 30));  // cut short
  assert.equal(readCheckpoint(dir), at(2));
  writeCheckpoint(dir, at(4));
  assert.equal(readCheckpoint(dir), at(4));
  assert.match(readFileSync(slot(0), 'latin1'), /^JCP1 3 /, 'written over the torn slot, not over the whole one');
});

test('both slots torn is refused, naming each file; a first write cut short is no checkpoint yet', () => {
  writeFileSync(slot(0), 'JCP1 1 10 00');
  assert.is(readCheckpoint(dir), undefined, 'the only slot never became whole: as if none');
  writeFileSync(slot(1), 'garbage');
  assert.throws(() => readCheckpoint(dir), (err: Error) => err.message.includes(slot(0)) && err.message.includes(slot(1)) && err.message.includes('move the logs dir aside'));
});

test("an older daemon's plain checkpoint.json is read, and kept until a newer checkpoint is whole in the other slot", () => {
  writeFileSync(slot(0), JSON.stringify(at(7)));
  assert.equal(readCheckpoint(dir), at(7));
  writeCheckpoint(dir, at(8));
  assert.equal(JSON.parse(readFileSync(slot(0), 'utf8')), at(7), 'the old file is untouched by the first write');
  assert.equal(readCheckpoint(dir), at(8));
  writeCheckpoint(dir, at(9));
  assert.match(readFileSync(slot(0), 'latin1'), /^JCP1 2 /);
  assert.equal(readCheckpoint(dir), at(9));
});

test('a checkpoint of an unexpected shape is refused, naming the file', () => {
  writeFileSync(slot(0), JSON.stringify({ version: 2, position: 1 }));
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: unexpected shape \(version 2\)/);
});

test.run();
