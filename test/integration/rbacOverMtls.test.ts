// The RBAC matrix over real mTLS against a real daemon: every role × every RPC of package joblet.
// A denied call must be PERMISSION_DENIED naming the role and the RPC; an allowed one must get
// past RBAC (any other status, or an answer). Plus the TLS layer: no certificate, a foreign CA,
// an unknown role.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { jobletProto, logsProto } from '../../src/proto.js';
import { coreMethods, isAllowed } from '../../src/api/rbac.js';
import { LOG_SERVICE } from '../../src/api/logService.js';
import { createCa, issueClientCert } from '../../src/certs/index.js';
import { startTestDaemon, CHANNEL_OPTIONS, type TestDaemon, type TestRole } from '../support/testDaemon.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let d: TestDaemon;
const ROLES: TestRole[] = ['admin', 'maintainer', 'developer', 'reader'];

test.before(async () => { d = await startTestDaemon(); });
test.after(async () => { await d.close(); });

/** Calls one RPC with an empty request; resolves with the status code (0 = OK) and details. */
function probe(creds: grpc.ChannelCredentials, service: string, method: string): Promise<{ code: number; details: string }> {
  const name = service.replace(/^joblet\./, '') as 'JobService';
  const Ctor = jobletProto().joblet[name];
  const client = new Ctor(d.address, creds, CHANNEL_OPTIONS) as unknown as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
  const def = Ctor.service[method as keyof typeof Ctor.service] as grpc.MethodDefinition<unknown, unknown>;
  const deadline = Date.now() + 5000;
  return new Promise((resolve) => {
    const done = (code: number, details: string) => { client.close(); resolve({ code, details }); };
    if (def.responseStream) {
      const s = client[method]({}, { deadline }) as grpc.ClientReadableStream<unknown>;
      s.on('data', () => { s.cancel(); done(0, 'streamed'); });
      s.on('error', (e: grpc.ServiceError) => done(e.code, e.details));
      s.on('end', () => done(0, 'ended'));
    } else {
      client[method]({}, { deadline }, (e: grpc.ServiceError | null) => (e ? done(e.code, e.details) : done(0, 'ok')));
    }
  });
}

test('every role x every RPC: denied exactly where the rules deny', async () => {
  const methods = coreMethods();
  assert.is(methods.length, 26);
  for (const role of ROLES) {
    const creds = d.credentials(role);
    for (const { service, method } of methods) {
      // Mutations of jobs with an empty request are refused by validation, never run a job.
      const { code, details } = await probe(creds, service, method);
      const where = `${role} ${service}/${method}: ${code} ${details}`;
      if (isAllowed(role, service, method)) {
        assert.is.not(code, grpc.status.PERMISSION_DENIED, where);
        assert.is.not(code, grpc.status.UNAVAILABLE, where);
      } else {
        assert.is(code, grpc.status.PERMISSION_DENIED, where);
        assert.ok(details.includes(`role ${role}`) && details.includes(`${service}/${method}`), where);
      }
    }
  }
});

test('every role x joblet.logs.v1.LogService/StreamLogs: allowed exactly as GetJobLogs (an empty request is INVALID_ARGUMENT)', async () => {
  for (const role of ROLES) {
    const client = new (logsProto().joblet.logs.v1.LogService)(d.address, d.credentials(role), CHANNEL_OPTIONS);
    const code = await new Promise<number>((resolve) => {
      const s = client.StreamLogs({}, { deadline: Date.now() + 5000 });
      s.on('data', () => { s.cancel(); resolve(0); });
      s.on('error', (e: grpc.ServiceError) => resolve(e.code));
      s.on('end', () => resolve(0));
    });
    client.close();
    assert.is(isAllowed(role, LOG_SERVICE, 'StreamLogs'), isAllowed(role, 'joblet.JobService', 'GetJobLogs'), role);
    assert.is(code, grpc.status.INVALID_ARGUMENT, `${role}: ${code}`);
  }
});

test('a client without a certificate is refused at the TLS handshake', async () => {
  const ca = readFileSync(join(d.dataDir, 'certs', 'ca.pem'));
  const { code } = await probe(grpc.credentials.createSsl(ca), 'joblet.JobService', 'ListJobs');
  assert.is(code, grpc.status.UNAVAILABLE);
});

test('a certificate from another CA is refused', async () => {
  const foreign = await createCa('foreign-ca');
  const client = await issueClientCert(foreign, { cn: 'mallory', ou: 'admin' });
  const ca = readFileSync(join(d.dataDir, 'certs', 'ca.pem'));
  const { code } = await probe(grpc.credentials.createSsl(ca, Buffer.from(client.key), Buffer.from(client.cert)), 'joblet.JobService', 'ListJobs');
  assert.is(code, grpc.status.UNAVAILABLE);
});

test('a certificate of our CA with an unknown role is PERMISSION_DENIED naming the OU', async () => {
  const caCert = readFileSync(join(d.dataDir, 'certs', 'ca.pem'), 'utf8');
  const caKey = readFileSync(join(d.dataDir, 'certs', 'ca-key.pem'), 'utf8');
  const client = await issueClientCert({ cert: caCert, key: caKey }, { cn: 'eve', ou: 'intern' });
  const { code, details } = await probe(grpc.credentials.createSsl(Buffer.from(caCert), Buffer.from(client.key), Buffer.from(client.cert)), 'joblet.JobService', 'ListJobs');
  assert.is(code, grpc.status.PERMISSION_DENIED);
  assert.match(details, 'intern');
});

test('viewer is an alias of reader', async () => {
  const caCert = readFileSync(join(d.dataDir, 'certs', 'ca.pem'), 'utf8');
  const caKey = readFileSync(join(d.dataDir, 'certs', 'ca-key.pem'), 'utf8');
  const client = await issueClientCert({ cert: caCert, key: caKey }, { cn: 'vic', ou: 'Viewer' });
  const creds = grpc.credentials.createSsl(Buffer.from(caCert), Buffer.from(client.key), Buffer.from(client.cert));
  assert.is((await probe(creds, 'joblet.JobService', 'ListJobs')).code, grpc.status.OK);
  assert.is((await probe(creds, 'joblet.JobService', 'RunJob')).code, grpc.status.PERMISSION_DENIED);
});

test.run();
