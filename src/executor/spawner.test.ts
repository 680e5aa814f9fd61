// joblet-spawner through its client (spawner.ts), with plain programs instead of the launcher:
// exact argv and environment, its own session, exit codes and signals, the early stderr, exec
// failures, signals through the spawner, and children that outlive a spawner killed under them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spawner, type Supervisor, type SupervisorEnd } from './spawner.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-spawner-'));
const spawner = new Spawner();
const ended = (s: Supervisor) => new Promise<SupervisorEnd>((r) => s.onEnd(() => r(s.end!)));
const sh = (script: string, env: Record<string, string> = {}) => spawner.spawn(['/bin/sh', '-c', script], { PATH: '/usr/bin:/bin', ...env });

test.after(() => { spawner.close(); rmSync(dir, { recursive: true, force: true }); });

test('argv and exactly the given environment, in a session of its own', async () => {
  const out = join(dir, 'env');
  const end = await ended(sh(`{ echo "$0 $1"; cut -d' ' -f6 /proc/$$/stat; echo $$; env; } > ${out}`, { ONLY: 'this' }));
  assert.equal(end, { code: 0, signal: null, stderr: '' });
  const [args, sid, pid, ...env] = readFileSync(out, 'utf8').trim().split('\n');
  assert.is(args, '/bin/sh ', 'argv[0] is the program path, as given');
  assert.is(sid, pid, 'the session id is its own pid (setsid)');
  assert.ok(env.includes('ONLY=this') && env.includes('PATH=/usr/bin:/bin'), env.join(' '));
  // nothing of ours leaks in (the shell itself may add PWD, SHLVL, _)
  assert.equal(env.filter((e) => !/^(ONLY|PATH|PWD|SHLVL|_|OLDPWD)=/.test(e)), []);
});

test('exit code and the first bytes of stderr come back with the end', async () => {
  const end = await ended(sh('echo "error args: EINVAL (bad)" >&2; exit 3'));
  assert.equal(end, { code: 3, signal: null, stderr: 'error args: EINVAL (bad)\n' });
});

test('a program that cannot be executed ends with the exec errno', async () => {
  const end = await ended(spawner.spawn([join(dir, 'not-built'), '--x'], {}));
  assert.is(end.code, 127);
  assert.match(end.spawnError ?? '', /^spawn .*not-built: ENOENT \(build it with npx node-gyp rebuild\)$/);
});

test('signals go through the spawner; a NUL byte is refused before anything runs', async () => {
  const s = sh('exec sleep 30');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(s.alive());
  assert.ok(s.kill('SIGTERM'));
  assert.equal(await ended(s), { code: null, signal: 'SIGTERM', stderr: '' });
  assert.not.ok(s.kill('SIGTERM'), 'an ended child is never signalled again');
  const bad = spawner.spawn(['/bin/true'], { X: 'a\0b' });
  assert.match((await ended(bad)).spawnError ?? '', /NUL byte/);
});

test('children outlive a spawner killed under them, and are watched by pid + start time', async () => {
  const own = new Spawner();
  const marker = join(dir, 'outlived');
  const s = own.spawn(['/bin/sh', '-c', `sleep 0.5; echo yes > ${marker}`], { PATH: '/usr/bin:/bin' });
  await new Promise((r) => setTimeout(r, 100));
  const pid = own.pid!;
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(s.alive(), 'still running without its spawner');
  await new Promise((r) => setTimeout(r, 800));
  assert.is(readFileSync(marker, 'utf8'), 'yes\n');
  assert.not.ok(s.alive(), 'seen gone once it exited');
  // the next spawn starts a new spawner
  assert.equal(await ended(own.spawn(['/bin/true'], {})), { code: 0, signal: null, stderr: '' });
  assert.is.not(own.pid, pid);
  own.close();
});

test.run();
