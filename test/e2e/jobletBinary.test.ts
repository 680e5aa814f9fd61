// The `joblet` binary as an operator uses it: a bad config stops start-up with the key path and
// the rule; SIGTERM shuts down cleanly (exit 0, pid lock released); `joblet certs` re-issues.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const joblet = join(root, 'bin', 'joblet.js');
const dataDir = mkdtempSync(join(tmpdir(), 'joblet-bin-'));
test.after(() => rmSync(dataDir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => execFile(process.execPath, [joblet, ...args], { encoding: 'utf8', timeout: 30_000 },
    (e, out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err })));
}

test('a bad value and an unknown key stop start-up, naming each key and rule, in one line', async () => {
  const file = join(dataDir, 'bad.yml');
  writeFileSync(file, 'joblet:\n  maxConcurrentJobs: lots\n  noSuchKey: 1\n');
  const r = await run(['--config', file, '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
  assert.is(r.code, 1);
  assert.match(r.err, /^Error: config /);
  assert.match(r.err, 'joblet.maxConcurrentJobs');
  assert.match(r.err, 'joblet.noSuchKey');
  assert.is(r.err.trim().split('\n').length, 1, r.err);
  assert.not.ok(existsSync(join(dataDir, 'events')), 'nothing was created');
});

test('a missing explicit config file is an error', async () => {
  const r = await run(['--config', join(dataDir, 'nope.yml'), '--data-dir', dataDir]);
  assert.is(r.code, 1);
  assert.match(r.err, 'nope.yml');
});

test('SIGTERM: clean shutdown with exit 0 and the data-dir lock released', async () => {
  const child = spawn(process.execPath, [joblet, '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "serving" line:\n${log}`)), 15_000);
    child.stdout.on('data', (d) => { log += d; if (log.includes('"msg":"serving"')) { clearTimeout(t); resolve(); } });
    child.stderr.on('data', (d) => { log += d; });
  });
  assert.ok(existsSync(join(dataDir, 'joblet.pid')));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.is(await exit, 0);
  assert.not.ok(existsSync(join(dataDir, 'joblet.pid')));
});

test('joblet certs re-issues the server certificate and the client configs', async () => {
  const serverPem = join(dataDir, 'certs', 'server.pem');
  const before = readFileSync(serverPem, 'utf8');
  const r = await run(['certs', '--data-dir', dataDir]);
  assert.is(r.code, 0, r.err);
  assert.is.not(readFileSync(serverPem, 'utf8'), before);
  assert.ok(existsSync(join(dataDir, 'config', 'rnx-config-reader.yml')));
});

test.run();
