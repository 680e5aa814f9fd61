import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { ensureCertificates, type EnsureCertificatesOptions } from './ensure-certificates.js';
import { CLIENT_ROLES } from './client-config.js';
import { createCa } from './pki.js';

const root = mkdtempSync(join(tmpdir(), 'joblet-certs-'));
let n = 0;
function fresh(over: Partial<EnsureCertificatesOptions> = {}): EnsureCertificatesOptions {
  const dir = join(root, String(n++));
  return { certsDir: join(dir, 'certs'), configDir: join(dir, 'config'), address: '0.0.0.0:50051', serverNames: [], nodeId: 'node-1', ...over };
}
const read = (p: string) => readFileSync(p, 'utf8');
const mode = (p: string) => statSync(p).mode & 0o777;

test('first start creates CA, server and per-role client certificates with the right modes', async () => {
  const opts = fresh({ serverNames: ['jobs.example.com', '10.1.1.1'] });
  const r = await ensureCertificates(opts);
  assert.ok(r.created);
  assert.equal(r.issued.map((s) => s.split(' ')[0]), ['ca', 'server', 'client-admin', 'client-maintainer', 'client-developer', 'client-reader']);
  assert.equal(readdirSync(opts.certsDir).sort(), [
    'ca-key.pem', 'ca.pem', 'client-admin-key.pem', 'client-admin.pem', 'client-developer-key.pem', 'client-developer.pem',
    'client-maintainer-key.pem', 'client-maintainer.pem', 'client-reader-key.pem', 'client-reader.pem', 'server-key.pem', 'server.pem',
  ]);
  for (const key of [r.caKeyFile, r.serverKeyFile, ...CLIENT_ROLES.map((role) => r.clients[role].keyFile)]) assert.is(mode(key), 0o600, key);
  const server = new X509Certificate(read(r.serverFile));
  for (const name of ['joblet', 'localhost', hostname(), 'jobs.example.com']) assert.is(server.checkHost(name, { subject: 'never' }), name);
  for (const ip of ['127.0.0.1', '::1', '10.1.1.1']) assert.is(server.checkIP(ip), ip);
  for (const role of CLIENT_ROLES) {
    const c = new X509Certificate(read(r.clients[role].certFile));
    assert.match(c.subject, new RegExp(`^CN=joblet-${role}$`, 'm'));
    assert.match(c.subject, new RegExp(`^OU=${role}$`, 'm'));
    assert.ok(c.verify(new X509Certificate(read(r.caFile)).publicKey));
  }
});

test('client configs are in rnx format with embedded PEMs, mode 0600, admin also as rnx-config.yml', async () => {
  const r = await ensureCertificates(fresh({ nodeId: 'abc-123', address: '0.0.0.0:6001' }));
  for (const role of CLIENT_ROLES) {
    const file = r.clientConfigs[role];
    assert.is(mode(file), 0o600);
    const doc = YAML.parse(read(file));
    assert.is(doc.version, '3.0');
    assert.equal(Object.keys(doc.nodes), ['default']);
    const node = doc.nodes.default;
    assert.equal({ address: node.address, nodeId: node.nodeId }, { address: '127.0.0.1:6001', nodeId: 'abc-123' });
    assert.is(node.cert, read(r.clients[role].certFile));
    assert.is(node.key, read(r.clients[role].keyFile));
    assert.is(node.ca, read(r.caFile));
  }
  assert.is(read(r.adminConfig), read(r.clientConfigs.admin));
  assert.is(mode(r.adminConfig), 0o600);
});

test('a second start reuses everything; a port change rewrites configs but issues nothing', async () => {
  const opts = fresh();
  const first = await ensureCertificates(opts);
  const before = read(first.serverFile) + read(first.clients.reader.certFile);
  const again = await ensureCertificates(opts);
  assert.not.ok(again.created);
  assert.equal(again.issued, []);
  assert.is(read(again.serverFile) + read(again.clients.reader.certFile), before);
  const moved = await ensureCertificates({ ...opts, address: '0.0.0.0:7777' });
  assert.equal(moved.issued, []);
  assert.is(YAML.parse(read(moved.clientConfigs.reader)).nodes.default.address, '127.0.0.1:7777');
});

test('only what is broken is re-issued', async () => {
  const opts = fresh();
  const r = await ensureCertificates(opts);
  const ca = read(r.caFile);
  const admin = read(r.clients.admin.certFile);
  unlinkSync(r.clients.reader.keyFile);
  const named = await ensureCertificates({ ...opts, serverNames: ['added.example.com'] });
  assert.equal(named.issued, ['server (does not cover added.example.com)', 'client-reader (missing)']);
  assert.is(read(r.caFile), ca);
  assert.is(read(r.clients.admin.certFile), admin);
  assert.is(YAML.parse(read(r.clientConfigs.reader)).nodes.default.cert, read(r.clients.reader.certFile));
});

test('a leaf from another CA or a CA whose key does not match forces re-issue', async () => {
  const opts = fresh();
  const r = await ensureCertificates(opts);
  const foreign = await createCa('foreign');
  writeFileSync(r.caFile, foreign.cert); // the CA key on disk no longer matches: everything is re-issued
  const again = await ensureCertificates(opts);
  assert.equal(again.issued[0], 'ca (key does not match the certificate)');
  assert.is(again.issued.length, 6);
  const ca = new X509Certificate(read(again.caFile));
  assert.ok(new X509Certificate(read(again.serverFile)).verify(ca.publicKey));
});

test('force re-issues everything with a new CA', async () => {
  const opts = fresh();
  const r = await ensureCertificates(opts);
  const oldCa = read(r.caFile);
  const forced = await ensureCertificates({ ...opts, force: true });
  assert.is(forced.issued.length, 6);
  assert.is.not(read(forced.caFile), oldCa);
  assert.not.ok(new X509Certificate(read(forced.clients.admin.certFile)).verify(new X509Certificate(oldCa).publicKey));
});

test('the result carries the PEMs the server needs, and can rewrite configs for the bound port', async () => {
  const r = await ensureCertificates(fresh({ address: '0.0.0.0:0' }));
  assert.is(r.caCert, read(r.caFile));
  assert.is(r.serverCert, read(r.serverFile));
  assert.is(r.serverKey, read(r.serverKeyFile));
  assert.is(YAML.parse(read(r.adminConfig)).nodes.default.address, '127.0.0.1:0');
  await r.writeClientConfigs('0.0.0.0:41234');
  for (const file of [r.adminConfig, ...CLIENT_ROLES.map((role) => r.clientConfigs[role])]) {
    assert.is(YAML.parse(read(file)).nodes.default.address, '127.0.0.1:41234', file);
  }
  assert.is(r.serverCert, read(r.serverFile), 'certificates untouched');
});

test('a specific listen address is dialled as is and added to the SANs', async () => {
  const r = await ensureCertificates(fresh({ address: '[::1]:6100' }));
  assert.is(YAML.parse(read(r.adminConfig)).nodes.default.address, '[::1]:6100');
  const h = await ensureCertificates(fresh({ address: 'jobs.internal:6200' }));
  assert.is(YAML.parse(read(h.adminConfig)).nodes.default.address, 'jobs.internal:6200');
  assert.is(new X509Certificate(read(h.serverFile)).checkHost('jobs.internal', { subject: 'never' }), 'jobs.internal');
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
