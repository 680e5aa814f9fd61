/*
 * A fresh /proc for the job's pid namespace and a read-only /sys, with the paths that leak host
 * state or offer kernel knobs masked or made read-only (the same lists as runc/Docker's defaults).
 *
 * Decisions:
 * - hidepid=2 ("invisible", proc(5)): the job's user sees only its own processes, so our init
 *   (root, pid 1) is not even listed; init is also non-dumpable, so its /proc entries stay
 *   root-owned and unopenable should a mount ever show it.
 * - /sys is mounted (read-only): runtimes and tools read CPU topology and the like from it; it is
 *   a fresh sysfs, so the host's submounts (cgroupfs, debugfs, securityfs, bpffs) are absent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "launcher.h"

/* unreadable: files get /dev/null on top, dirs an empty read-only tmpfs */
static const char *const masked[] = {
    "/proc/acpi",      "/proc/asound",     "/proc/kcore",         "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",      "/sys/firmware",    "/sys/devices/virtual/powercap",
};

/* readable, never writable, even should the job regain a capability */
static const char *const read_only[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

#define N(a) (sizeof a / sizeof a[0])

static int mask(const char *root, const char *p, struct failure *f) {
  char dst[PATH_MAX];
  if (in_root(dst, root, p, f) < 0) return -1;
  struct stat st;
  if (lstat(dst, &st) < 0) return errno == ENOENT ? 0 : failf(f, errno, NULL, "lstat %s", dst);
  if (S_ISDIR(st.st_mode))
    return mount_at(f, NULL, "joblet-masked", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555");
  return mount_at(f, NULL, "/dev/null", dst, NULL, MS_BIND, NULL);
}

int build_proc_sys(const char *root, int root_fd, struct failure *f) {
  char path[PATH_MAX];
  if (make_mount_point(root_fd, "/proc", 0, f) < 0) return -1;
  if (in_root(path, root, "/proc", f) < 0) return -1;
  /* init is pid 1 of the new pid ns, so this procfs shows that namespace (pid_namespaces(7)) */
  if (mount_at(f, NULL, "proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") < 0) return -1;

  if (make_mount_point(root_fd, "/sys", 0, f) < 0) return -1;
  if (in_root(path, root, "/sys", f) < 0) return -1;
  if (mount_at(f, NULL, "sysfs", path, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) return -1;

  for (size_t i = 0; i < N(read_only); i++) {
    if (in_root(path, root, read_only[i], f) < 0) return -1;
    struct stat st;
    if (lstat(path, &st) < 0) {
      if (errno == ENOENT) continue;
      return failf(f, errno, NULL, "lstat %s", path);
    }
    if (bind_read_only(f, path, path, MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0) return -1;
  }
  for (size_t i = 0; i < N(masked); i++)
    if (mask(root, masked[i], f) < 0) return -1;
  return 0;
}
