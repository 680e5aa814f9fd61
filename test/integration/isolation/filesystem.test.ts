// Isolation spec #2 (pivot_root), #3 (read-only system dirs), #4 (private writable dirs),
// #5 (fresh /proc, masked paths), #6 (minimal /dev), #15 (symlinks in uploads) and #24 (disk
// quota), each checked from inside a fully isolated job on the real kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from '../../../src/executor/launcherPath.js';
import { launcherArgs } from '../../../src/executor/launcherProtocol.js';
import { DEFAULT_ISOLATION } from '../../../src/executor/types.js';
import { closeExecutor, isEmptyDir, packageRoot, PATH, probe, rootTest, runJob, sh, type RunOptions } from './runJob.js';

const asRoot: RunOptions = { isolation: { uid: 0, gid: 0 } }; // uid 0 without capabilities: only the mount flags stop it

rootTest(test, '#2 the job root holds only the skeleton; host paths do not exist inside', async () => {
  const r = await sh(`ls -A /; for p in /root ${packageRoot} /var /home /opt /srv /sys/fs/cgroup/memory; do test -e $p && echo "visible $p"; done; true`, { keepDirs: true });
  assert.is(r.stdout, 'bin\ndev\netc\nlib\nlib64\nproc\nsbin\nsys\ntmp\nusr\nwork\n', r.stderr + (r.startFailed ?? ''));
  // the job's own host dirs (the daemon's data dir layout) are not reachable by their host paths
  assert.ok(isEmptyDir(r.rootDir), 'the host side of the root mount point stays empty');
});

rootTest(test, "#2 another running job's work and root dirs are invisible", async () => {
  let seen = '';
  const first = await runJob('/bin/sh', ['-c', 'echo secret > /work/mine; sleep 1'], {
    uploads: { 'a.txt': 'a' },
    onStarted: async (_pid, dirs) => {
      await new Promise((r) => setTimeout(r, 100));
      const paths = [dirs.uploadsDir, join(dirs.uploadsDir, 'a.txt'), dirs.rootDir, join(dirs.rootDir, '..')];
      seen = (await sh(`for p in ${paths.join(' ')} /work/mine; do ls -d $p 2>&1; done`)).stdout;
    },
  });
  assert.is(first.exitCode, 0);
  const lines = seen.trim().split('\n');
  assert.is(lines.length, 5, seen);
  for (const l of lines) assert.match(l, /No such file or directory/);
});

rootTest(test, '#2 /proc/1/root leads nowhere outside and mountinfo shows no host data dir', async () => {
  const r = await sh('ls /proc/1/root 2>&1; readlink /proc/self/root; cat /proc/self/mountinfo', { keepDirs: false });
  assert.match(r.stdout, /^ls: cannot access '\/proc\/1\/root': No such file or directory\n\/\n/);
  assert.not.match(r.stdout, new RegExp(tmpdir().replace(/[/]/g, '\\/') + '\\/joblet-iso-'));
  const asZero = await sh('ls /proc/1/root 2>&1', asRoot);
  assert.match(asZero.stdout, /Permission denied/); // visible to uid 0, closed (init is non-dumpable)
});

rootTest(test, '#3 writing under /usr, /bin, /lib and /etc fails with EROFS, even for uid 0', async () => {
  const script = 'for p in /usr/x /bin/x /lib/x /etc/x /etc/passwd /x; do (echo x >> $p) 2>&1; done';
  const r = await sh(script, asRoot);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 6, r.stdout);
  for (const l of lines) assert.match(l, /Read-only file system/);
  const nobody = await sh(script);
  assert.is(nobody.stdout.trim().split('\n').length, 6);
});

rootTest(test, '#4 /work and /tmp are writable, size-capped tmpfs mounts private to the job', async () => {
  const sizes = { workSizeBytes: 8 << 20, tmpSizeBytes: 4 << 20 };
  const r = await sh('echo w > /work/f && echo t > /tmp/f && cat /work/f /tmp/f; stat -f -c "%T %b %S" /work /tmp', { isolation: sizes, keepDirs: true });
  assert.is(r.stdout, 'w\nt\ntmpfs 2048 4096\ntmpfs 1024 4096\n', r.stderr + (r.startFailed ?? ''));
  // the host work dir (the uploads) did not receive the job's file
  assert.equal(readdirSync(r.uploadsDir), []);
  // and the next job starts from a fresh /work and /tmp
  const next = await sh('ls -A /work /tmp');
  assert.is(next.stdout, '/tmp:\n\n/work:\n');
});

rootTest(test, '#4 uploads are copied into /work with their modes, owned by the job', async () => {
  const r = await runJob('/bin/sh', ['-c', 'stat -c "%n %a %U" * sub/*; ./run.sh'], {
    uploads: { 'run.sh': { from: '/usr/bin/true' }, 'sub/data.txt': 'hello' },
  });
  assert.is(r.stdout, 'run.sh 755 nobody\nsub 755 nobody\nsub/data.txt 644 nobody\n', r.stderr + (r.startFailed ?? ''));
  assert.is(r.exitCode, 0);
});

