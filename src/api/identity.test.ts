// A real grpc-js server over mTLS with certificates from src/certs: what a handler sees for each
// role, and what a client without a valid certificate sees. No mocks: real sockets, real TLS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createCa, issueClientCert, issueServerCert, type CertPem } from '../certs/pki.js';
import { peerIdentity, requireTls13, roleFromOu } from './identity.js';

const identityService: grpc.ServiceDefinition = {
  WhoAmI: {
    path: '/test.Identity/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: Buffer) => v,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (v: string) => Buffer.from(v),
    responseDeserialize: (b: Buffer) => b.toString(),
  },
  WhoAmIStream: {
    path: '/test.Identity/WhoAmIStream',
    requestStream: false,
    responseStream: true,
    requestSerialize: (v: Buffer) => v,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (v: string) => Buffer.from(v),
    responseDeserialize: (b: Buffer) => b.toString(),
  },
};
const IdentityClient = grpc.makeGenericClientConstructor(identityService, 'Identity');
type Client = InstanceType<typeof IdentityClient>;

let ca: CertPem;
let foreignCa: CertPem;
let server: CertPem;
const servers: grpc.Server[] = [];
let port12 = 0; // started before requireTls13(): still accepts TLS 1.2
let port = 0; // started after requireTls13()

async function startServer(): Promise<number> {
  const s = new grpc.Server();
  s.addService(identityService, {
    WhoAmI: (call: grpc.ServerUnaryCall<Buffer, string>, cb: grpc.sendUnaryData<string>) => cb(null, JSON.stringify(peerIdentity(call))),
    WhoAmIStream: (call: grpc.ServerWritableStream<Buffer, string>) => {
      call.write(JSON.stringify(peerIdentity(call)));
      call.end();
    },
  });
  const creds = grpc.ServerCredentials.createSsl(Buffer.from(ca.cert), [{ cert_chain: Buffer.from(server.cert), private_key: Buffer.from(server.key) }], true);
  servers.push(s);
  return new Promise((resolve, reject) => s.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
}

function client(pair: CertPem | null, opts: grpc.ChannelOptions = {}): Client {
  const creds = pair ? grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(pair.key), Buffer.from(pair.cert)) : grpc.credentials.createSsl(Buffer.from(ca.cert));
  return new IdentityClient(`127.0.0.1:${port}`, creds, opts);
}

function whoAmI(c: Client): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest('/test.Identity/WhoAmI', (v: Buffer) => v, (b: Buffer) => b.toString(), Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, res) => {
      c.close();
      return err ? reject(err) : resolve(JSON.parse(res as string));
    });
  });
}

test.before(async () => {
  ca = await createCa('identity-test-ca');
  foreignCa = await createCa('foreign-ca');
  server = await issueServerCert(ca, ['joblet', 'localhost', '127.0.0.1']);
  port12 = await startServer();
  requireTls13();
  port = await startServer();
});

test('a handler reads cn, ou and role of every role from the client certificate', async () => {
  for (const role of ['admin', 'maintainer', 'developer', 'reader'] as const) {
    const id = await whoAmI(client(await issueClientCert(ca, { cn: `joblet-${role}`, ou: role })));
    assert.equal({ cn: id.cn, ou: id.ou, role: id.role }, { cn: `joblet-${role}`, ou: role, role });
    assert.match(String(id.peer), /^127\.0\.0\.1:\d+$/);
  }
});

test('viewer is reader; OU case does not matter; an unknown OU has no role', async () => {
  assert.is((await whoAmI(client(await issueClientCert(ca, { cn: 'v', ou: 'Viewer' })))).role, 'reader');
  assert.is((await whoAmI(client(await issueClientCert(ca, { cn: 'd', ou: 'DEVELOPER' })))).role, 'developer');
  const intern = await whoAmI(client(await issueClientCert(ca, { cn: 'i', ou: 'intern' })));
  assert.equal({ ou: intern.ou, role: intern.role }, { ou: 'intern', role: null });
});

test('a streaming handler sees the identity too', async () => {
  const c = client(await issueClientCert(ca, { cn: 'joblet-reader', ou: 'reader' }));
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = c.makeServerStreamRequest('/test.Identity/WhoAmIStream', (v: Buffer) => v, (b: Buffer) => b.toString(), Buffer.alloc(0), { deadline: Date.now() + 5000 });
    stream.on('data', (d: string) => got.push(d)).on('error', reject).on('end', resolve);
  });
  c.close();
  assert.is(JSON.parse(got[0]).role, 'reader');
});

