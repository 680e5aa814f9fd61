// Durations under joblet: metricsInterval (0 = only the exit sample, otherwise at least 100 ms)
// and outputBatch (0 = off, at most 1s: a supervisor rests its output pipes this long).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-durations-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function load(key: string, value: string) {
  const path = join(dir, 'c.yml');
  writeFileSync(path, `joblet:\n  ${key}: ${value}\n`);
  return loadConfig({ configPath: path, searchPaths: [] });
}

function refused(key: string, value: string, rule: RegExp): void {
  try {
    load(key, value);
    assert.unreachable(`${key}: ${value} was accepted`);
  } catch (e) {
    assert.instance(e, ConfigError);
    const p = (e as ConfigError).problems.join('\n');
    assert.match(p, new RegExp(`joblet\\.${key}`));
    assert.match(p, rule);
  }
}

test('metricsInterval: default 5s; a duration in ms; 0 turns periodic samples off', () => {
  assert.is(loadConfig({ searchPaths: [] }).joblet.metricsIntervalMs, 5000);
  assert.is(load('metricsInterval', '1s').joblet.metricsIntervalMs, 1000);
  assert.is(load('metricsInterval', '250ms').joblet.metricsIntervalMs, 250);
  assert.is(load('metricsInterval', '0').joblet.metricsIntervalMs, 0);
});

test('metricsInterval below 100ms or not a duration: refused naming the key and the rule', () => {
  refused('metricsInterval', '50ms', /must be 0 \(off\) or at least 100ms/);
  refused('metricsInterval', 'often', /duration/);
});

test('outputBatch: default 20ms; 0 turns it off; over 1s or not a duration refused naming the key and the rule', () => {
  assert.is(loadConfig({ searchPaths: [] }).joblet.outputBatchMs, 20);
  assert.is(load('outputBatch', '50ms').joblet.outputBatchMs, 50);
  assert.is(load('outputBatch', '0').joblet.outputBatchMs, 0);
  refused('outputBatch', '2s', /must be at most 1000ms/);
  refused('outputBatch', 'soon', /duration/);
});

test.run();
