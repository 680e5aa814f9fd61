import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseListen } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-config-'));
const none = [join(dir, 'absent.yml')];
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('no file anywhere gives the built-in defaults', () => {
  const c = loadConfig({ searchPaths: none });
  assert.is(c.source, null);
  assert.equal(c.server, { address: '0.0.0.0', port: 50051, nodeId: '' });
  assert.equal(c.joblet, { maxConcurrentJobs: 100, jobTimeoutMs: 0, stopGracePeriodMs: 100, maxUploadBytes: 64 * 1024 * 1024, maxCpuPercent: 10000, maxOutputBytes: 1024 * 1024 * 1024, metricsIntervalMs: 5000, outputBatchMs: 20 });
  assert.equal(c.storage, { dataDir: '/opt/joblet', snapshotEvery: 10000, compactIntervalMs: 30_000, compactEveryBytes: 8 * 1024 * 1024 });
  assert.equal(c.security, { certsDir: '/opt/joblet/certs', serverNames: [] });
  assert.is(c.logging.level, 'info');
  assert.equal(c.ignoredKeys, []);
});

test('the first search path that exists is used', () => {
  const p = file('found.yml', 'server:\n  port: 6000\n');
  const c = loadConfig({ searchPaths: [...none, p] });
  assert.is(c.source, p);
  assert.is(c.server.port, 6000);
});

test('values from the file, with durations in ms and certsDir derived from dataDir', () => {
  const p = file('full.yml', [
    'version: "3.0"',
    'server: { address: 127.0.0.1, port: 7000, nodeId: node-a }',
    'joblet: { maxConcurrentJobs: 0, jobTimeout: 1h30m, stopGracePeriod: 2s, maxUploadBytes: 1024, maxCpuPercent: 400 }',
    'security: { serverNames: [joblet.example.com, 10.1.2.3] }',
    'logging: { level: DEBUG }',
    'storage: { dataDir: /var/lib/jl, snapshotEvery: 5 }',
  ].join('\n'));
  const c = loadConfig({ configPath: p });
  assert.equal(c.server, { address: '127.0.0.1', port: 7000, nodeId: 'node-a' });
  assert.equal(c.joblet, { maxConcurrentJobs: 0, jobTimeoutMs: 5_400_000, stopGracePeriodMs: 2000, maxUploadBytes: 1024, maxCpuPercent: 400, maxOutputBytes: 1024 * 1024 * 1024, metricsIntervalMs: 5000, outputBatchMs: 20 });
  assert.equal(c.security, { certsDir: '/var/lib/jl/certs', serverNames: ['joblet.example.com', '10.1.2.3'] });
  assert.is(c.logging.level, 'debug');
});

test('the result is frozen all the way down', () => {
  const c = loadConfig({ searchPaths: none });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.server) && Object.isFrozen(c.security.serverNames));
  assert.throws(() => {
    (c.server as { port: number }).port = 1;
  });
});

test('every problem is listed, each with its key path and rule', () => {
  const p = file('bad.yml', [
    'server: { prot: 1, port: 70000 }',
    'joblet: { maxConcurrentJobs: x, jobTimeout: soon }',
    'logging: { level: loud }',
    'storage: { dataDir: relative/dir }',
    'extras: {}',
  ].join('\n'));
  const problems = problemsOf(() => loadConfig({ configPath: p }));
  assert.equal(problems, [
    'config server.port: must be an integer from 0 to 65535 (got 70000)',
    'config server.prot: unknown key (known: address, port, nodeId)',
    'config joblet.maxConcurrentJobs: must be an integer >= 0 (got "x")',
    'config joblet.jobTimeout: must be a duration such as 30s, 5m or 1h30m (got "soon")',
    'config logging.level: must be one of trace, debug, info, warn, error, fatal (got "loud")',
    'config storage.dataDir: must be an absolute path (got "relative/dir")',
    'config extras: unknown section (known: version, server, joblet, security, logging, storage, isolation, state, persist)',
  ]);
  assert.throws(() => loadConfig({ configPath: p }), (e: Error) => e.message.includes(`(file ${p})`));
});

