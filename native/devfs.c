/*
 * A minimal /dev: a tmpfs holding bind mounts of six harmless host device nodes, a private devpts
 * instance, a /dev/shm tmpfs and the usual symlinks. The job cannot add devices: the tmpfs is
 * nodev and read-only once built, the job has no CAP_MKNOD, and its other writable mounts are
 * nodev too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <unistd.h>

#include "launcher.h"

static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
  const char *name, *target;
} links[] = {
    {"fd", "/proc/self/fd"},        {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},  {"ptmx", "pts/ptmx"},
};

int build_dev(const char *root, int root_fd, unsigned long long shm_size, struct failure *f) {
  char dev[PATH_MAX], path[PATH_MAX], data[64];
  if (in_root(dev, root, "/dev", f) < 0) return -1;
  if (make_mount_point(root_fd, "/dev", 0, f) < 0) return -1;
  if (mount_at(f, NULL, "joblet-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "size=64k,mode=0755") < 0)
    return -1;

  /* a bind mount of a device node is a mount of its own, without the tmpfs's nodev; it keeps the
   * host /dev's flags, and nosuid/noexec would mean nothing on a device node (execve(2) runs only
   * regular files) */
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    char host[64]; /* the same path on the host and inside */
    snprintf(host, sizeof host, "/dev/%s", devices[i]);
    if (make_mount_point(root_fd, host, 1, f) < 0 || in_root(path, root, host, f) < 0) return -1;
    if (mount_at(f, "does the host have this device?", host, path, NULL, MS_BIND, NULL) < 0) return -1;
  }

  /* newinstance: the job's ptys are its own, invisible to the host and other jobs (devpts docs);
   * ptmxmode=0666 because the job's user must be able to open a pty through /dev/ptmx */
  if (make_mount_point(root_fd, "/dev/pts", 0, f) < 0) return -1;
  if (in_root(path, root, "/dev/pts", f) < 0) return -1;
  if (mount_at(f, NULL, "devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
    return -1;

  /* POSIX shared memory lives here (shm_overview(7)); noexec as Docker does */
  if (make_mount_point(root_fd, "/dev/shm", 0, f) < 0) return -1;
  if (in_root(path, root, "/dev/shm", f) < 0) return -1;
  snprintf(data, sizeof data, "size=%llu,mode=1777", shm_size);
  if (mount_at(f, NULL, "shm", path, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, data) < 0) return -1;

  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "/dev/%s", links[i].name);
    if (in_root(path, root, name, f) < 0) return -1;
    if (symlink(links[i].target, path) < 0) return failf(f, errno, NULL, "symlink %s -> %s", path, links[i].target);
  }
  return mount_at(f, NULL, NULL, dev, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
}
