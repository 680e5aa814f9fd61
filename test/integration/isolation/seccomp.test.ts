// Isolation spec #12 (seccomp) on the real kernel: a probe compiled from probe.c makes each
// refused syscall directly inside a fully isolated job. The `off` profile runs the same probes to
// show the refusals come from our filter, not from missing privileges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeExecutor, probe, rootTest, sh } from './runJob.js';

// control 12's list, and the rest of the default profile that a probe can reach without side effects
const SPEC_REFUSED = ['unshare_user', 'mount', 'keyctl', 'bpf', 'perf_event_open', 'kexec_load', 'init_module', 'ptrace_parent', 'setns'];
const ALSO_REFUSED = ['unshare_net', 'umount', 'chroot', 'pivot_root', 'add_key', 'finit_module', 'clone_newns', 'io_uring_setup', 'userfaultfd', 'open_by_handle_at', 'fsopen'];
const ALLOWED = ['fork', 'thread', 'socket_inet', 'socket_unix', 'socket_netlink', 'personality'];
const STRICT_ONLY = ['personality', 'socket_netlink', 'kcmp'];

rootTest(test, '#12 default profile: Seccomp: 2 in /proc/self/status, filter installed once', async () => {
  const r = await sh('grep -E "^Seccomp(_filters)?:" /proc/self/status');
  assert.is(r.stdout, 'Seccomp:\t2\nSeccomp_filters:\t1\n', r.stderr + (r.startFailed ?? ''));
});

rootTest(test, '#12 default profile: every syscall the spec lists is refused with EPERM', async () => {
  const got = await probe([...SPEC_REFUSED, ...ALSO_REFUSED]);
  for (const name of [...SPEC_REFUSED, ...ALSO_REFUSED]) assert.is(got[name], 'EPERM', name);
});

rootTest(test, '#12 default profile: clone3 is ENOSYS so libc falls back to clone; fork and threads work', async () => {
  const got = await probe(['clone3', ...ALLOWED]);
  assert.is(got.clone3, 'ENOSYS');
  for (const name of ALLOWED) assert.is(got[name], 'OK', name);
});

rootTest(test, '#12 the x32 ABI is killed with SIGSYS, not run past the filter', async () => {
  const got = await probe(['x32_getpid']);
  assert.is(got.x32_getpid, 'SYS');
});

rootTest(test, '#12 the tools fail too: unshare -U and mount -t tmpfs', async () => {
  const r = await sh('unshare -U true; echo "unshare=$?"; mkdir -p /tmp/m; mount -t tmpfs x /tmp/m; echo "mount=$?"');
  assert.match(r.stdout, /^unshare=1\nmount=(1|32)\n$/);
  assert.match(r.stderr, /unshare failed: Operation not permitted/);
});

rootTest(test, 'strict profile: personality changes, netlink sockets and kcmp are refused too', async () => {
  const got = await probe([...STRICT_ONLY, 'socket_inet', 'socket_unix', 'fork', 'thread', 'keyctl'], { isolation: { seccomp: 'strict' } });
  assert.equal(
    { personality: got.personality, socket_netlink: got.socket_netlink, kcmp: got.kcmp, keyctl: got.keyctl },
    { personality: 'EPERM', socket_netlink: 'EAFNOSUPPORT', kcmp: 'EPERM', keyctl: 'EPERM' },
  );
  for (const name of ['socket_inet', 'socket_unix', 'fork', 'thread']) assert.is(got[name], 'OK', name);
});

rootTest(test, 'off profile: no filter, so the probes reach the kernel (keyctl works, clone3 is real)', async () => {
  const status = await sh('grep "^Seccomp:" /proc/self/status', { isolation: { seccomp: 'off' } });
  assert.is(status.stdout, 'Seccomp:\t0\n');
  const got = await probe(['keyctl', 'clone3', 'x32_getpid'], { isolation: { seccomp: 'off' } });
  assert.is(got.keyctl, 'OK');
  assert.is.not(got.clone3, 'ENOSYS');
  assert.is.not(got.x32_getpid, 'SYS');
});

test.after(closeExecutor);
test.run();
