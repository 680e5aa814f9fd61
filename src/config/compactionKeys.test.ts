// storage.compactInterval / storage.compactEveryBytes: 0 turns compaction off, a too-short
// interval or a negative byte count is refused with the key path and the rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-config-compaction-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const load = (storage: string) => {
  const p = join(dir, 'c.yml');
  writeFileSync(p, `storage: { dataDir: /var/lib/jl, ${storage} }\n`);
  return loadConfig({ configPath: p });
};

test('defaults: every 30 s and after 8 MiB of output; 0 turns it off; durations are read', () => {
  const d = load('snapshotEvery: 5');
  // 8 MiB (was 64): it bounds the log's resident pages during a flood (decision 0025)
  assert.equal([d.storage.compactIntervalMs, d.storage.compactEveryBytes], [30_000, 8 * 1024 * 1024]);
  const off = load('compactInterval: 0, compactEveryBytes: 0');
  assert.equal([off.storage.compactIntervalMs, off.storage.compactEveryBytes], [0, 0]);
  assert.is(load('compactInterval: 5m').storage.compactIntervalMs, 300_000);
});

test('a sub-second interval and a negative byte count are refused, naming the key', () => {
  let problems: readonly string[] = [];
  try { load('compactInterval: 200ms, compactEveryBytes: -1'); } catch (e) { assert.instance(e, ConfigError); problems = (e as ConfigError).problems; }
  assert.equal(problems, [
    'config storage.compactInterval: must be 0 (off) or at least 1000ms (got "200ms")',
    'config storage.compactEveryBytes: must be an integer >= 0 (got -1)',
  ]);
});

test.run();
