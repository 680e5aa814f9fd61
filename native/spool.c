/*
 * Output capture that does not depend on the daemon: with --state-dir the job's stdout and stderr
 * are pipes read by the supervisor (the outer launcher), which appends every chunk to
 * STATE_DIR/output.spool as one framed record, in the order it read them. The daemon tails that
 * file (src/executor/spool.ts) whether or not it was up when the bytes were written.
 * With --spool FILE the spool is FILE (its dir made if missing) and STATE_DIR/output.spool a
 * symlink to it, made once the spool holds its magic: the state dir may then be a tmpfs, where
 * the small files cost no disk inode, while the output stays on disk.
 * The spool is created at the first record, not at the start: a job that prints nothing (most
 * short jobs) then costs no disk inode at all, and its launch no create on a disk where creates
 * are slow (ext4 without a journal: 0.2-0.9 ms each on the bench VM). The daemon reads a missing
 * spool as "no output yet". Whether a spool exists is still checked at the start: one means
 * another supervisor already ran this job, and then it must not run again.
 *
 *   file    "JSPOOL1\n", then records
 *   record  u8 stream (1 stdout, 2 stderr), 3 zero bytes, u32 length, u64 unix ms; length bytes
 *           (little endian; length <= SPOOL_CHUNK)
 *
 * Backpressure: while a record is not fully written the pipes are not read, so a job that writes
 * faster than the disk takes it blocks in write(2) once the 64 KiB pipe buffer is full (pipe(7)):
 * slowed, never dropped. A write error (ENOSPC) is retried every second, the job waiting.
 * The cap (--max-output): past it the pipes are still drained at full speed, so the job's writes
 * keep succeeding, but the bytes are counted and discarded; one stderr record at the end says how
 * many (isolation spec row 23).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

static const char magic[SPOOL_MAGIC_LEN] = {'J', 'S', 'P', 'O', 'O', 'L', '1', '\n'};

/* The dir of an absolute path (made by the daemon only when the job has uploads or secrets). */
static int make_parent(const char *path, struct failure *f) {
  char dir[PATH_MAX];
  size_t n = strlen(path);
  if (n >= sizeof dir) return failf(f, ENAMETOOLONG, NULL, "spool path %s", path);
  memcpy(dir, path, n + 1);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = '\0';
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) return failf(f, errno, NULL, "mkdir %s", dir);
  return 0;
}

/* The spool file, at the first record: O_EXCL (a job id runs once), the magic, then the symlink
 * into the state dir with --spool. -1 with errno: the record stays pending and is retried. */
static int spool_create(struct spool *s) {
  int fd = s->path ? open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)
                   : openat(s->dir_fd, "output.spool", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  if (write_full(fd, magic, sizeof magic) < 0 || (s->path && symlinkat(s->path, s->dir_fd, "output.spool") < 0)) {
    int err = errno;
    close(fd);
    errno = err;
    return -1; /* a later try gets EEXIST on the create: the launcher's exit code tells the rest */
  }
  s->fd = fd;
  return 0;
}

int spool_open(struct spool *s, int dir_fd, const char *path, unsigned long long cap, struct failure *f) {
  memset(s, 0, sizeof *s);
  s->on = 1;
  s->fd = -1;
  s->dir_fd = dir_fd;
  s->path = path;
  s->cap = cap;
  s->rd[0] = s->rd[1] = s->wr[0] = s->wr[1] = -1;
  if (path && make_parent(path, f) < 0) return -1;
  const char *name = path ? path : "output.spool";
  /* a job id runs once: an existing spool is another supervisor's output (a lookup, no create) */
  int exists = path ? faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) : faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW);
  if (exists == 0) return failf(f, EEXIST, "a supervisor already ran for this job", "open %s", name);
  if (errno != ENOENT) return failf(f, errno, NULL, "access %s", name);
  for (int i = 0; i < 2; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return failf(f, errno, NULL, "pipe2 output");
    s->rd[i] = p[0];
    s->wr[i] = p[1];
  }
  return 0;
}

