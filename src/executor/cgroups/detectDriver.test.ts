// Which driver each host layout gets, on fixtures of the three layouts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupDriver } from './detectDriver.js';
import { makeV1Fixture, makeV2Fixture } from './testing/fixtureHierarchy.js';

test('pure v2: cgroup.controllers at the mount root', () => {
  const fx = makeV2Fixture();
  try {
    const d = detectCgroupDriver({ mountRoot: fx.mountRoot });
    assert.is(d.version, 'v2');
    assert.is(d.root, join(fx.mountRoot, 'joblet'));
    assert.is(d.detectedFacts().hybrid, false);
    assert.match(d.describe(), /^cgroup v2 at .*controllers cpu,cpuset,io,memory,pids; kill via cgroup\.kill/);
  } finally { fx.cleanup(); }
});

test('hybrid: v1 controllers beside an empty unified mount pick v1 and say hybrid', () => {
  const fx = makeV1Fixture();
  try {
    const unified = join(fx.mountRoot, 'unified');
    makeV2FixtureAt(unified);
    const d = detectCgroupDriver({ mountRoot: fx.mountRoot, parent: 'jl' });
    assert.is(d.version, 'v1');
    assert.is(d.root, join(fx.mountRoot, 'memory', 'jl'));
    assert.is(d.detectedFacts().hybrid, true);
    assert.match(d.describe(), /hybrid host/);
  } finally { fx.cleanup(); }
});

test('only a unified mount: v2 there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-cgu-'));
  try {
    makeV2FixtureAt(join(dir, 'unified'));
    const d = detectCgroupDriver({ mountRoot: dir });
    assert.is(d.version, 'v2');
    assert.is(d.root, join(dir, 'unified', 'joblet'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('nothing mounted: an error naming the mount to make', () => {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-cg0-'));
  try {
    assert.throws(() => detectCgroupDriver({ mountRoot: dir }), /no cgroup v2 mount and no v1 controllers \(mount one: mount -t cgroup2 none/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

/** An empty cgroup2 mount, as the unified mount of a hybrid host looks. */
function makeV2FixtureAt(path: string) {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'cgroup.controllers'), '\n');
  writeFileSync(join(path, 'cgroup.subtree_control'), '');
}

test.run();
