// A tiny private CA: one self-signed root that signs the server certificate and one client
// certificate per role. ECDSA P-256 keys: 0.4 ms to generate on this VM (RSA-2048: ~200 ms), and
// every client we must serve accepts them (Go crypto/tls, grpc-js/OpenSSL, Python grpcio).
// Keys are written as PKCS#8 ("BEGIN PRIVATE KEY"), which Go's tls.X509KeyPair and OpenSSL both read.
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API at
// load time; the polyfill must be evaluated before the library, hence this first import.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
// Backdate so a client whose clock is a few minutes behind still accepts a fresh certificate.
const SKEW = 5 * 60_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 1825;

/** A certificate and its private key, both PEM. */
export interface CertPem {
  cert: string;
  key: string;
}

export async function createCa(cn: string): Promise<CertPem> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [cn] }, { O: ['joblet'] }],
    keys,
    signingAlgorithm: SIGN_ALG,
    ...validity(CA_DAYS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

/** A server certificate; each name becomes a DNS or IP SAN, the first one is also the CN. */
export async function issueServerCert(ca: CertPem, names: readonly string[]): Promise<CertPem> {
  if (names.length === 0) throw new Error('server certificate: needs at least one name for its SANs');
  const sans = [...new Set(names)].map((n) => ({ type: isIP(n) ? 'ip' : 'dns', value: n }) as x509.JsonGeneralName);
  return issue(ca, [{ CN: [names[0]] }, { O: ['joblet'] }], x509.ExtendedKeyUsage.serverAuth, [new x509.SubjectAlternativeNameExtension(sans)]);
}

/** A client certificate; the server reads the caller's role from `ou`. */
export async function issueClientCert(ca: CertPem, subject: { cn: string; ou: string }): Promise<CertPem> {
  return issue(ca, [{ CN: [subject.cn] }, { OU: [subject.ou] }, { O: ['joblet'] }], x509.ExtendedKeyUsage.clientAuth, []);
}

async function issue(ca: CertPem, subject: x509.JsonName, usage: x509.ExtendedKeyUsage, extra: x509.Extension[]): Promise<CertPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importCaKey(ca.key);
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGN_ALG,
    ...validity(LEAF_DAYS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      ...extra,
    ],
  });
  return { cert: cert.toString('pem'), key: await keyPem(keys.privateKey) };
}

async function importCaKey(pem: string): Promise<CryptoKey> {
  try {
    return await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), KEY_ALG, false, ['sign']);
  } catch (e) {
    throw new Error(`ca key: not an ECDSA P-256 PKCS#8 key (${(e as Error).message}); run \`joblet certs\` to create a new CA`);
  }
}

function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - SKEW), notAfter: new Date(now + days * DAY) };
}
