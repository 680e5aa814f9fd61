import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeId } from './node-id.js';

const root = mkdtempSync(join(tmpdir(), 'joblet-nodeid-'));

test('creates a UUID once, mode 0644, and returns the same id afterwards', () => {
  const dataDir = join(root, 'a', 'data');
  const id = ensureNodeId(dataDir);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is(statSync(join(dataDir, 'node-id')).mode & 0o777, 0o644);
  assert.is(readFileSync(join(dataDir, 'node-id'), 'utf8'), `${id}\n`);
  assert.is(ensureNodeId(dataDir), id);
  assert.equal(readdirSync(dataDir), ['node-id'], 'no temp files are left behind');
});

test('an id written by hand is kept', () => {
  const dataDir = join(root, 'b');
  ensureNodeId(dataDir);
  writeFileSync(join(dataDir, 'node-id'), 'rack1-node7\n');
  assert.is(ensureNodeId(dataDir), 'rack1-node7');
});

test('a garbage node-id file is an error naming the file and the fix', () => {
  const dataDir = join(root, 'c');
  ensureNodeId(dataDir);
  writeFileSync(join(dataDir, 'node-id'), 'two words\n');
  assert.throws(() => ensureNodeId(dataDir), (e: Error) => e.message.includes(join(dataDir, 'node-id')) && e.message.includes('fix or delete the file'));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
