// main() against a recording JobService over real mTLS (certificates from src/certs, grpc-js on
// loopback): what rnx puts on the wire for a command line, and how it prints answers and status
// codes. The real daemon is exercised by test/e2e/cli.test.ts; this pins the client's half exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueClientCert, issueServerCert } from '../certs/index.js';
import { jobletProto } from '../proto.js';
import { main } from './main.js';
import { clientVersion } from './commands/version.js';

const ID = '0b5c7a52-8d7e-4c11-9d0e-5a1f0e2b3c4d';
type Handler = (req: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
const calls: { method: string; req: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
const replies: Record<string, Handler> = {};

function unaryImpl(method: string) {
  return (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
    calls.push({ method, req: call.request });
    try { cb(null, replies[method]?.(call.request) ?? {}); } catch (e) { cb(e as grpc.ServiceError); }
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rnx-main-'));
let server: grpc.Server;
let port = 0;

async function start(): Promise<void> {
  const ca = await createCa('test ca');
  const srv = await issueServerCert(ca, ['joblet', 'localhost', '127.0.0.1']);
  const client = await issueClientCert(ca, { cn: 'test', ou: 'admin' });
  const pkg = jobletProto().joblet;
  server = new grpc.Server();
  const jobMethods = ['RunJob', 'GetJobStatus', 'StopJob', 'CancelJob', 'DeleteJob', 'DeleteAllJobs', 'ListJobs'];
  server.addService(pkg.JobService.service, {
    ...Object.fromEntries(jobMethods.map((m) => [m, unaryImpl(m)])),
    GetJobLogs: (call: grpc.ServerWritableStream<{ uuid: string }, unknown>) => {
      calls.push({ method: 'GetJobLogs', req: call.request });
      call.write({ payload: Buffer.from([0x68, 0x69, 0x0a]) });
      call.write({ payload: Buffer.from([0xff, 0x00, 0xfe]) });
      call.end();
    },
  });
  server.addService(pkg.MonitoringService.service, { GetSystemStatus: unaryImpl('GetSystemStatus') });
  const creds = grpc.ServerCredentials.createSsl(Buffer.from(ca.cert), [{ private_key: Buffer.from(srv.key), cert_chain: Buffer.from(srv.cert) }], true);
  port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  const node = (address: string) => ({ address, cert: client.cert, key: client.key, ca: ca.cert });
  const yaml = (address: string) => `version: "3.0"\nnodes:\n  default: ${JSON.stringify(node(address))}\n`;
  writeFileSync(join(dir, 'rnx-config.yml'), yaml(`127.0.0.1:${port}`));
  writeFileSync(join(dir, 'localhost.yml'), yaml(`localhost:${port}`));
  writeFileSync(join(dir, 'down.yml'), yaml('127.0.0.1:1'));
  const otherCa = await createCa('other ca');
  writeFileSync(join(dir, 'wrong-ca.yml'), `version: "3.0"\nnodes:\n  default: ${JSON.stringify({ ...node(`127.0.0.1:${port}`), ca: otherCa.cert })}\n`);
}

function sink() {
  const chunks: Buffer[] = [];
  return { chunks, write: (c: string | Uint8Array) => { chunks.push(Buffer.from(c)); return true; }, once: () => undefined, text: () => Buffer.concat(chunks).toString() };
}

async function rnx(...argv: string[]): Promise<{ out: string; err: string; code: number; raw: Buffer }> {
  const stdout = sink();
  const stderr = sink();
  let code = 0;
  await main(argv, { stdout, stderr, cwd: dir, env: {}, home: dir, systemConfigPaths: [], setExitCode: (c) => { code = c; } });
  return { out: stdout.text(), err: stderr.text(), code, raw: Buffer.concat(stdout.chunks) };
}

test.before(start);
test.before.each(() => { calls.length = 0; for (const k of Object.keys(replies)) delete replies[k]; });
test.after(() => { server.forceShutdown(); rmSync(dir, { recursive: true, force: true }); });

test('job run: flags become the request, the job command stays untouched', async () => {
  replies.RunJob = () => ({ job_uuid: ID, status: 'SCHEDULED' });
  writeFileSync(join(dir, 'in.txt'), 'data');
  const r = await rnx('job', 'run', '--max-cpu=50', '--max-memory', '512', '--volume', '007', '-e', 'A=1', '--secret-env', 'TOKEN=s3', '--upload', 'in.txt', '--schedule', '1h', '--timeout', '30s', 'sh', '-c', 'echo a', '--json');
  assert.is(r.err, '');
  assert.is(r.code, 0);
  const req = calls[0].req;
  assert.equal([req.command, req.args], ['sh', ['-c', 'echo a', '--json']]);
  assert.equal([req.max_cpu, req.max_memory, req.volumes, req.environment, req.secret_environment, req.timeout], [50, 512, ['007'], { A: '1' }, { TOKEN: 's3' }, '30s']);
  assert.equal(req.uploads.map((u: { path: string; content: Buffer }) => [u.path, u.content.toString()]), [['in.txt', 'data']]);
  const ahead = Date.parse(req.schedule) - Date.now();
  assert.ok(ahead > 3590_000 && ahead <= 3600_000, `schedule ${req.schedule} is not an hour from now`);
  const lines = r.out.split('\n');
  assert.equal(lines.slice(0, 4), ['Job submitted:', `ID: ${ID}`, 'Command: sh -c echo a --json', 'Status: SCHEDULED']);
  assert.ok(lines.includes('Files: 1 uploaded') && lines.includes('Environment: 2 variables set'), r.out);
});

test('bad --schedule: one error line, exit 1, nothing sent', async () => {
  const r = await rnx('run', '--schedule', 'tomorrowish', 'echo');
  assert.is(r.code, 1);
  assert.match(r.err, /^Error: --schedule: cannot read "tomorrowish"; use a duration[^\n]*\n$/);
  assert.is(calls.length, 0);
});

test('status codes become one line each, with "not found" kept', async () => {
  replies.GetJobStatus = () => { throw Object.assign(new Error(), { code: grpc.status.NOT_FOUND, details: 'job not found: deadbeef' }); };
  const nf = await rnx('status', 'deadbeef');
  assert.is(nf.code, 1);
  assert.is(nf.err, "Error: job not found: deadbeef (see 'rnx job list')\n");
  assert.equal(calls[0].req, { uuid: 'deadbeef' });
  replies.RunJob = () => { throw Object.assign(new Error(), { code: grpc.status.PERMISSION_DENIED, details: 'role reader may not run jobs' }); };
  const pd = await rnx('job', 'run', 'true');
  assert.match(pd.err, /^Error: permission denied: role reader may not run jobs; use a config whose certificate has a role that allows RunJob\n$/);
});

test('job log writes the payload bytes exactly', async () => {
  const r = await rnx('job', 'log', ID);
  assert.is(r.code, 0);
  assert.equal([...r.raw], [0x68, 0x69, 0x0a, 0xff, 0x00, 0xfe]);
  assert.is(r.err, '');
});

test('--version prints client and server lines; localhost verifies too', async () => {
  replies.GetSystemStatus = () => ({ server_version: { version: '9.8.7' } });
  assert.is((await rnx('--version')).out, `rnx ${clientVersion()}\njoblet 9.8.7\n`);
  const viaName = await rnx('--config', 'localhost.yml', '-v');
  assert.is(viaName.out, `rnx ${clientVersion()}\njoblet 9.8.7\n`);
  assert.match(clientVersion(), /^\d+\.\d+\.\d+/);
});

test('an unreachable server: client line, then one error line naming address and config', async () => {
  const r = await rnx('--config', 'down.yml', '--version');
  assert.is(r.out, `rnx ${clientVersion()}\n`);
  assert.is(r.code, 1);
  assert.is(r.err, `Error: cannot reach joblet at 127.0.0.1:1 (node "default" in ${join(dir, 'down.yml')}): connect ECONNREFUSED 127.0.0.1:1; is the daemon running and is the address right?\n`);
});

test('a server certificate from another CA fails the handshake with a hint', async () => {
  const r = await rnx('--config', 'wrong-ca.yml', 'list');
  assert.is(r.code, 1);
  assert.match(r.err, /^Error: tls handshake with 127\.0\.0\.1:\d+ \(node "default" in .*wrong-ca\.yml\) failed: self-signed certificate in certificate chain; check that ca, cert and key in the config belong to this server\n$/);
  assert.is(calls.length, 0);
});

test('list, stop, cancel, delete-all print their blocks; --json prints JSON', async () => {
  replies.ListJobs = () => ({ jobs: [] });
  assert.is((await rnx('job', 'list')).out, 'No jobs found\n');
  assert.equal(JSON.parse((await rnx('list', '--json')).out), []);
  replies.StopJob = (req) => ({ uuid: `${req.uuid}-full`, status: 'STOPPED' });
  assert.is((await rnx('job', 'stop', 'abcdef12')).out, 'Job stopped successfully:\nID: abcdef12-full\nStatus: STOPPED\n');
  replies.CancelJob = (req) => ({ uuid: req.uuid, status: 'CANCELED' });
  assert.equal(JSON.parse((await rnx('job', 'cancel', ID, '--json')).out), { uuid: ID, status: 'CANCELED' });
  replies.DeleteAllJobs = () => ({ success: true, deleted_count: 2, skipped_count: 1 });
  assert.is((await rnx('job', 'delete-all')).out, 'Jobs deleted successfully:\nDeleted: 2\nSkipped: 1\n');
  replies.DeleteJob = () => ({ success: false, message: 'job is running' });
  assert.is((await rnx('job', 'delete', ID)).err, `Error: delete ${ID}: job is running\n`);
});

test('usage errors: unknown flag, unknown command, missing job command', async () => {
  const flag = await rnx('run', '--bogus', 'echo');
  assert.equal([flag.code, flag.err], [2, "Error: unknown option --bogus; see 'rnx job run --help'\n"]);
  const cmd = await rnx('frobnicate');
  assert.equal([cmd.code, cmd.err], [2, "Error: unknown command \"frobnicate\"; run 'rnx --help' for the list\n"]);
  const none = await rnx('job', 'run', '--max-cpu', '5');
  assert.match(none.err, /^Error: job run: no command given/);
  assert.is(calls.length, 0);
});

test('nodes lists the config without a server', async () => {
  const r = await rnx('nodes', '--config', 'down.yml');
  assert.is(r.out, `Nodes in ${join(dir, 'down.yml')}:\n   NAME     ADDRESS      NODE ID\n*  default  127.0.0.1:1  -\n`);
});

test.run();
