import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseForRemoval } from './retention.js';

const jobs = [
  { jobId: 'c', endedAt: 3000, bytes: 100 },
  { jobId: 'a', endedAt: 1000, bytes: 100 },
  { jobId: 'b', endedAt: 2000, bytes: 100 },
];

test('nothing when both limits are off or met', () => {
  assert.equal(chooseForRemoval(jobs, 0, { retentionMs: 0, maxTotalBytes: 0 }, 1e9), []);
  assert.equal(chooseForRemoval(jobs, 0, { retentionMs: 10_000, maxTotalBytes: 300 }, 5000), []);
});

test('by size: oldest first until the total (running jobs included) fits', () => {
  assert.equal(chooseForRemoval(jobs, 0, { retentionMs: 0, maxTotalBytes: 250 }, 0), ['a']);
  assert.equal(chooseForRemoval(jobs, 60, { retentionMs: 0, maxTotalBytes: 250 }, 0), ["a", "b"]);
  // Running jobs alone above the cap: every finished job goes, and nothing more can.
  assert.equal(chooseForRemoval(jobs, 1000, { retentionMs: 0, maxTotalBytes: 250 }, 0), ['a', 'b', 'c']);
});

test('by age: every job that ended longer ago than the retention', () => {
  assert.equal(chooseForRemoval(jobs, 0, { retentionMs: 1500, maxTotalBytes: 0 }, 3600), ['a', 'b']);
  assert.equal(chooseForRemoval(jobs, 0, { retentionMs: 1500, maxTotalBytes: 0 }, 3400), ['a']);
});

test.run();