test('Joblet clients dial by the name "joblet": the server certificate verifies for it', async () => {
  const id = await whoAmI(client(await issueClientCert(ca, { cn: 'go', ou: 'admin' }), { 'grpc.ssl_target_name_override': 'joblet' }));
  assert.is(id.role, 'admin');
});

function ask(c: Client): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest('/test.Identity/WhoAmI', (v: Buffer) => v, (b: Buffer) => b.toString(), Buffer.alloc(0), { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(JSON.parse(res as string))));
  });
}

test('identity is kept per connection: two clients interleaved each see their own, the certificate is read once per connection', async () => {
  const admin = client(await issueClientCert(ca, { cn: 'joblet-admin', ou: 'admin' }));
  const reader = client(await issueClientCert(ca, { cn: 'joblet-reader', ou: 'reader' }));
  // counts the server side's certificate reads (a client reads the server's at its handshake)
  const original = tls.TLSSocket.prototype.getPeerCertificate;
  let reads = 0;
  tls.TLSSocket.prototype.getPeerCertificate = function (this: tls.TLSSocket, ...args: [boolean?]) {
    if ((this as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer) reads++;
    return original.apply(this, args as [true]);
  } as typeof original;
  try {
    for (let i = 0; i < 4; i++) {
      assert.is((await ask(admin)).role, 'admin', `call ${i} on the admin connection`);
      assert.is((await ask(reader)).role, 'reader', `call ${i} on the reader connection`);
    }
    const [a, r] = await Promise.all([ask(admin), ask(reader)]);
    assert.equal([a.cn, r.cn], ['joblet-admin', 'joblet-reader']);
  } finally {
    tls.TLSSocket.prototype.getPeerCertificate = original;
    admin.close();
    reader.close();
  }
  assert.is(reads, 2, 'one certificate read per connection, not one per call');
});

async function refusal(pair: CertPem | null): Promise<grpc.ServiceError> {
  try {
    await whoAmI(client(pair));
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error('the call should have been refused');
}

test('a client without a certificate is refused at the TLS layer (UNAVAILABLE)', async () => {
  const err = await refusal(null);
  assert.is(err.code, grpc.status.UNAVAILABLE, `${err.code} ${err.details}`);
});

test('a client whose certificate comes from a foreign CA is refused at the TLS layer (UNAVAILABLE)', async () => {
  const err = await refusal(await issueClientCert(foreignCa, { cn: 'joblet-admin', ou: 'admin' }));
  assert.is(err.code, grpc.status.UNAVAILABLE, `${err.code} ${err.details}`);
});

function handshake(p: number, version: tls.SecureVersion, pair: CertPem): Promise<string> {
  return new Promise((resolve, reject) => {
    // minVersion is explicit: requireTls13() also raised this process's client-side default.
    const socket = tls.connect({ host: '127.0.0.1', port: p, ca: ca.cert, cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2', maxVersion: version, ALPNProtocols: ['h2'], servername: 'localhost' });
    socket.once('secureConnect', () => {
      const v = socket.getProtocol() ?? '';
      socket.destroy();
      resolve(v);
    });
    socket.once('error', reject);
  });
}

test('requireTls13: TLS 1.2 is refused after it, accepted by a server started before it', async () => {
  const pair = await issueClientCert(ca, { cn: 'raw', ou: 'reader' });
  assert.is(await handshake(port, 'TLSv1.3', pair), 'TLSv1.3');
  assert.is(await handshake(port12, 'TLSv1.2', pair), 'TLSv1.2');
  try {
    await handshake(port, 'TLSv1.2', pair);
    assert.unreachable('TLS 1.2 handshake should fail');
  } catch (e) {
    assert.match(String((e as NodeJS.ErrnoException).code), /PROTOCOL_VERSION/);
  }
});

test('roleFromOu: several OUs must agree on one role', () => {
  assert.is(roleFromOu(['developer', 'Developer']), 'developer');
  assert.is(roleFromOu(['developer', 'admin']), null);
  assert.is(roleFromOu(['developer', 'engineering']), null);
  assert.is(roleFromOu(undefined), null);
  assert.is(roleFromOu(' reader '), 'reader');
});

test.after(() => {
  for (const s of servers) s.forceShutdown();
});
test.run();
