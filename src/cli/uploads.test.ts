// --upload on a real temp tree: relative paths, kept modes, and the symlink rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectUploads } from './uploads.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'rnx-upload-'));
  mkdirSync(join(root, 'data', 'sub'), { recursive: true });
  writeFileSync(join(root, 'data', 'a.txt'), 'alpha');
  chmodSync(join(root, 'data', 'a.txt'), 0o640);
  writeFileSync(join(root, 'data', 'sub', 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'data', 'sub', 'run.sh'), 0o755);
  chmodSync(join(root, 'data', 'sub'), 0o750);
  writeFileSync(join(root, 'secret.txt'), 'do not send');
  return root;
}

test('a directory is sent under its own name, recursively, with modes', async () => {
  const root = tree();
  try {
    symlinkSync('a.txt', join(root, 'data', 'again.txt'));
    let readBytes = 0;
    const plan = await collectUploads([{ flag: '--upload', path: './data/' }], root, (n) => { readBytes += n; });
    const got = plan.uploads.map((u) => [u.path, u.is_directory, (u.mode! & 0o777).toString(8), Buffer.from(u.content as Buffer).toString()]);
    assert.equal(got, [
      ['data', true, '755', ''],
      ['data/a.txt', false, '640', 'alpha'],
      ['data/again.txt', false, '640', 'alpha'],
      ['data/sub', true, '750', ''],
      ['data/sub/run.sh', false, '755', '#!/bin/sh\necho hi\n'],
    ]);
    assert.is(plan.files, 3);
    assert.is(plan.bytes, 5 + 5 + 18);
    assert.is(readBytes, plan.bytes);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file is sent by its base name', async () => {
  const root = tree();
  try {
    const plan = await collectUploads([{ flag: '--upload', path: join(root, 'data', 'sub', 'run.sh') }], '/');
    assert.equal(plan.uploads.map((u) => u.path), ['run.sh']);
    assert.is(plan.uploads[0].mode! & 0o777, 0o755);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a symlink leaving the uploaded tree is refused, naming link and target', async () => {
  const root = tree();
  try {
    symlinkSync(join(root, 'secret.txt'), join(root, 'data', 'sub', 'leak'));
    await collectUploads([{ flag: '--upload', path: 'data' }], root).then(
      () => assert.unreachable('uploaded a link to outside'),
      (e: Error) => assert.match(e.message, /^--upload .*data: symlink .*data\/sub\/leak points outside the uploaded tree \(.*secret\.txt\)/),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a symlink back to an enclosing directory is refused instead of looping', async () => {
  const root = tree();
  try {
    symlinkSync('..', join(root, 'data', 'sub', 'up'));
    await collectUploads([{ flag: '--upload-dir', path: 'data' }], root).then(
      () => assert.unreachable('followed a loop'),
      (e: Error) => assert.match(e.message, /^--upload-dir .*symlink .*up loops back/),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('missing paths and name clashes are errors', async () => {
  const root = tree();
  try {
    await collectUploads([{ flag: '--upload', path: 'nope' }], root).then(
      () => assert.unreachable(), (e: Error) => assert.is(e.message, '--upload nope: no such file or directory'));
    mkdirSync(join(root, 'other'));
    writeFileSync(join(root, 'other', 'a.txt'), 'x');
    await collectUploads([{ flag: '--upload', path: 'data/a.txt' }, { flag: '--upload', path: 'other/a.txt' }], root).then(
      () => assert.unreachable(), (e: Error) => assert.match(e.message, /both named a\.txt/));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
