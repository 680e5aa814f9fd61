#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"
#include "startup.h"

void startup_init(struct startup *st, int fd) {
  memset(st, 0, sizeof *st);
  st->fd = fd;
}

static int end(struct startup *st) {
  close(st->fd);
  st->fd = -1;
  st->done = 1;
  return 1;
}

/* The credentials the kernel attached; their pid is already translated into our pid ns. */
static pid_t pid_from(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_CREDENTIALS) continue;
    struct ucred cred;
    memcpy(&cred, CMSG_DATA(c), sizeof cred);
    return cred.pid;
  }
  return 0;
}

int startup_read(struct startup *st) {
  char buf[sizeof st->error];
  union {
    char buf[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n = recvmsg(st->fd, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && errno == EINTR) return 0;
  if (n < 0) {
    if (!st->error[0]) format_failure(st->error, sizeof st->error, "recvmsg sync socket", errno, NULL);
    return end(st);
  }
  if (n == 0) return end(st); /* seqpacket: 0 bytes is EOF, we never send empty messages */
  buf[n] = '\0';
  if (buf[0] == MSG_PID) st->pid = pid_from(&msg);
  else if (buf[0] == MSG_ERROR && !st->error[0]) memcpy(st->error, buf + 1, (size_t)n);
  return 0;
}

void startup_report(const struct startup *st, int status_fd) {
  if (st->error[0]) status_printf(status_fd, "error %s", st->error);
  else if (st->pid > 0) {
    if (status_fd >= 0 || state_dir_fd() >= 0) status_printf(status_fd, "started %d", (int)st->pid);
  } else
    /* init or the job was killed (by us on a stop, or by the kernel) before it could report */
    status_printf(status_fd, "error start: job was killed before exec");
}
