// The `persist:` config section: its defaults, values from a file, and bad values refused with
// the key and the rule (through the same loader the daemon uses).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-persistcfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const load = (yaml: string) => {
  const p = join(dir, 'c.yml');
  writeFileSync(p, yaml);
  return loadConfig({ configPath: p });
};

test('defaults: 7 days, 10 GiB', () => {
  const c = loadConfig({ searchPaths: [join(dir, 'absent.yml')] });
  assert.equal(c.persist, { retentionMs: 7 * 24 * 3600_000, maxTotalBytes: 10 * 1024 ** 3 });
});

test('values from the file; 0 turns a limit off', () => {
  assert.equal(load('persist:\n  retention: 36h\n  maxTotalBytes: 0\n').persist, { retentionMs: 36 * 3600_000, maxTotalBytes: 0 });
});

test('bad values name the key and the rule', () => {
  try {
    load('persist:\n  retention: 3\n  maxTotalBytes: -1\n  dir: /x\n');
    assert.unreachable('a ConfigError');
  } catch (e) {
    assert.instance(e, ConfigError);
    const problems = (e as ConfigError).problems.join('\n');
    assert.match(problems, /config persist\.retention: must be a duration such as 30s, 5m or 1h30m \(got 3\)/);
    assert.match(problems, /config persist\.maxTotalBytes: must be an integer >= 0 \(got -1\)/);
    assert.match(problems, /config persist\.dir: unknown key \(known: retention, maxTotalBytes\)/);
  }
});

test.run();
