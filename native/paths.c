/*
 * Mount points inside the job root, and the mount calls that report what failed. Every mount
 * point is created by walking its path one component at a time below an open fd of the root with
 * O_NOFOLLOW, so no symlink (ours, like /bin -> usr/bin, or anyone's) can send a mount outside
 * the root; the later mount(2) by path then resolves exactly the directories we just checked,
 * since nothing but init can write the root's tmpfs at this point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

static const char through_link[] = "a path inside the job root goes through a symlink or a file";

int make_mount_point(int root_fd, const char *path, int is_file, struct failure *f) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) return failf(f, ENAMETOOLONG, NULL, "mount point %s", path);
  strcpy(buf, path);
  int dfd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
  if (dfd < 0) return failf(f, errno, NULL, "dup root fd");
  char *save = NULL;
  for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    int last = save == NULL || *save == '\0';
    int fd;
    if (last && is_file) {
      fd = openat(dfd, c, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    } else {
      /* EEXIST comes before EROFS (path_resolution(7)), so existing dirs on a read-only bind pass */
      if (mkdirat(dfd, c, 0755) < 0 && errno != EEXIST) {
        int err = errno;
        close(dfd);
        return failf(f, err, NULL, "mkdir %s (component %s)", path, c);
      }
      fd = openat(dfd, c, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    }
    int err = errno;
    close(dfd);
    if (fd < 0) return failf(f, err, err == ELOOP || err == ENOTDIR ? through_link : NULL, "mount point %s (component %s)", path, c);
    dfd = fd;
  }
  close(dfd);
  return 0;
}

int in_root(char out[PATH_MAX], const char *root, const char *path, struct failure *f) {
  if (snprintf(out, PATH_MAX, "%s%s", root, path) >= PATH_MAX) return failf(f, ENAMETOOLONG, NULL, "%s in %s", path, root);
  return 0;
}

int mount_at(struct failure *f, const char *hint, const char *src, const char *dst, const char *type,
             unsigned long flags, const char *data) {
  if (mount(src, dst, type, flags, data) == 0) return 0;
  if (flags & MS_REMOUNT) return failf(f, errno, hint, "remount %s", dst);
  if (flags & MS_BIND) return failf(f, errno, hint, "bind mount %s on %s", src, dst);
  return failf(f, errno, hint, "mount %s on %s", type, dst);
}

/*
 * mount_setattr(2) (Linux 5.12) sets a mount's flags in one call, and with AT_RECURSIVE those of a
 * whole tree; it only sets what it is given, so the locked flags need no reading back. -1 with
 * errno ENOSYS where the kernel lacks it: callers then remount each mount as before. glibc's
 * wrapper is newer than the call, hence syscall(2).
 */
static int setattr_at(int dfd, const char *path, unsigned int at_flags, unsigned long long set) {
#ifdef SYS_mount_setattr
  struct mount_attr attr = {.attr_set = set};
  return (int)syscall(SYS_mount_setattr, dfd, path, at_flags, &attr, sizeof attr);
#else
  (void)dfd, (void)path, (void)at_flags, (void)set;
  errno = ENOSYS;
  return -1;
#endif
}

static unsigned long long mount_attrs(unsigned long ms_flags) {
  return MOUNT_ATTR_RDONLY | (ms_flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) | (ms_flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
         (ms_flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
}

int have_mount_setattr(void) {
  static int known = -1;
  /* a call that sets nothing changes nothing: 0 (or an error other than ENOSYS) where it exists */
  if (known < 0) known = setattr_at(-1, "", 0, 0) == 0 || errno != ENOSYS;
  return known;
}

int read_only_tree(struct failure *f, int root_fd, const char *root, unsigned long extra) {
  if (setattr_at(root_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, mount_attrs(extra)) == 0) return 0;
  return failf(f, errno, NULL, "mount_setattr -R ro %s", root);
}

/*
 * Read-only takes two calls: MS_BIND ignores every other flag, and only a MS_BIND|MS_REMOUNT
 * changes the new mount's own flags (mount(2)). The remount must repeat the flags the source mount
 * already has that the kernel locks (nosuid, nodev, noexec, atime: in a user namespace it refuses
 * to clear them with EPERM), so they are read back with statvfs(3) and kept.
 */
int bind_read_only(struct failure *f, const char *src, const char *dst, unsigned long extra) {
  if (mount_at(f, NULL, src, dst, NULL, MS_BIND, NULL) < 0) return -1;
  if (have_mount_setattr()) {
    if (setattr_at(AT_FDCWD, dst, AT_SYMLINK_NOFOLLOW, mount_attrs(extra)) == 0) return 0;
    return failf(f, errno, NULL, "mount_setattr ro %s", dst);
  }
  struct statvfs sv;
  if (statvfs(dst, &sv) < 0) return failf(f, errno, NULL, "statvfs %s", dst);
  static const struct { unsigned long st, ms; } keep[] = {
      {ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
      {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | extra;
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (sv.f_flag & keep[i].st) flags |= keep[i].ms;
  return mount_at(f, NULL, NULL, dst, NULL, flags, NULL);
}
