// Isolation spec #9 (unprivileged user), #10 (capabilities), #11 (no_new_privs), #13 (no leaked
// fds, cwd inside the root) and #14 (our launcher unreachable through /proc/<pid>/exe), each from
// inside a fully isolated job on the real kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from '../../../src/executor/launcherPath.js';
import { launcherArgs } from '../../../src/executor/launcherProtocol.js';
import { DEFAULT_ISOLATION, DEFAULT_SYSTEM_DIRS } from '../../../src/executor/types.js';
import { closeExecutor, PATH, probe, probeBinary, rootTest, sh } from './runJob.js';

const status = (text: string, field: string) => (text.match(new RegExp(`^${field}:\\t(.*)$`, 'm')) ?? [])[1];

rootTest(test, '#9 the job runs as nobody/nogroup (65534) with no supplementary groups', async () => {
  const r = await sh('id -u; id -g; id -G; cat /proc/self/status');
  const [uid, gid, groups] = r.stdout.split('\n');
  assert.equal([uid, gid, groups], ['65534', '65534', '65534'], r.stderr + (r.startFailed ?? ''));
  assert.is(status(r.stdout, 'Groups')?.trim(), ''); // the kernel ends the list with a space
  assert.is(status(r.stdout, 'Uid'), '65534\t65534\t65534\t65534');
  assert.is(status(r.stdout, 'Gid'), '65534\t65534\t65534\t65534');
});

rootTest(test, '#9 supplementary groups of the daemon do not reach the job', async () => {
  // the launcher started with groups 4 and 27, as a daemon in those groups would start it
  const base = mkdtempSync(join(tmpdir(), 'joblet-groups-'));
  mkdirSync(join(base, 'root'));
  mkdirSync(join(base, 'work'));
  try {
    const spec = { jobId: 'groups', command: '/bin/sh', args: ['-c', 'grep Groups /proc/self/status'], env: { PATH }, workDir: join(base, 'work'), isolation: { ...DEFAULT_ISOLATION, rootDir: join(base, 'root'), workSizeBytes: 1 << 20, tmpSizeBytes: 1 << 20 } };
    const r = spawnSync('setpriv', ['--groups', '4,27', '--', defaultLauncherPath(), ...launcherArgs(spec)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PATH } });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), 'Groups:');
    const self = spawnSync('setpriv', ['--groups', '4,27', '--', 'grep', 'Groups', '/proc/self/status'], { encoding: 'utf8' });
    assert.match(self.stdout, /Groups:\t4 27/); // the setup itself works
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

rootTest(test, '#9 uid and gid are configurable', async () => {
  const r = await sh('id -u; id -g; stat -c "%u:%g" /work', { isolation: { uid: 1234, gid: 2345 } });
  assert.is(r.stdout, '1234\n2345\n1234:2345\n');
});

rootTest(test, '#10 every capability set is empty, the bounding set included', async () => {
  const r = await sh('cat /proc/self/status');
  for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.is(status(r.stdout, set), '0000000000000000', set);
});

rootTest(test, '#10 even a job configured as uid 0 has no capabilities', async () => {
  const r = await sh('cat /proc/self/status; echo x > /dev/probe 2>&1 || echo denied', { isolation: { uid: 0, gid: 0 } });
  assert.is(status(r.stdout, 'Uid'), '0\t0\t0\t0');
  for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.is(status(r.stdout, set), '0000000000000000', set);
});

rootTest(test, '#11 NoNewPrivs is 1 and a setuid-root binary does not raise the euid', async () => {
  // a setuid-root copy of id(1) in a host dir the job gets as an extra system dir (not under /tmp,
  // which the job's own /tmp covers)
  const dir = mkdtempSync('/var/tmp/joblet-suid-');
  chmodSync(dir, 0o755);
  const suid = join(dir, 'suid-id');
  copyFileSync('/usr/bin/id', suid);
  chmodSync(suid, 0o4755);
  try {
    const r = await sh(`grep NoNewPrivs /proc/self/status; stat -c %a ${suid}; ${suid} -u; ${suid} -ru`, { isolation: { systemDirs: [...DEFAULT_SYSTEM_DIRS, dir] } });
    assert.is(r.stdout, 'NoNewPrivs:\t1\n4755\n65534\n65534\n', r.stderr + (r.startFailed ?? ''));
    // su is setuid root on Debian: it must not become root either
    const su = await sh('su -c id root </dev/null; echo "su=$?"');
    assert.match(su.stdout, /su=1\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

rootTest(test, '#13 only fds 0, 1 and 2 are open at exec', async () => {
  const r = await sh('ls /proc/$$/fd; echo -; ls /proc/self/fd');
  // the second listing also shows ls's own directory fd
  assert.is(r.stdout, '0\n1\n2\n-\n0\n1\n2\n3\n', r.stderr + (r.startFailed ?? ''));
});

rootTest(test, '#13 the cwd is the work dir inside the job root', async () => {
  const r = await sh('pwd; readlink /proc/self/cwd; readlink /proc/self/root');
  assert.is(r.stdout, '/work\n/work\n/\n');
});

rootTest(test, '#14 the job cannot open our init (pid 1, the launcher binary) through /proc/1/exe', async () => {
  const got = await probe(['open_pid1_exe_w', 'open_pid1_exe_r', 'open_pid1_root', 'kill_pid1']);
  // hidepid=2 hides pid 1 (root) from the job's user entirely
  assert.equal(got, { open_pid1_exe_w: 'ENOENT', open_pid1_exe_r: 'ENOENT', open_pid1_root: 'ENOENT', kill_pid1: 'EPERM' });
});

rootTest(test, '#14 a job running as uid 0 sees pid 1 but init is non-dumpable: /proc/1/exe is closed', async () => {
  const r = await sh('ls -d /proc/1 && ./probe open_pid1_exe_w open_pid1_exe_r open_pid1_root', { isolation: { uid: 0, gid: 0 }, uploads: { probe: { from: probeBinary() } } });
  assert.is(r.stdout, '/proc/1\nopen_pid1_exe_w=EACCES\nopen_pid1_exe_r=EACCES\nopen_pid1_root=EACCES\n', r.stderr + (r.startFailed ?? ''));
});

rootTest(test, '#14 no process the job can see runs a binary of ours', async () => {
  const r = await sh('for p in /proc/[0-9]*; do echo "$p $(readlink $p/exe)"; done', { isolation: { uid: 0, gid: 0 } });
  // init (pid 1) is listed, but its link cannot be read; the shell (pid 2) is the only other process
  assert.is(r.stdout, '/proc/1 \n/proc/2 /usr/bin/dash\n', r.stderr);
});

test.after(closeExecutor);
test.run();
