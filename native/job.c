/*
 * The job process: a child of init inside the new namespaces and, with --root, already in the
 * job root. Ordered steps, each reported as {step, errno} over the sync socket if it fails; the
 * last one is execvp.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * Every fd above 2 must be gone at exec, or the job could reach the daemon's files
 * (the runc CVE-2024-21626 class). Marking them close-on-exec instead of closing keeps the sync
 * socket usable until exec succeeds. close_range(2) with CLOSE_RANGE_CLOEXEC needs Linux 5.11;
 * older kernels get the same effect through /proc/self/fd (our fresh /proc, mounted by init).
 */
static int cloexec_all_above_stderr(void) {
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
  if (errno != ENOSYS && errno != EINVAL) return -1;
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end != '\0' || fd <= 2) continue;
    int flags = fcntl((int)fd, F_GETFD);
    if (flags >= 0) fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
  }
  closedir(d);
  return 0;
}

/*
 * Sends our pid with SCM_CREDENTIALS. Inside the new pid ns we only know our own pid there; the
 * kernel rewrites the pid into the receiver's pid namespace (unix(7), "SCM_CREDENTIALS"), which
 * gives the launcher the job's host pid without scanning /proc.
 */
static int send_pid(int sync_fd) {
  char type = MSG_PID;
  struct iovec iov = {.iov_base = &type, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
  memcpy(CMSG_DATA(c), &cred, sizeof cred);
  ssize_t n;
  do n = sendmsg(sync_fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -1;
}

void run_job(const struct launch_opts *o, int sync_fd, const sigset_t *orig_mask) {
  struct failure f;

  /* 1. signals as the daemon handed them to us (dispositions, mask) */
  reset_signals(orig_mask);

  /* 2. own session: no controlling terminal, cannot inject into one (isolation spec #25) */
  if (setsid() < 0) die_errno(sync_fd, "setsid", errno);

  /* 3. no fd above 2 survives exec (the sync socket goes with it: that EOF means "exec worked");
   *    before the privilege drop, since the /proc fallback needs to read our fd table */
  if (cloexec_all_above_stderr() < 0) die_errno(sync_fd, "close fds", errno);

  /* 4. the job's user, no capabilities, no_new_privs (privileges.c) */
  if (drop_privileges(o, &f) < 0) die(sync_fd, &f);

  /* 5. work dir, as the job's user, then prove the cwd is reachable from our root: getcwd(3)
   *    fails with ENOENT when the cwd lies outside it (the check runc added for CVE-2024-21626) */
  if (o->workdir && chdir(o->workdir) < 0) {
    failf(&f, errno, NULL, "chdir %s", o->workdir);
    die(sync_fd, &f);
  }
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) die_errno(sync_fd, "getcwd after chdir", errno);

  /* 6. tell the launcher who we are; a failure after this still wins over the pid */
  if (send_pid(sync_fd) < 0) die_errno(sync_fd, "send pid", errno);

  /* 7. the seccomp filter last, so nothing of ours runs under it but execve (seccomp.c) */
  if (install_seccomp(o->seccomp, &f) < 0) die(sync_fd, &f);

  /* 8. become the command */
  execvp(o->argv[0], o->argv);
  failf(&f, errno, NULL, "exec %s", o->argv[0]);
  die(sync_fd, &f);
}
