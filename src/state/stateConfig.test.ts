// The `state` section of the daemon config: defaults, nested mappings, Joblet's keys accepted and
// reported, and every bad value named with its path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../config/index.js';

function load(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-statecfg-'));
  try {
    writeFileSync(join(dir, 'c.yml'), yaml);
    return loadConfig({ configPath: join(dir, 'c.yml'), searchPaths: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problems(yaml: string): string[] {
  try { load(yaml); } catch (e) { if (e instanceof ConfigError) return [...e.problems]; throw e; }
  return [];
}

test('defaults: memory, batched, redis and dynamodb settings filled in', () => {
  const c = load('');
  assert.is(c.state.backend, 'memory');
  assert.is(c.state.batchSize, 500);
  assert.is(c.state.batchDelayMs, 20);
  assert.is(c.state.retryMaxMs, 10_000);
  assert.is(c.state.syncOnStart, true);
  assert.equal(c.state.redis, { url: 'redis://127.0.0.1:6379', keyPrefix: 'joblet:', cluster: [], options: {} });
  assert.equal(c.state.dynamodb, { tableName: 'joblet-jobs', region: 'us-east-1', endpoint: '', ttlMs: 0, createTable: false });
});

test('nested values, Sentinel options passed through, Joblet keys reported as ignored', () => {
  const c = load([
    'state:', '  backend: REDIS', '  batchDelay: 50ms', '  socket: /opt/joblet/run/state-ipc.sock',
    '  redis:', '    url: redis://10.0.0.1:6379/2', '    options:', '      sentinels: [{ host: s1, port: 26379 }]', '      name: mymaster',
    '  dynamodb:', '    ttl: 30d', '    createTable: true',
  ].join('\n'));
  assert.is(c.state.backend, 'redis');
  assert.is(c.state.batchDelayMs, 50);
  assert.equal(c.state.redis.options, { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster' });
  assert.is(c.state.dynamodb.ttlMs, 30 * 86_400_000);
  assert.is(c.state.dynamodb.createTable, true);
  assert.ok(c.ignoredKeys.includes('state.socket'));
});

test('bad values name the key and the rule', () => {
  assert.equal(problems('state:\n  backend: etcd\n'), ['config state.backend: must be one of memory, local, redis, dynamodb (got "etcd")']);
  assert.match(problems('state:\n  redis:\n    url: http://x\n')[0], /^config state\.redis: url: must be a redis:\/\/ or rediss:\/\/ URL/);
  assert.match(problems('state:\n  dynamodb:\n    tableNme: x\n')[0], /^config state\.dynamodb: tableNme: unknown key \(known: tableName/);
  assert.match(problems('state:\n  dynamodb:\n    createTable: "yes"\n')[0], /createTable: must be true or false/);
  assert.match(problems('state:\n  redis:\n    cluster: [nohost]\n')[0], /cluster: must be a list of "host:port"/);
  assert.match(problems('state:\n  batchSize: 0\n')[0], /^config state\.batchSize: must be an integer from 1 to 10000/);
});

test.run();
