// joblet.metricsInterval: a duration, 0 = only the exit sample, otherwise at least 100 ms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'metrics-interval-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function load(value: string) {
  const path = join(dir, 'c.yml');
  writeFileSync(path, `joblet:\n  metricsInterval: ${value}\n`);
  return loadConfig({ configPath: path, searchPaths: [] });
}

test('default 5s; a duration in ms; 0 turns periodic samples off', () => {
  assert.is(loadConfig({ searchPaths: [] }).joblet.metricsIntervalMs, 5000);
  assert.is(load('1s').joblet.metricsIntervalMs, 1000);
  assert.is(load('250ms').joblet.metricsIntervalMs, 250);
  assert.is(load('0').joblet.metricsIntervalMs, 0);
});

test('below 100ms or not a duration: refused naming the key and the rule', () => {
  for (const [value, rule] of [['50ms', /must be 0 \(off\) or at least 100ms/], ['often', /duration/]] as const) {
    try {
      load(value);
      assert.unreachable(`${value} was accepted`);
    } catch (e) {
      assert.instance(e, ConfigError);
      const p = (e as ConfigError).problems.join('\n');
      assert.match(p, /joblet\.metricsInterval/);
      assert.match(p, rule);
    }
  }
});

test.run();
