/*
 * Joining the job's cgroups before any code of the job runs, so the job and everything it forks
 * is limited from its first instruction, and before unshare(CLONE_NEWCGROUP): the new cgroup
 * namespace is rooted at the cgroups init is in at that moment, so the job's /proc/self/cgroup
 * shows "/" (cgroup_namespaces(7)).
 *
 * Moving a process into a cgroup through cgroup.procs takes the kernel-wide threadgroup rwsem
 * for writing, which waits for an RCU grace period (milliseconds, tens under load). Two ways
 * around it, measured on this project's hybrid host (see native/README.md):
 * - cgroup v2: the launcher forks init straight into the cgroup with clone3(CLONE_INTO_CGROUP)
 *   (Linux >= 5.7); older kernels fall back to a cgroup.procs write by init.
 * - cgroup v1: init writes "0" to the `tasks` file, which moves one thread: the kernel skips the
 *   rwsem when a single thread moves itself (kernel/cgroup/cgroup.c, cgroup_procs_write_start),
 *   and init is single-threaded, so it is the same move as a cgroup.procs write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/* struct clone_args up to CLONE_ARGS_SIZE_VER2 (clone(2)); ours, so no <linux/sched.h> clashes */
struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static const char *hint_for(int err) {
  switch (err) {
  case ENOENT: return "does the cgroup exist? the daemon creates it before the launch";
  case EBUSY: return "a cgroup v2 dir with controllers enabled for children cannot hold processes";
  case EOPNOTSUPP: return "a cgroup v2 dir must be a domain cgroup, not threaded";
  case EACCES: return "the launcher must run as root";
  default: return NULL;
  }
}

int open_cgroup_v2(struct launch_opts *o, int *fd, struct failure *f) {
  o->cgroup_v2 = -1;
  *fd = -1;
  for (int i = 0; i < o->n_cgroups; i++) {
    struct statfs sf;
    if (statfs(o->cgroups[i], &sf) < 0) return failf(f, errno, hint_for(errno), "join cgroup %s", o->cgroups[i]);
    if (sf.f_type != CGROUP2_SUPER_MAGIC) continue;
    /* a process is in exactly one cgroup of the unified hierarchy */
    if (o->cgroup_v2 >= 0) return failf(f, EINVAL, "pass at most one cgroup v2 dir", "join cgroup %s", o->cgroups[i]);
    o->cgroup_v2 = i;
  }
  if (o->cgroup_v2 < 0) return 0;
  *fd = open(o->cgroups[o->cgroup_v2], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0) return failf(f, errno, hint_for(errno), "join cgroup %s", o->cgroups[o->cgroup_v2]);
  return 0;
}

pid_t fork_init(struct launch_opts *o, int cgroup_fd, struct failure *f) {
  o->cgroup_v2_joined = 0;
  if (cgroup_fd >= 0) {
    struct clone_args_v2 a = {.flags = CLONE_INTO_CGROUP_FLAG, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd};
    long pid = syscall(SYS_clone3, &a, sizeof a);
    if (pid >= 0) {
      o->cgroup_v2_joined = 1; /* in both the parent and the child */
      return (pid_t)pid;
    }
    /* ENOSYS: no clone3 (< 5.3); EINVAL/E2BIG: no CLONE_INTO_CGROUP (< 5.7). Else a real refusal. */
    if (errno != ENOSYS && errno != EINVAL && errno != E2BIG)
      return failf(f, errno, hint_for(errno), "clone3 into cgroup %s", o->cgroups[o->cgroup_v2]);
  }
  pid_t pid = fork();
  if (pid < 0) return failf(f, errno, NULL, "fork init");
  return pid;
}

int join_cgroups(const struct launch_opts *o, struct failure *f) {
  for (int i = 0; i < o->n_cgroups; i++) {
    if (i == o->cgroup_v2 && o->cgroup_v2_joined) continue;
    char path[PATH_MAX];
    const char *file = i == o->cgroup_v2 ? "cgroup.procs" : "tasks";
    if (snprintf(path, sizeof path, "%s/%s", o->cgroups[i], file) >= (int)sizeof path)
      return failf(f, ENAMETOOLONG, NULL, "join cgroup %s", o->cgroups[i]);
    /* O_NOFOLLOW: cgroupfs has no symlinks, so one here is not a cgroup */
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return failf(f, errno, hint_for(errno), "join cgroup %s", o->cgroups[i]);
    ssize_t n = write(fd, "0", 1);
    int err = n < 0 ? errno : EIO;
    close(fd);
    if (n != 1) return failf(f, err, hint_for(err), "join cgroup %s", o->cgroups[i]);
  }
  return 0;
}
