// The caller's identity comes from its TLS client certificate and nothing else: the server is
// created with ServerCredentials.createSsl(ca, pairs, true), which makes Node's TLS layer request a
// certificate and reject (rejectUnauthorized) one that is missing or not signed by our CA, so a
// handler only ever runs for a verified peer. grpc-js (>= 1.10) exposes that peer per call through
// call.getAuthContext().sslPeerCertificate, a tls.PeerCertificate (it reports nothing unless the
// socket is `authorized`). The role is the certificate subject's OU.
import tls from 'node:tls';
import type { Role } from './rbac.js';

/** What every grpc-js server call (unary, streaming, or an interceptor's call) offers. */
// grpc-js does not export its AuthContext type; this is its shape (build/src/auth-context.d.ts).
export interface CallWithAuth {
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: tls.PeerCertificate } | null;
  getPeer(): string;
}

export interface PeerIdentity {
  /** Subject CN, e.g. "joblet-admin"; used as the actor in events. */
  cn: string;
  /** Subject OU as written in the certificate (several OUs joined with ","). */
  ou: string;
  /** null when the OU names no role: the caller must refuse the call (PERMISSION_DENIED). */
  role: Role | null;
  /** "ip:port" of the client, for logs. */
  peer: string;
}

const ROLE_NAMES: Readonly<Record<string, Role>> = {
  admin: 'admin',
  maintainer: 'maintainer',
  developer: 'developer',
  reader: 'reader',
  viewer: 'reader', // Joblet's older name for reader
};

/**
 * The role an OU names, case-insensitively. A certificate with several OUs must name a single role
 * through all of them; anything else (unknown, none, or two different roles) is null, because
 * guessing which OU was meant could grant more than intended.
 */
export function roleFromOu(ou: string | readonly string[] | undefined): Role | null {
  const values = ou === undefined ? [] : typeof ou === 'string' ? [ou] : ou;
  const roles = new Set(values.map((v) => ROLE_NAMES[v.trim().toLowerCase()] ?? null));
  if (roles.size !== 1) return null;
  return [...roles][0];
}

// One identity per TLS connection: grpc-js's getAuthContext() calls getPeerCertificate() on every
// call, which converts the whole certificate into a JS object (~0.12 ms of the daemon's main
// thread per RPC, measured in bench/launch (d)). A connection's certificate and `authorized`
// are fixed by its handshake (TLS 1.3 has no renegotiation), so the first call's identity holds
// for every later call on it; the WeakMap entry goes with the socket.
const bySocket = new WeakMap<tls.TLSSocket, PeerIdentity>();

/**
 * The TLS socket a grpc-js server call runs on, or undefined. grpc-js has no public accessor: its
 * call objects (1.10 to 1.14) keep the interceptor chain in `call`, each link's next in `nextCall`,
 * and the last link the HTTP/2 stream in `stream`. Anything else found there means no cache: the
 * identity is then read from the certificate on every call, as before.
 */
function tlsSocketOf(call: CallWithAuth): tls.TLSSocket | undefined {
  let link = (call as { call?: unknown }).call;
  for (let i = 0; i < 8 && typeof link === 'object' && link !== null; i++) {
    const socket = (link as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket;
    if (socket instanceof tls.TLSSocket) return socket;
    link = (link as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/** The verified client identity of a call, or null when the call has no verified client certificate. */
export function peerIdentity(call: CallWithAuth): PeerIdentity | null {
  const socket = tlsSocketOf(call);
  const known = socket && bySocket.get(socket);
  if (known) return known;
  const id = identityFromCertificate(call);
  // only a verified identity is kept: a socket that is not (yet) authorized is asked again
  if (socket && id && socket.authorized) bySocket.set(socket, id);
  return id;
}

function identityFromCertificate(call: CallWithAuth): PeerIdentity | null {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert) return null;
  // @types/node types subject fields as strings, but Node gives an array when an attribute repeats.
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const ou = subject.OU;
  const cn = subject.CN;
  return {
    cn: Array.isArray(cn) ? cn.join(',') : cn ?? '',
    ou: Array.isArray(ou) ? ou.join(',') : ou ?? '',
    role: roleFromOu(ou),
    peer: call.getPeer(),
  };
}

/**
 * Refuse TLS below 1.3. grpc-js passes no minVersion to http2.createSecureServer, so the process
 * default applies (tls.DEFAULT_MIN_VERSION, read when a secure context is created): call this before
 * the server binds. It is process-wide, so outgoing TLS from this process is held to 1.3 too.
 */
export function requireTls13(): void {
  tls.DEFAULT_MIN_VERSION = 'TLSv1.3';
}