/* In init, before anything else: the pipes become fd 1 and 2 of init and so of the job (dup2
 * clears close-on-exec on the new fd); everything else of the spool is the launcher's. */
void spool_child_fds(struct spool *s) {
  dup2(s->wr[0], STDOUT_FILENO);
  dup2(s->wr[1], STDERR_FILENO);
  for (int i = 0; i < 2; i++) {
    close(s->wr[i]);
    close(s->rd[i]);
  }
  if (s->fd >= 0) close(s->fd);
}

/* In the launcher after the fork: only the job holds the write ends, so EOF means it is gone. */
void spool_parent_fds(struct spool *s) {
  for (int i = 0; i < 2; i++) {
    close(s->wr[i]);
    s->wr[i] = -1;
    fcntl(s->rd[i], F_SETFL, O_NONBLOCK);
  }
}

int spool_pending(const struct spool *s) { return s->off < s->len; }

int spool_flush(struct spool *s) {
  if (s->off < s->len && s->fd < 0 && spool_create(s) < 0) return -1;
  while (s->off < s->len) {
    ssize_t n = write(s->fd, s->buf + s->off, s->len - s->off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    s->off += (size_t)n;
  }
  s->off = s->len = 0;
  return 0;
}

static void put_le(unsigned char *p, unsigned long long v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL;
}

/* The record's payload is already at buf + SPOOL_HEADER. */
static void frame(struct spool *s, int stream, size_t len) {
  s->buf[0] = (unsigned char)(stream + 1);
  s->buf[1] = s->buf[2] = s->buf[3] = 0;
  put_le(s->buf + 4, len, 4);
  put_le(s->buf + 8, now_ms(), 8);
  s->len = SPOOL_HEADER + len;
  s->off = 0;
}

int spool_read(struct spool *s, int stream) {
  ssize_t n = read(s->rd[stream], s->buf + SPOOL_HEADER, SPOOL_CHUNK);
  s->last_read = n > 0 ? (size_t)n : 0;
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : spool_close_stream(s, stream);
  if (n == 0) return spool_close_stream(s, stream);
  unsigned long long room = s->cap > s->kept ? s->cap - s->kept : 0;
  size_t keep = (unsigned long long)n < room ? (size_t)n : (size_t)room;
  s->dropped += (unsigned long long)n - keep;
  s->kept += keep;
  if (keep == 0) return 1;
  frame(s, stream, keep);
  spool_flush(s); /* an error leaves the record pending; the caller retries */
  return 1;
}

int spool_close_stream(struct spool *s, int stream) {
  close(s->rd[stream]);
  s->rd[stream] = -1;
  return 0;
}

/* Writes the pending record, retrying once a second: the output must not be lost to a full disk. */
static void flush_blocking(struct spool *s) {
  while (spool_flush(s) < 0) sleep(1);
}

void spool_finish(struct spool *s) {
  /* every writer is gone (init killed and reaped the whole pid namespace), so the pipes hold the
   * last bytes and then EOF; EAGAIN would mean a writer outside the job, whom we do not wait for */
  for (;;) {
    flush_blocking(s);
    int open_streams = 0, progress = 0;
    for (int i = 0; i < 2; i++) {
      if (s->rd[i] < 0) continue;
      open_streams++;
      if (spool_read(s, i) == 1) progress = 1;
      flush_blocking(s);
    }
    if (!open_streams || !progress) break;
  }
  for (int i = 0; i < 2; i++)
    if (s->rd[i] >= 0) spool_close_stream(s, i);
  if (s->dropped > 0) {
    int n = snprintf((char *)s->buf + SPOOL_HEADER, SPOOL_CHUNK,
                     "joblet: output cap of %llu bytes reached: %llu bytes of output were dropped\n", s->cap, s->dropped);
    frame(s, 1, (size_t)n);
    flush_blocking(s);
  }
}
