/*
 * How the launcher reports: every failing step before exec becomes one line
 * "<step>: <ERRNO_NAME> (<strerror>[; <hint>])", e.g. "mount /proc: EPERM (operation not
 * permitted)" or "pivot_root /j/root: EINVAL (invalid argument; is the new root a mount point?)",
 * so the daemon can show the operator which syscall failed on which path, why, and the fix.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"

/* strerrorname_np exists since glibc 2.32 (Debian 12 ships 2.36); other libcs get "errno N". */
static const char *errno_name(int err, char *buf, size_t len) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(err);
  if (name) return name;
#endif
  snprintf(buf, len, "errno %d", err);
  return buf;
}

void format_failure(char *out, size_t len, const char *step, int err, const char *hint) {
  char namebuf[32];
  const char *name = errno_name(err, namebuf, sizeof namebuf);
  int n = snprintf(out, len, "%s: %s (", step, name);
  if (n < 0 || (size_t)n >= len) return;
  /* the project's errors are lowercase: "No such file" -> "no such file" */
  size_t i = (size_t)n;
  for (const char *s = strerror(err); *s && i + 2 < len; s++) out[i++] = (char)tolower((unsigned char)*s);
  if (hint && *hint) {
    int m = snprintf(out + i, len - i, "; %s", hint);
    if (m > 0) i = i + (size_t)m < len - 2 ? i + (size_t)m : len - 2;
  }
  out[i++] = ')';
  out[i] = '\0';
}

int failf(struct failure *f, int err, const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(f->step, sizeof f->step, fmt, ap);
  va_end(ap);
  f->err = err;
  f->hint = hint;
  return -1;
}

/* Best effort: a daemon that went away (EPIPE, SIGPIPE is ignored) must not stop the launcher. */
void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    buf += n;
    len -= (size_t)n;
  }
}

void status_printf(int fd, const char *fmt, ...) {
  char line[4600];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  if (fd >= 0) write_all(fd, line, (size_t)n);
  /* stderr is the job's without a state dir; with one, it is the daemon's (our errors only) */
  else if (strncmp(line, "error", 5) == 0) write_all(STDERR_FILENO, line, (size_t)n);
  state_status_line(line, (size_t)n);
}

/* Used by init and the job: the outer launcher turns the message into the status line. */
void send_failure(int sock, const struct failure *f) {
  char msg[4400];
  msg[0] = MSG_ERROR;
  format_failure(msg + 1, sizeof msg - 1, f->step, f->err, f->hint);
  /* one datagram = one message (SOCK_SEQPACKET keeps boundaries) */
  while (send(sock, msg, strlen(msg), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void die(int sock, const struct failure *f) {
  send_failure(sock, f);
  _exit(127);
}

void die_errno(int sock, const char *step, int err) {
  struct failure f;
  failf(&f, err, NULL, "%s", step);
  die(sock, &f);
}