rootTest(test, '#24 writing past the work dir cap fails with ENOSPC; the host disk is untouched', async () => {
  const before = statfsSync(tmpdir());
  const r = await sh('dd if=/dev/zero of=/work/big bs=1M count=64 2>&1; ls -s /work/big; dd if=/dev/zero of=/tmp/big bs=1M count=64 2>&1 | grep -c "No space"', { isolation: { workSizeBytes: 4 << 20, tmpSizeBytes: 2 << 20 }, keepDirs: true });
  assert.match(r.stdout, /No space left on device/);
  assert.match(r.stdout, /\n4096 \/work\/big\n1\n$/);
  assert.ok(isEmptyDir(r.rootDir) && isEmptyDir(r.uploadsDir), 'nothing reached the host dirs');
  const after = statfsSync(tmpdir());
  // 64 MiB written would show; allow for unrelated activity of a few MiB
  assert.ok((before.bavail - after.bavail) * before.bsize < 16 << 20, 'host free space did not drop');
});

rootTest(test, '#5 kcore, keys, timer_list, sched_debug and /sys/firmware are empty or absent', async () => {
  const paths = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/acpi', '/sys/firmware'];
  const r = await sh(paths.map((p) => `if [ -d ${p} ]; then echo "${p} $(ls -A ${p} | wc -l)"; elif [ -e ${p} ]; then echo "${p} $(head -c 100 ${p} | wc -c)"; else echo "${p} absent"; fi`).join('; '), asRoot);
  const seen = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')));
  for (const p of paths) {
    // what the host has must be masked inside; what it lacks is absent inside too
    const onHost = existsSync(p) && (p.startsWith('/sys') || readdirSync('/proc').includes(p.slice(6)));
    if (!onHost) console.log(`note: ${p} does not exist on this host (kernel config); checked absent inside`);
    assert.is(seen[p], onHost ? '0' : 'absent', `${p}: ${seen[p]}`);
  }
});

rootTest(test, '#5 /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus are read-only; /proc is the job\'s', async () => {
  const r = await sh('(echo x > /proc/sys/kernel/hostname) 2>&1; for p in /proc/sys /proc/irq /proc/bus /proc/fs /proc/sysrq-trigger; do [ -e $p ] && grep -c " $p ro," /proc/self/mountinfo; done; ls /proc | grep -cE "^[0-9]+$"', { ...asRoot, hostname: 'box' });
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /Read-only file system/);
  for (const l of lines.slice(1, -1)) assert.is(l, '1');
  assert.ok(lines.length >= 5, r.stdout);
  assert.ok(Number(lines[lines.length - 1]) <= 4, `pids in /proc: ${lines[lines.length - 1]}`);
});

rootTest(test, '#6 /dev holds only null zero full random urandom tty (+ pts, shm, links); mknod fails', async () => {
  const r = await sh('ls -A /dev; echo x > /dev/null && head -c 8 /dev/urandom | wc -c && head -c 3 /dev/zero | wc -c');
  assert.is(r.stdout, 'fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n8\n3\n', r.stderr + (r.startFailed ?? ''));
  for (const opts of [{}, asRoot] as RunOptions[]) {
    const got = await probe(['mknod'], { ...opts, isolation: { ...opts.isolation, seccomp: 'off' } });
    assert.is(got.mknod, 'EPERM'); // no CAP_MKNOD, even without the filter
  }
  const dev = await sh('(echo x > /dev/newfile) 2>&1', asRoot);
  assert.match(dev.stdout, /Read-only file system/);
});

const refused = (path: string) => `copy upload ${path}: ELOOP (too many levels of symbolic links; uploads must not be or contain symlinks)`;

rootTest(test, '#15 an upload that is or contains a symlink is refused, never followed', async () => {
  const top = await runJob('/bin/cat', ['evil'], { uploads: { 'ok.txt': 'x', evil: { symlink: '/etc/shadow' } } });
  assert.equal([top.startFailed, top.stdout], [refused('evil'), '']);
  const nested = await runJob('/bin/true', [], { uploads: { 'sub/dir/ok': 'x', 'sub/dir/link': { symlink: '/root' } } });
  assert.is(nested.startFailed, refused('sub/dir/link'));
  // even a link that stays inside the uploads: a copy of it could be swapped meanwhile
  const inside = await runJob('/bin/true', [], { uploads: { 'ok.txt': 'x', same: { symlink: 'ok.txt' } } });
  assert.is(inside.startFailed, refused('same'));
});

rootTest(test, '#15 a host work dir that is itself a symlink is refused', async () => {
  const base = mkdtempSync(join(tmpdir(), 'joblet-link-'));
  mkdirSync(join(base, 'root'));
  symlinkSync('/etc', join(base, 'work'));
  try {
    const spec = { jobId: 'link', command: '/bin/ls', args: [], env: { PATH }, workDir: join(base, 'work'), isolation: { ...DEFAULT_ISOLATION, rootDir: join(base, 'root') } };
    const r = spawnSync(defaultLauncherPath(), launcherArgs(spec), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { PATH } });
    assert.is(r.status, 127);
    assert.is(r.output[3], `error open uploads ${join(base, 'work')}: ENOTDIR (not a directory; uploads must not be or contain symlinks)\nexited 127\n`);
    assert.is(r.stdout, '');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

rootTest(test, '#15 a work dir path inside the job with .. is refused before anything is mounted', async () => {
  const r = await runJob('/bin/true', [], { isolation: { workDir: '/work/../etc' } });
  assert.match(r.startFailed ?? '', /^args: EINVAL \(--workdir must not contain \. or \.\. components; usage: /);
});

test.after(closeExecutor);
test.run();
