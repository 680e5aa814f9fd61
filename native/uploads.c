/*
 * Copies the job's uploads (the daemon's host work dir) into the work tmpfs. Init runs this as
 * root before the pivot, so it must never read more than the upload tree itself:
 * - every open is relative to an already-open directory and uses O_NOFOLLOW, and the file type
 *   is checked on the opened fd, so a symlink (isolation spec #15) or a path swapped for one
 *   meanwhile is refused, never followed to a host file;
 * - only regular files and directories are copied; fifos, sockets and devices are refused;
 * - modes keep their rwx bits only (no setuid, setgid or sticky), owner is the job's user.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

/* deep enough for any real tree, shallow enough that two fds per level stay far from RLIMIT_NOFILE */
#define MAX_DEPTH 64

static const char no_links[] = "uploads must not be or contain symlinks";

struct copy {
  uid_t uid;
  gid_t gid;
  struct failure *f;
  char rel[PATH_MAX]; /* the entry being copied, relative to the uploads dir, for messages */
};

static int copy_dir(struct copy *c, int src, int dst, int depth);

static int copy_file(struct copy *c, int src, int dst, const char *name) {
  int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) return failf(c->f, errno, errno == ELOOP ? no_links : NULL, "copy upload %s", c->rel);
  struct stat st;
  int out = -1, rc = -1;
  if (fstat(in, &st) < 0) { failf(c->f, errno, NULL, "copy upload %s", c->rel); goto out; }
  if (!S_ISREG(st.st_mode)) { failf(c->f, EINVAL, "only regular files and directories are uploaded", "copy upload %s", c->rel); goto out; }
  out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) { failf(c->f, errno, NULL, "create %s in the work dir", c->rel); goto out; }
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 30);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failf(c->f, errno, errno == ENOSPC ? "the uploads exceed the work dir's size cap" : NULL, "copy upload %s", c->rel);
      goto out;
    }
  }
  if (fchown(out, c->uid, c->gid) < 0 || fchmod(out, st.st_mode & 0777) < 0) {
    failf(c->f, errno, NULL, "chown/chmod %s in the work dir", c->rel);
    goto out;
  }
  rc = 0;
out:
  if (out >= 0) close(out);
  close(in);
  return rc;
}

static int copy_entry(struct copy *c, int src, int dst, const char *name, int depth) {
  size_t len = strlen(c->rel);
  if (snprintf(c->rel + len, sizeof c->rel - len, "%s%s", len ? "/" : "", name) >= (int)(sizeof c->rel - len))
    return failf(c->f, ENAMETOOLONG, NULL, "copy upload %s", c->rel);
  struct stat st;
  int rc = -1;
  if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) failf(c->f, errno, NULL, "stat upload %s", c->rel);
  else if (S_ISLNK(st.st_mode)) failf(c->f, ELOOP, no_links, "copy upload %s", c->rel);
  else if (S_ISDIR(st.st_mode)) {
    int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0) failf(c->f, errno, errno == ELOOP ? no_links : NULL, "open upload dir %s", c->rel);
    else {
      int d = -1;
      if (mkdirat(dst, name, 0700) < 0 || (d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        failf(c->f, errno, errno == ENOSPC ? "the uploads exceed the work dir's size cap" : NULL, "mkdir %s in the work dir", c->rel);
      else if (copy_dir(c, s, d, depth + 1) == 0) {
        /* the mode last, so a read-only dir of the upload still received its files */
        if (fchown(d, c->uid, c->gid) < 0 || fchmod(d, st.st_mode & 0777) < 0)
          failf(c->f, errno, NULL, "chown/chmod %s in the work dir", c->rel);
        else rc = 0;
      }
      if (d >= 0) close(d);
      close(s);
    }
  } else rc = copy_file(c, src, dst, name);
  if (rc == 0) c->rel[len] = '\0';
  return rc;
}

static int copy_dir(struct copy *c, int src, int dst, int depth) {
  if (depth > MAX_DEPTH) return failf(c->f, ELOOP, "uploads nest too deep", "copy upload %s", c->rel);
  int fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (!d) return failf(c->f, errno, NULL, "read upload dir %s", c->rel[0] ? c->rel : ".");
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (errno = 0, e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) rc = copy_entry(c, src, dst, e->d_name, depth);
  if (rc == 0 && errno != 0) rc = failf(c->f, errno, NULL, "read upload dir %s", c->rel[0] ? c->rel : ".");
  closedir(d);
  return rc;
}

int copy_uploads(const char *from, const char *to, uid_t uid, gid_t gid, struct failure *f) {
  struct copy c = {.uid = uid, .gid = gid, .f = f, .rel = ""};
  int src = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0) {
    int err = errno;
    struct stat st;
    int link = lstat(from, &st) == 0 && S_ISLNK(st.st_mode);
    return failf(f, err, link ? no_links : NULL, "open uploads %s", from);
  }
  int dst = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0) {
    close(src);
    return failf(f, errno, NULL, "open work dir %s", to);
  }
  int rc = copy_dir(&c, src, dst, 0);
  close(dst);
  close(src);
  return rc;
}
