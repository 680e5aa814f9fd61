import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { createCa, issueClientCert, issueServerCert } from './pki.js';
import { pairProblem } from './inspect.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

test('the CA is a self-signed CA certificate with a P-256 PKCS#8 key', async () => {
  const ca = await createCa('test-ca');
  const cert = new X509Certificate(ca.cert);
  assert.ok(cert.ca);
  assert.match(cert.subject, /CN=test-ca/);
  assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey));
  assert.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----/);
  assert.is(pairProblem(ca), null);
});

test('a server certificate carries every name as a SAN and is for server auth only', async () => {
  const ca = await createCa('test-ca');
  const s = await issueServerCert(ca, ['joblet', 'localhost', '127.0.0.1', '::1', 'node7.example.com', '10.9.8.7']);
  const cert = new X509Certificate(s.cert);
  assert.not.ok(cert.ca);
  assert.match(cert.subject, /CN=joblet/);
  assert.ok(cert.checkIssued(new X509Certificate(ca.cert)) && cert.verify(new X509Certificate(ca.cert).publicKey));
  for (const host of ['joblet', 'localhost', 'node7.example.com']) assert.is(cert.checkHost(host, { subject: 'never' }), host);
  for (const ip of ['127.0.0.1', '::1', '10.9.8.7']) assert.is(cert.checkIP(ip), ip);
  assert.is(cert.checkHost('other.example.com'), undefined);
  assert.equal(cert.keyUsage, [SERVER_AUTH]);
  assert.is(pairProblem(s, { ca: ca.cert, names: ['joblet', '::1'] }), null);
  assert.is(pairProblem(s, { ca: ca.cert, names: ['joblet', 'new.example.com'] }), 'does not cover new.example.com');
});

test('a client certificate has the role in OU, the CN, client auth, and only its CA verifies it', async () => {
  const ca = await createCa('test-ca');
  const foreign = await createCa('foreign-ca');
  const c = await issueClientCert(ca, { cn: 'joblet-developer', ou: 'developer' });
  const cert = new X509Certificate(c.cert);
  assert.match(cert.subject, /CN=joblet-developer/);
  assert.match(cert.subject, /OU=developer/);
  assert.equal(cert.keyUsage, [CLIENT_AUTH]);
  assert.is(pairProblem(c, { ca: ca.cert }), null);
  assert.is(pairProblem(c, { ca: foreign.cert }), 'not signed by the current CA');
});

test('pairProblem notices a key that belongs to another certificate', async () => {
  const ca = await createCa('test-ca');
  const a = await issueClientCert(ca, { cn: 'a', ou: 'reader' });
  const b = await issueClientCert(ca, { cn: 'b', ou: 'reader' });
  assert.is(pairProblem({ cert: a.cert, key: b.key }), 'key does not match the certificate');
  assert.is(pairProblem({ cert: 'junk', key: a.key }), 'certificate does not parse');
});

test('pairProblem asks for renewal within 30 days of expiry', async () => {
  const ca = await createCa('test-ca');
  const validTo = Date.parse(new X509Certificate(ca.cert).validTo);
  assert.is(pairProblem(ca, { now: validTo - 31 * 86_400_000 }), null);
  assert.match(pairProblem(ca, { now: validTo - 29 * 86_400_000 }) ?? '', /^expires /);
});

test('a CA key that is not ECDSA P-256 gives an error with the fix', async () => {
  const ca = await createCa('test-ca');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  try {
    await issueClientCert({ cert: ca.cert, key: rsa }, { cn: 'x', ou: 'reader' });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /^ca key: not an ECDSA P-256 PKCS#8 key .*run `joblet certs`/);
  }
});

test.run();
