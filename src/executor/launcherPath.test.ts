import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from './launcherPath.js';

test('finds build/Release/joblet-launcher under the nearest package root', () => {
  const root = mkdtempSync(join(tmpdir(), 'joblet-lp-'));
  try {
    writeFileSync(join(root, 'package.json'), '{}');
    const deep = join(root, 'dist', 'src', 'executor');
    mkdirSync(deep, { recursive: true });
    assert.is(defaultLauncherPath(deep), join(root, 'build', 'Release', 'joblet-launcher'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the default from this module points into this package', () => {
  // the test runner runs every file from the package root
  assert.is(defaultLauncherPath(), join(process.cwd(), 'build', 'Release', 'joblet-launcher'));
});

test.run();
