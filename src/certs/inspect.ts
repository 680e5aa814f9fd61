// Checks on certificates already on disk, so a start re-issues only what is missing or wrong
// (a leaf from an older CA, a key that does not match its certificate after a crash mid-rotation,
// a server certificate that lacks a newly configured name, one about to expire).
import { X509Certificate, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertPem } from './pki.js';

const RENEW_BEFORE_MS = 30 * 86_400_000;

/** Why `pair` cannot be used as is, or null when it can. */
export function pairProblem(pair: CertPem, opts: { ca?: string; names?: readonly string[]; now?: number } = {}): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch {
    return 'certificate does not parse';
  }
  try {
    const fromKey = createPublicKey(pair.key).export({ type: 'spki', format: 'der' });
    if (!fromKey.equals(cert.publicKey.export({ type: 'spki', format: 'der' }))) return 'key does not match the certificate';
  } catch {
    return 'key does not parse';
  }
  const now = opts.now ?? Date.now();
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `expires ${cert.validTo}`;
  if (opts.ca !== undefined) {
    const ca = new X509Certificate(opts.ca);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not signed by the current CA';
  }
  const missing = (opts.names ?? []).filter((n) => !covers(cert, n));
  if (missing.length) return `does not cover ${missing.join(', ')}`;
  return null;
}

function covers(cert: X509Certificate, name: string): boolean {
  // checkIP compares addresses, not text, so "::1" matches however the SAN spells it.
  return isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name, { subject: 'never' }) !== undefined;
}
