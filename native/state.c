/*
 * The supervisor's files in its state dir (--state-dir, DATA_DIR/jobs/<id>), which let a daemon
 * that started after us find out what happened while it was away (DESIGN invariant 6):
 *
 *   supervisor.pid  "<our pid> <our start time>\n": the start time is field 22 of /proc/<pid>/stat
 *                   (clock ticks since boot, proc(5)); together they name this process even after
 *                   the pid is reused by another one
 *   status          the status lines so far, the same text as on --status-fd: `started <pid>`,
 *                   then `exited <code>` or `killed <signo>`; or `error <reason>` alone
 *
 * The pid file is written under a temporary name and renamed into place, so it is whole or absent.
 * The status file is created once and each line appended with one write(2): a buffered write
 * publishes the file's new size page by page, after the bytes, so a reader sees whole lines
 * (only an error line over 4 KB, report.c caps them at 4.6 KB, could be seen cut at a page
 * boundary). Replacing the file by rename for the second line would free an inode per job, and
 * on ext4 without a journal every later create scans past inodes freed in the last ~30 s.
 * There is no fsync: these files only have to outlive the daemon, not the machine (a machine
 * crash ends the job too, and the daemon then records it as gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

static int dir_fd = -1;
static int status_file = -1; /* opened at the first line, appended to after */

int state_dir_fd(void) { return dir_fd; }

int state_open(const char *dir, struct failure *f) {
  dir_fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (dir_fd < 0) return failf(f, errno, "the daemon creates the job dir before the launch", "open state dir %s", dir);
  return 0;
}

int write_full(int fd, const void *data, size_t len) {
  const char *buf = data;
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* name.tmp, then rename over name: readers never see a partial file */
static int replace_file(const char *name, const char *buf, size_t len) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%s.tmp", name);
  int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  int rc = write_full(fd, buf, len);
  int err = errno;
  close(fd);
  if (rc < 0) {
    errno = err;
    return -1;
  }
  return renameat(dir_fd, tmp, dir_fd, name);
}

/* Field 22 of /proc/self/stat. Field 2 (comm) may hold spaces and ')', so count after the last ')'. */
static int start_time(unsigned long long *out) {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  /* after ")": the space before field 3 (state) is the first; the one before field 22 the 20th */
  for (int field = 3; field <= 22; field++) {
    p = strchr(p + 1, ' ');
    if (!p) return -1;
  }
  *out = strtoull(p + 1, NULL, 10);
  return 0;
}

int state_write_pid(struct failure *f) {
  unsigned long long t;
  if (start_time(&t) < 0) return failf(f, errno ? errno : EIO, "is /proc mounted?", "read /proc/self/stat");
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%d %llu\n", (int)getpid(), t);
  if (replace_file("supervisor.pid", buf, (size_t)n) < 0) return failf(f, errno, NULL, "write supervisor.pid");
  return 0;
}

/* Best effort, like the status fd: the line is also in the launcher's exit code. */
void state_status_line(const char *line, size_t len) {
  if (dir_fd < 0) return;
  if (status_file < 0) status_file = openat(dir_fd, "status", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (status_file < 0) return;
  if (write(status_file, line, len) < 0) { /* nothing left to tell it with */ }
}
