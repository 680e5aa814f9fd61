/*
 * A few network namespaces made ahead of need, for launches with network=none. Making one costs
 * ~0.6 ms on the bench VM (the kernel initialises every per-namespace network subsystem); made
 * here while the spawner is idle, a launch only joins one with setns(2). Each namespace goes to
 * exactly one launch and is never handed out again, so no two jobs ever share one: the pool only
 * moves the creation in time.
 *
 * The spawner makes one by unsharing its own network namespace, bringing `lo` up, opening the
 * namespace, and returning to its original one with setns. It is single-threaded, so nothing
 * else of it runs in the new namespace meanwhile; failing to return is fatal, since every later
 * launch would inherit the wrong namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loopback.h"
#include "netns_pool.h"

#define POOL_SIZE 4

static int pool[POOL_SIZE];
static int pooled;
static int home = -1;  /* our own network namespace */
static int gave_up;    /* a fill failed: makes happen only on demand, where the errno is reported */

int netns_pool_init(void) {
  home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    gave_up = 1;
    return errno;
  }
  return 0;
}

static int make_one(int *out) {
  if (home < 0) return EBADF;
  if (unshare(CLONE_NEWNET) < 0) return errno;
  int err = loopback_up_errno();
  int fd = -1;
  if (!err) {
    fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) err = errno;
  }
  if (setns(home, CLONE_NEWNET) < 0) {
    dprintf(STDERR_FILENO, "joblet-spawner: setns back to our network namespace: %s\n", strerror(errno));
    exit(1);
  }
  if (err) return err;
  *out = fd;
  return 0;
}

int netns_pool_take(int *fd) {
  if (pooled > 0) {
    *fd = pool[--pooled];
    return 0;
  }
  return make_one(fd);
}

int netns_pool_wants_more(void) { return !gave_up && pooled < POOL_SIZE; }

void netns_pool_fill_one(void) {
  int fd = -1;
  if (make_one(&fd) != 0) gave_up = 1;
  else pool[pooled++] = fd;
}
