// Config search order and default-node rules, on real files in temp dirs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigPath, loadConfig, parseConfig, selectNode, type SearchPlaces } from './config.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';

function yamlFor(nodes: Record<string, { address: string; isDefault?: boolean }>): string {
  const body = Object.entries(nodes).map(([name, n]) =>
    `  ${name}:\n    address: "${n.address}"\n${n.isDefault ? '    isDefault: true\n' : ''}    cert: |\n      ${PEM.trim().split('\n').join('\n      ')}\n    key: |\n      ${KEY.trim().split('\n').join('\n      ')}\n    ca: |\n      ${PEM.trim().split('\n').join('\n      ')}\n`).join('');
  return `version: "3.0"\nnodes:\n${body}`;
}

function places(root: string, env: NodeJS.ProcessEnv = {}, explicit?: string): SearchPlaces {
  return { explicit, env, cwd: join(root, 'cwd'), home: join(root, 'home'), systemPaths: [join(root, 'etc.yml'), join(root, 'opt.yml')] };
}

test('search order: --config, $RNX_CONFIG, ./, ./config/, ~/.rnx/, then the system paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'rnx-config-'));
  try {
    const files = [join(root, 'opt.yml'), join(root, 'etc.yml'), join(root, 'home', '.rnx', 'rnx-config.yml'),
      join(root, 'cwd', 'config', 'rnx-config.yml'), join(root, 'cwd', 'rnx-config.yml'), join(root, 'env.yml')];
    for (const f of files) {
      mkdirSync(join(f, '..'), { recursive: true });
      writeFileSync(f, yamlFor({ default: { address: 'h:1' } }));
      const env = f.endsWith('env.yml') ? { RNX_CONFIG: f } : {};
      assert.is(findConfigPath(places(root, env)), f, `with files up to ${f}`);
    }
    assert.is(findConfigPath(places(root, { RNX_CONFIG: join(root, 'env.yml') }, '../opt.yml')), join(root, 'opt.yml'), '--config beats all, relative to cwd');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a named config that does not exist is an error, not a fall-through', () => {
  const root = mkdtempSync(join(tmpdir(), 'rnx-config-'));
  try {
    mkdirSync(join(root, 'cwd'));
    writeFileSync(join(root, 'cwd', 'rnx-config.yml'), yamlFor({ default: { address: 'h:1' } }));
    assert.throws(() => findConfigPath(places(root, {}, 'nope.yml')), /^--config .*nope\.yml: no such file/);
    assert.throws(() => findConfigPath(places(root, { RNX_CONFIG: '/nonexistent/x.yml' })), /^\$RNX_CONFIG \/nonexistent\/x\.yml: no such file/);
    rmSync(join(root, 'cwd', 'rnx-config.yml'));
    assert.throws(() => findConfigPath(places(root)), /no rnx-config\.yml found .*pass --config PATH or set RNX_CONFIG/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadConfig reads nodes with their PEMs', () => {
  const root = mkdtempSync(join(tmpdir(), 'rnx-config-'));
  try {
    const f = join(root, 'c.yml');
    writeFileSync(f, yamlFor({ a: { address: '127.0.0.1:50051' }, b: { address: 'joblet:443', isDefault: true } }));
    const c = loadConfig(f);
    assert.equal(c.nodes.map((n) => [n.name, n.address, n.isDefault]), [['a', '127.0.0.1:50051', false], ['b', 'joblet:443', true]]);
    assert.is(c.nodes[0].key, KEY);
    assert.throws(() => loadConfig(join(root, 'missing.yml')), /missing\.yml: cannot read: ENOENT/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('invalid configs name the file and the field', () => {
  assert.throws(() => parseConfig('nodes: [', 'x.yml'), /^x\.yml: not valid YAML/);
  assert.throws(() => parseConfig('version: "3.0"\n', 'x.yml'), /^x\.yml: no nodes/);
  assert.throws(() => parseConfig('version: "2.0"\nnodes: {a: {}}', 'x.yml'), /unsupported version "2\.0"/);
  assert.throws(() => parseConfig('nodes: {a: {address: nohost}}', 'x.yml'), /nodes\.a\.address must be host:port/);
  assert.throws(() => parseConfig(`nodes: {a: {address: "h:1", cert: "x", key: "x", ca: "x"}}`, 'x.yml'), /nodes\.a\.cert must be PEM/);
  assert.is(parseConfig(yamlFor({ a: { address: 'h:1' } }).replace('"3.0"', '3.0'), 'x.yml').nodes.length, 1, 'unquoted 3.0 is fine');
});

test('default node: isDefault, else "default", else the only one; --node picks by name', () => {
  const cfg = (nodes: Record<string, { address: string; isDefault?: boolean }>) => parseConfig(yamlFor(nodes), 'c.yml');
  assert.is(selectNode(cfg({ default: { address: 'h:1' }, b: { address: 'h:2', isDefault: true } })).name, 'b');
  assert.is(selectNode(cfg({ a: { address: 'h:1' }, default: { address: 'h:2' } })).name, 'default');
  assert.is(selectNode(cfg({ only: { address: 'h:1' } })).name, 'only');
  assert.is(selectNode(cfg({ a: { address: 'h:1' }, b: { address: 'h:2', isDefault: true } }), 'a').name, 'a');
  assert.throws(() => selectNode(cfg({ a: { address: 'h:1' }, b: { address: 'h:2' } })), /none is the default; pass --node NAME \(one of a, b\)/);
  assert.throws(() => selectNode(cfg({ a: { address: 'h:1' } }), 'zz'), /^--node zz: no such node in c\.yml \(nodes: a\)/);
});

test.run();
