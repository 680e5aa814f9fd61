/*
 * network=none: the job gets a network namespace of its own with only `lo`, up. Either init
 * makes it (unshare, then loopback.c), or it joins one the spawner made ahead of time with `lo`
 * already up (--netns-fd, netns_pool.c), which keeps the namespace's creation off the launch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <unistd.h>

#include "launcher.h"
#include "loopback.h"

int loopback_up(struct failure *f) {
  int err = loopback_up_errno();
  return err ? failf(f, err, NULL, "ioctl SIOCSIFFLAGS lo up") : 0;
}

int join_netns(int fd, struct failure *f) {
  /* setns checks that fd is a network namespace (EINVAL otherwise) */
  if (setns(fd, CLONE_NEWNET) < 0) return failf(f, errno, "--netns-fd must be a network namespace made for this job", "setns net");
  close(fd);
  return 0;
}
