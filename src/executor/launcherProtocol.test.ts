import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter, launcherArgs, parseStatusLine, signalName, signalNumber } from './launcherProtocol.js';
import { DEFAULT_ISOLATION, DEFAULT_SYSTEM_DIRS } from './types.js';

const spec = { jobId: 'j1', command: 'echo', args: ['a b', '--', '-x'], env: {}, workDir: '/w', stateDir: '/d/jobs/j1' };

test('launcherArgs passes the work dir, state dir and hostname before --', () => {
  assert.equal(launcherArgs({ ...spec, hostname: 'box' }), ['--workdir', '/w', '--state-dir', '/d/jobs/j1', '--hostname', 'box', '--', 'echo', 'a b', '--', '-x']);
});

test('launcherArgs leaves the hostname and output cap out when none is asked for', () => {
  assert.equal(launcherArgs(spec), ['--workdir', '/w', '--state-dir', '/d/jobs/j1', '--', 'echo', 'a b', '--', '-x']);
});

test('launcherArgs without a state dir asks for the direct mode: status lines on fd 3', () => {
  const { stateDir: _none, ...direct } = spec;
  assert.equal(launcherArgs(direct), ['--workdir', '/w', '--status-fd', '3', '--', 'echo', 'a b', '--', '-x']);
});

test('launcherArgs passes the output cap', () => {
  assert.equal(launcherArgs({ ...spec, maxOutputBytes: 1024 }).slice(0, 6), ['--workdir', '/w', '--state-dir', '/d/jobs/j1', '--max-output', '1024']);
});

test('launcherArgs passes a spool file outside the state dir; without a state dir it is refused', () => {
  assert.equal(launcherArgs({ ...spec, spoolFile: '/d/jobs/j1/output.spool' }).slice(0, 6), ['--workdir', '/w', '--state-dir', '/d/jobs/j1', '--spool', '/d/jobs/j1/output.spool']);
  assert.throws(() => launcherArgs({ ...spec, stateDir: undefined, spoolFile: '/s' }), /spool file needs a state dir/);
});

test('launcherArgs keeps a command that looks like an option after --', () => {
  const args = launcherArgs({ ...spec, command: '--workdir', args: [] });
  assert.equal(args.slice(args.indexOf('--')), ['--', '--workdir']);
});

test('launcherArgs maps every isolation field and cgroup dir to its flag', () => {
  const isolation = { rootDir: '/d/jobs/j1/root', systemDirs: ['/usr', '/etc/hosts'], workDir: '/work', workSizeBytes: 4096, tmpSizeBytes: 8192, uid: 1000, gid: 1001, seccomp: 'strict' as const, network: 'none' as const };
  assert.equal(launcherArgs({ ...spec, isolation, cgroupDirs: ['/sys/fs/cgroup/pids/j1', '/sys/fs/cgroup/memory/j1'] }), [
    '--workdir', '/work', '--state-dir', '/d/jobs/j1',
    '--cgroup', '/sys/fs/cgroup/pids/j1', '--cgroup', '/sys/fs/cgroup/memory/j1',
    '--root', '/d/jobs/j1/root', '--uploads', '/w', '--work-size', '4096', '--tmp-size', '8192',
    '--ro-bind', '/usr', '--ro-bind', '/etc/hosts',
    '--uid', '1000', '--gid', '1001', '--seccomp', 'strict', '--network', 'none',
    '--', 'echo', 'a b', '--', '-x',
  ]);
});

test('launcherArgs passes a namespace fd only with network none, and no work dir without uploads', () => {
  const isolation = { rootDir: '/r', systemDirs: [], workDir: '/work', workSizeBytes: 1, tmpSizeBytes: 1, uid: 1, gid: 1, seccomp: 'default' as const };
  const none = launcherArgs({ ...spec, workDir: undefined, isolation: { ...isolation, network: 'none' } }, { netnsFd: 3 });
  assert.ok(none.join(' ').includes('--network none --netns-fd 3 --'), none.join(' '));
  assert.not.ok(none.includes('--uploads'));
  const host = launcherArgs({ ...spec, isolation: { ...isolation, network: 'host' } }, { netnsFd: 3 });
  assert.not.ok(host.includes('--netns-fd'), 'a job on the host network joins no other namespace');
  assert.throws(() => launcherArgs({ ...spec, stateDir: undefined, isolation: { ...isolation, network: 'none' } }, { netnsFd: 3 }), /fd 3 cannot carry both/);
  const held = launcherArgs({ ...spec, isolation: { ...isolation, network: 'none' } }, { holdFd: 4 });
  assert.ok(held.join(' ').includes('--hold-fd 4'), held.join(' '));
  assert.not.ok(launcherArgs(spec).includes('--hold-fd'), 'only a held launch waits');
});

test('DEFAULT_ISOLATION drops to nobody with seccomp and no network', () => {
  assert.equal([DEFAULT_ISOLATION.uid, DEFAULT_ISOLATION.gid, DEFAULT_ISOLATION.seccomp, DEFAULT_ISOLATION.network, DEFAULT_ISOLATION.workDir], [65534, 65534, 'default', 'none', '/work']);
  assert.equal(DEFAULT_ISOLATION.systemDirs, [...DEFAULT_SYSTEM_DIRS]);
  assert.ok(DEFAULT_SYSTEM_DIRS.includes('/usr') && DEFAULT_SYSTEM_DIRS.includes('/etc/resolv.conf'));
});

test('parseStatusLine reads every line the launcher writes', () => {
  assert.equal(parseStatusLine('started 4242'), { kind: 'started', pid: 4242 });
  assert.equal(parseStatusLine('error mount /proc: EPERM (operation not permitted)'), { kind: 'error', reason: 'mount /proc: EPERM (operation not permitted)' });
  assert.equal(parseStatusLine('exited 0'), { kind: 'exited', code: 0 });
  assert.equal(parseStatusLine('exited 255'), { kind: 'exited', code: 255 });
  assert.equal(parseStatusLine('killed 9'), { kind: 'killed', signal: 9 });
});

test('parseStatusLine rejects what the launcher never writes', () => {
  for (const bad of ['', 'started', 'started 0', 'started -1', 'started 12x', 'exited 256', 'killed 0', 'killed 200', 'error', 'hello 1']) {
    assert.throws(() => parseStatusLine(bad), /launcher status line/, bad);
  }
});

test('signal names and numbers round-trip on this platform', () => {
  assert.is(signalName(9), 'SIGKILL');
  assert.is(signalName(15), 'SIGTERM');
  assert.is(signalNumber('SIGTERM'), 15);
  assert.is(signalName(64), undefined);
});

test('LineSplitter keeps partial lines until their newline arrives', () => {
  const s = new LineSplitter();
  assert.equal(s.push('started 1'), []);
  assert.equal(s.push('2\nexit'), ['started 12']);
  assert.equal(s.push('ed 0\n'), ['exited 0']);
  assert.is(s.rest(), '');
  s.push('killed 9');
  assert.is(s.rest(), 'killed 9');
});

test.run();
