/*
 * Test helper run INSIDE a job (compiled by the isolation tests with the host's cc and uploaded
 * into the work dir): makes the syscalls the isolation spec says must be refused, directly through
 * syscall(2) so no tool's own checks hide what the kernel answers, and prints one line per probe:
 * "<name>=OK", "<name>=<ERRNO_NAME>" or, for a probe run in a child, "<name>=<SIGNAL>" (SYS: the
 * child was killed by SIGSYS).   usage: probe NAME...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static long ok_or_errno(long rc) { return rc < 0 ? errno : 0; }

static void *thread_main(void *arg) { return arg; }

static long probe(const char *n) {
  if (!strcmp(n, "unshare_user")) return ok_or_errno(syscall(SYS_unshare, CLONE_NEWUSER));
  if (!strcmp(n, "unshare_net")) return ok_or_errno(syscall(SYS_unshare, CLONE_NEWNET));
  if (!strcmp(n, "mount")) return ok_or_errno(syscall(SYS_mount, "x", "/tmp", "tmpfs", 0L, NULL));
  if (!strcmp(n, "umount")) return ok_or_errno(syscall(SYS_umount2, "/tmp", 0L));
  if (!strcmp(n, "chroot")) return ok_or_errno(syscall(SYS_chroot, "/tmp"));
  if (!strcmp(n, "pivot_root")) return ok_or_errno(syscall(SYS_pivot_root, "/tmp", "/tmp"));
  /* KEYCTL_GET_KEYRING_ID of the session keyring, creating it: succeeds for anyone without a filter */
  if (!strcmp(n, "keyctl")) return ok_or_errno(syscall(SYS_keyctl, 0L, -3L, 1L));
  if (!strcmp(n, "add_key")) return ok_or_errno(syscall(SYS_add_key, "user", "probe", "x", 1L, -3L));
  if (!strcmp(n, "bpf")) return ok_or_errno(syscall(SYS_bpf, 0L, NULL, 0L));
  if (!strcmp(n, "perf_event_open")) {
    struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE, .size = sizeof a, .config = PERF_COUNT_SW_TASK_CLOCK, .exclude_kernel = 1};
    return ok_or_errno(syscall(SYS_perf_event_open, &a, 0L, -1L, -1L, 0L));
  }
  if (!strcmp(n, "kexec_load")) return ok_or_errno(syscall(SYS_kexec_load, 0L, 0L, NULL, 0L));
  if (!strcmp(n, "init_module")) return ok_or_errno(syscall(SYS_init_module, NULL, 0L, ""));
  if (!strcmp(n, "finit_module")) return ok_or_errno(syscall(SYS_finit_module, 0L, "", 0L));
  if (!strcmp(n, "setns")) {
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    return ok_or_errno(syscall(SYS_setns, fd, 0L));
  }
  /* a non-child: our parent (the shell that ran us, same uid) */
  if (!strcmp(n, "ptrace_parent")) return ok_or_errno(syscall(SYS_ptrace, PTRACE_ATTACH, (long)getppid(), NULL, NULL));
  if (!strcmp(n, "clone_newns")) {
    long pid = syscall(SYS_clone, (long)(CLONE_NEWNS | SIGCHLD), NULL, NULL, NULL, 0L);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return ok_or_errno(pid);
  }
  if (!strcmp(n, "clone3")) return ok_or_errno(syscall(SYS_clone3, NULL, 0L));
  if (!strcmp(n, "io_uring_setup")) return ok_or_errno(syscall(SYS_io_uring_setup, 1L, NULL));
  if (!strcmp(n, "userfaultfd")) return ok_or_errno(syscall(SYS_userfaultfd, 0L));
  if (!strcmp(n, "open_by_handle_at")) return ok_or_errno(syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0L));
  if (!strcmp(n, "fsopen")) return ok_or_errno(syscall(SYS_fsopen, "tmpfs", 0L));
  if (!strcmp(n, "fork")) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, NULL, 0);
    return ok_or_errno(pid);
  }
  if (!strcmp(n, "thread")) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, thread_main, NULL);
    if (rc == 0) pthread_join(t, NULL);
    return rc;
  }
  if (!strcmp(n, "mknod")) return ok_or_errno(mknod("/tmp/probe-null", S_IFCHR | 0666, makedev(1, 3)));
  if (!strcmp(n, "personality")) return ok_or_errno(personality(ADDR_NO_RANDOMIZE));
  if (!strcmp(n, "socket_netlink")) return ok_or_errno(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!strcmp(n, "socket_inet")) return ok_or_errno(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!strcmp(n, "socket_unix")) return ok_or_errno(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!strcmp(n, "kcmp")) return ok_or_errno(syscall(SYS_kcmp, (long)getpid(), (long)getpid(), 0L, 0L, 0L));
  /* the launcher's init is pid 1 of the job's pid namespace */
  if (!strcmp(n, "open_pid1_exe_w")) return ok_or_errno(open("/proc/1/exe", O_WRONLY | O_CLOEXEC));
  if (!strcmp(n, "open_pid1_exe_r")) return ok_or_errno(open("/proc/1/exe", O_RDONLY | O_CLOEXEC));
  if (!strcmp(n, "open_pid1_root")) return ok_or_errno(open("/proc/1/root/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!strcmp(n, "kill_pid1")) return ok_or_errno(kill(1, SIGKILL));
  if (!strcmp(n, "open_self_exe_w")) return ok_or_errno(open("/proc/self/exe", O_WRONLY | O_CLOEXEC));
  if (!strcmp(n, "tiocsti")) {
    /* TIOCSTI pushes input into a terminal; without a controlling terminal there is none to reach */
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    return fd < 0 ? errno : 0;
  }
  /* the x32 ABI (bit 30 set in nr) must kill, not run a call our filter never checked */
  if (!strcmp(n, "x32_getpid")) {
    pid_t pid = fork();
    if (pid == 0) _exit(syscall(0x40000000L | SYS_getpid) < 0 ? 100 : 0);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return errno;
    if (WIFSIGNALED(st)) return -2 - WTERMSIG(st);
    return WEXITSTATUS(st) == 100 ? ENOSYS : 0;
  }
  return -1;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long r = probe(argv[i]);
    if (r == -1) printf("%s=UNKNOWN\n", argv[i]);
    else if (r < -1) printf("%s=%s\n", argv[i], sigabbrev_np((int)(-2 - r)));
    else if (r == 0) printf("%s=OK\n", argv[i]);
    else printf("%s=%s\n", argv[i], strerrorname_np((int)r));
  }
  return 0;
}