test("an existing Joblet joblet-config.yml loads; Joblet-only keys are reported, not fatal", () => {
  const p = file('joblet.yml', [
    'version: "3.0"',
    'server: { address: "0.0.0.0", port: 50051, mode: "server", timeout: "10s", minTlsVersion: "1.3" }',
    'joblet: { defaultCpuLimit: 50, maxConcurrentJobs: 5, jobTimeout: "30m", cleanupTimeout: "2s", validateCommands: true }',
    'cgroup: { baseDir: "/sys/fs/cgroup/joblet.slice/joblet.service" }',
    'grpc: { maxRecvMsgSize: 262144 }',
    'logging: { level: "INFO", format: "text", output: "stdout" }',
  ].join('\n'));
  const c = loadConfig({ configPath: p });
  assert.is(c.joblet.maxConcurrentJobs, 5);
  assert.is(c.joblet.jobTimeoutMs, 30 * 60_000);
  assert.equal([...c.ignoredKeys].sort(), ['cgroup', 'grpc', 'joblet.cleanupTimeout', 'joblet.defaultCpuLimit', 'joblet.validateCommands', 'logging.format', 'logging.output', 'server.minTlsVersion', 'server.mode', 'server.timeout']);
});

test('an explicit path that does not exist is an error; a missing default path is not', () => {
  const missing = join(dir, 'nope.yml');
  assert.equal(problemsOf(() => loadConfig({ configPath: missing })), [`config file ${missing}: no such file (check --config)`]);
});

test('bad YAML, duplicate keys and a non-mapping top level are reported', () => {
  assert.match(problemsOf(() => loadConfig({ configPath: file('y1.yml', 'server: [\n') }))[0], /^config: not valid YAML/);
  assert.match(problemsOf(() => loadConfig({ configPath: file('y2.yml', 'server: {port: 1}\nserver: {port: 2}\n') }))[0], /not valid YAML.*unique/i);
  assert.equal(problemsOf(() => loadConfig({ configPath: file('y3.yml', '- a\n') })), ['config: the top level must be a mapping of sections (got ["a"])']);
  assert.equal(problemsOf(() => loadConfig({ configPath: file('y4.yml', 'server: 5\n') })), ['config server: must be a mapping of keys (got 5)']);
});

test('an empty file and an empty section mean defaults', () => {
  assert.is(loadConfig({ configPath: file('empty.yml', '') }).server.port, 50051);
  assert.is(loadConfig({ configPath: file('emptysec.yml', 'server:\n') }).server.port, 50051);
});

test('--listen and --data-dir override the file', () => {
  const p = file('ovr.yml', 'server: { address: 10.0.0.1, port: 1 }\nstorage: { dataDir: /srv/a }\n');
  const c = loadConfig({ configPath: p, overrides: { listen: '127.0.0.1:9000', dataDir: 'rel/data' } });
  assert.equal(c.server, { address: '127.0.0.1', port: 9000, nodeId: '' });
  assert.is(c.storage.dataDir, join(process.cwd(), 'rel/data'));
  assert.is(c.security.certsDir, join(process.cwd(), 'rel/data/certs'));
  const portOnly = loadConfig({ configPath: p, overrides: { listen: ':9001' } });
  assert.equal([portOnly.server.address, portOnly.server.port], ['10.0.0.1', 9001]);
  assert.equal(problemsOf(() => loadConfig({ configPath: p, overrides: { listen: 'nowhere' } })), [
    '--listen: must be HOST:PORT such as 0.0.0.0:50051, [::]:50051 or :50051 (got "nowhere")',
  ]);
});

test('parseListen understands IPv6 brackets and refuses bad ports', () => {
  assert.equal(parseListen('[::]:50051'), { host: '::', port: 50051 });
  assert.equal(parseListen('localhost:1'), { host: 'localhost', port: 1 });
  assert.ok('problem' in parseListen('1.2.3.4:65536'));
  assert.ok('problem' in parseListen('::1:50051'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
