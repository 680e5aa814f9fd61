/*
 * The job root, built by init inside its private mount namespace and then made "/" with
 * pivot_root(2). Ordered steps:
 *
 *   1. a small tmpfs on --root: the skeleton that holds only mount points (read-only at the end)
 *   2. each --ro-bind host path, read-only, nosuid, nodev, at the same path inside
 *   3. the work dir: a size-capped tmpfs owned by the job's user, uploads copied in
 *   4. /tmp: a size-capped tmpfs
 *   5. a minimal /dev (devfs.c), a fresh /proc with masked paths and a read-only /sys (procfs.c)
 *   6. pivot_root into it and detach the host's tree
 *
 * Nothing here propagates to the host: init made "/" rprivate first (mount_namespaces(7)), and
 * the whole tree goes away with the namespace when the job's last process exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

static int relative_inside(const char *target) {
  if (target[0] == '/') return 0;
  for (const char *p = target; (p = strstr(p, "..")) != NULL; p += 2)
    if ((p == target || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) return 0;
  return 1;
}

/*
 * A host path that is a relative symlink staying below its own dir (merged /usr: /bin -> usr/bin)
 * is recreated as the same symlink, so the job sees the host's layout; any other symlink
 * (/etc/resolv.conf -> /run/...) is bind-mounted as what it resolves to. Missing paths are skipped.
 */
static int add_system_path(const char *root, int root_fd, const char *path, int defer_ro, struct failure *f) {
  char dst[PATH_MAX];
  if (in_root(dst, root, path, f) < 0) return -1;
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : failf(f, errno, NULL, "lstat %s", path);
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) return failf(f, errno, NULL, "readlink %s", path);
    target[n] = '\0';
    if (relative_inside(target)) {
      char parent[PATH_MAX];
      strcpy(parent, path);
      *strrchr(parent, '/') = '\0';
      if (make_mount_point(root_fd, parent, 0, f) < 0) return -1;
      if (symlink(target, dst) < 0) return failf(f, errno, NULL, "symlink %s -> %s", dst, target);
      return 0;
    }
    if (stat(path, &st) < 0) return errno == ENOENT ? 0 : failf(f, errno, NULL, "stat %s", path);
  }
  if (make_mount_point(root_fd, path, !S_ISDIR(st.st_mode), f) < 0) return -1;
  if (defer_ro) return mount_at(f, NULL, path, dst, NULL, MS_BIND, NULL); /* read-only with the skeleton (build_root) */
  return bind_read_only(f, path, dst, MS_NOSUID | MS_NODEV);
}

static int mount_tmpfs(const char *root, int root_fd, const char *path, const char *data, unsigned long flags,
                       struct failure *f) {
  char dst[PATH_MAX];
  if (in_root(dst, root, path, f) < 0 || make_mount_point(root_fd, path, 0, f) < 0) return -1;
  return mount_at(f, NULL, "tmpfs", dst, "tmpfs", flags, data);
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one, so one umount2(MNT_DETACH) of
 * "." removes the whole host tree without a put_old directory (pivot_root(2), NOTES). glibc has
 * no wrapper, hence syscall(2).
 */
static int pivot(const char *root, struct failure *f) {
  if (chdir(root) < 0) return failf(f, errno, NULL, "chdir %s", root);
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return failf(f, errno, errno == EINVAL ? "is the new root a mount point, and / not shared?" : NULL, "pivot_root %s", root);
  if (umount2(".", MNT_DETACH) < 0) return failf(f, errno, NULL, "umount2 old root");
  if (chdir("/") < 0) return failf(f, errno, NULL, "chdir / after pivot_root");
  return 0;
}

int build_root(const struct launch_opts *o, struct failure *f) {
  const char *root = o->root;
  char data[128];

  /* 1. the skeleton; 1 MiB holds thousands of empty mount points */
  if (mount_at(f, "is --root an existing directory?", "joblet-root", root, "tmpfs", MS_NOSUID | MS_NODEV,
               "size=1m,mode=0755") < 0)
    return -1;
  int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return failf(f, errno, NULL, "open %s", root);

  /* 2. the host's system dirs. With mount_setattr(2) they and the skeleton become read-only in
   *    one call once bound (2b); without it each bind is remounted read-only on its own, and the
   *    skeleton at the end (6). */
  int tree_ro = have_mount_setattr();
  for (int i = 0; i < o->n_ro_binds; i++)
    if (add_system_path(root, root_fd, o->ro_binds[i], tree_ro, f) < 0) goto fail;

  /* 2b. the mount points of what stays writable or comes later are made first: the skeleton is
   *     read-only from here (make_mount_point passes over existing dirs of a read-only tree) */
  if (tree_ro) {
    const char *later[] = {o->workdir, "/tmp", "/dev", "/proc", "/sys"};
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
      if (make_mount_point(root_fd, later[i], 0, f) < 0) goto fail;
    if (read_only_tree(f, root_fd, root, MS_NOSUID | MS_NODEV) < 0) goto fail;
  }

  /* 3. the work dir, writable by the job's user only; exec stays allowed there (jobs run the code
   *    they upload), setuid bits and device nodes do not work */
  snprintf(data, sizeof data, "size=%llu,mode=0755,uid=%ld,gid=%ld", o->work_size, o->uid < 0 ? 0 : o->uid,
           o->gid < 0 ? 0 : o->gid);
  if (mount_tmpfs(root, root_fd, o->workdir, data, MS_NOSUID | MS_NODEV, f) < 0) goto fail;
  if (o->uploads) {
    char dst[PATH_MAX];
    if (in_root(dst, root, o->workdir, f) < 0) goto fail;
    if (copy_uploads(o->uploads, dst, (uid_t)(o->uid < 0 ? 0 : o->uid), (gid_t)(o->gid < 0 ? 0 : o->gid), f) < 0)
      goto fail;
  }

  /* 4. /tmp: sticky and world-writable like any /tmp; not noexec, which breaks build tools and
   *    JITs that write and run code there, while the work dir is executable anyway */
  snprintf(data, sizeof data, "size=%llu,mode=1777", o->tmp_size);
  if (mount_tmpfs(root, root_fd, "/tmp", data, MS_NOSUID | MS_NODEV, f) < 0) goto fail;

  /* 5. /dev (its /dev/shm gets the same cap as /tmp), /proc, /sys */
  if (build_dev(root, root_fd, o->tmp_size, f) < 0) goto fail;
  if (build_proc_sys(root, root_fd, f) < 0) goto fail;

  /* 6. no new files in the skeleton from here on (done in 2b where it could be), then make it "/" */
  close(root_fd);
  if (!tree_ro && mount_at(f, NULL, NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    return -1;
  return pivot(root, f);

fail:
  close(root_fd);
  return -1;
}
