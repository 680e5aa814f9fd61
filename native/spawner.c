/*
 * joblet-spawner: a small process the daemon starts once and asks to start each job's supervisor
 * (docs/decisions/0014). Node's child_process.spawn forks the whole daemon on its main thread,
 * and that costs more the bigger the daemon is (0.8 ms at 49 MiB, 5.5 ms at 203 MiB RSS); this
 * process is ~1 MiB, so its fork is cheap, and the fork and exec run here, beside the daemon's
 * thread, not on it.
 *
 * Protocol, over the stdin and stdout the daemon gives us (a unix stream socket each way):
 *   request  u32 length (little endian), then that many bytes:
 *              'S' u32 argc u32 envc, then argc + envc NUL-terminated strings: the program
 *                  (argv[0] is the program's path), its args, its environment
 *              'N' the same as 'S', and the child gets a network namespace of its own (lo up) as
 *                  fd 3, for the launcher's --netns-fd 3: from a pool made while we are idle
 *                  (netns_pool.c), so the namespace's creation is not part of the launch
 *              'H', 'M' the same as 'S', 'N', and the child also gets the read end of a pipe as
 *                  fd 4 (the launcher's --hold-fd 4): it sets the job up, then waits for one byte
 *              'G' u32 pid: release that child (one byte on its hold pipe); 'D' u32 pid: give it
 *                  up (the pipe closes without a byte: the launcher ends without running the job)
 *              'K' u32 pid u32 signal: kill(2) one of our children that we have not reaped yet
 *   replies  one line each:
 *              `spawned <pid>` or `refused <errno>`, one per 'S', in request order
 *              `exit <pid> <code|-1> <signal|0> <exec errno|0> <stderr as hex, or ->` when a
 *              child ends; its stderr (the launcher's own errors from before its state dir was
 *              open) travels here because nothing else carries it, at most STDERR_KEEP bytes
 *
 * Children run in their own session (setsid), like `detached` spawns: no terminal signal and no
 * death of ours reaches them. We stay their parent only to reap them and report their ends; at
 * EOF on stdin (the daemon stopped or died) we exit, and they are reparented and keep running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_pool.h"

#define MAX_FRAME (64u << 20) /* far above ARG_MAX: a frame this big is a broken daemon */
#define STDERR_KEEP 4096
/* where an 'N' child finds its network namespace and an 'H' child its hold pipe; we keep
 * /dev/null on both, so no pipe of ours can be there when a child takes them */
#define NETNS_FD 3
#define HOLD_FD 4

struct child {
  pid_t pid;
  int exec_fd; /* close-on-exec pipe: EOF means exec succeeded, 4 bytes are its errno */
  int err_fd;  /* the child's stderr, read when it ends */
  int hold_fd; /* write end of its hold pipe until 'G' or 'D'; -1 when none */
};

static struct child *children;
static size_t n_children, cap_children;
static int null_fd = -1;

__attribute__((noreturn)) static void die(const char *what, int err) {
  dprintf(STDERR_FILENO, "joblet-spawner: %s: %s\n", what, strerror(err));
  exit(1);
}

static void write_all(const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) exit(0); /* the daemon is gone: our children keep running without us */
    buf += n;
    len -= (size_t)n;
  }
}

static struct child *find(pid_t pid) {
  for (size_t i = 0; i < n_children; i++)
    if (children[i].pid == pid) return &children[i];
  return NULL;
}

/* In the child, between fork and exec: what a detached spawn gives a process, nothing more. */
__attribute__((noreturn)) static void exec_child(char **argv, char **envp, int err_w, int exec_w, int netns_fd, int hold_r) {
  setsid();
  sigset_t none;
  sigemptyset(&none);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(err_w, STDERR_FILENO);
  /* every other fd (the daemon's sockets, other children's pipes) closes at exec; exec_w too,
   * which is how we learn that exec succeeded */
  close_range(NETNS_FD, ~0U, CLOSE_RANGE_CLOEXEC);
  /* over our /dev/null, and without close-on-exec (dup2 clears it on the copy) */
  if (netns_fd >= 0) dup2(netns_fd, NETNS_FD);
  if (hold_r >= 0) dup2(hold_r, HOLD_FD);
  execve(argv[0], argv, envp);
  int err = errno;
  if (write(exec_w, &err, sizeof err) < 0) { /* nothing left to tell it with */ }
  _exit(127);
}

static void spawn_one(const char *body, uint32_t len, int with_netns, int held) {
  uint32_t argc, envc;
  if (len < 8) die("request", EPROTO);
  memcpy(&argc, body, 4);
  memcpy(&envc, body + 4, 4);
  if (argc == 0 || argc > len || envc > len) die("request", EPROTO);
  char **ptrs = calloc((size_t)argc + envc + 2, sizeof *ptrs);
  if (!ptrs) die("calloc", errno);
  const char *p = body + 8, *end = body + len;
  for (uint32_t i = 0; i < argc + envc; i++) {
    const char *nul = memchr(p, '\0', (size_t)(end - p));
    if (!nul) die("request", EPROTO);
    ptrs[i < argc ? i : i + 1] = (char *)p; /* argv, NULL, envp, NULL */
    p = nul + 1;
  }
  char line[64];
  int err_p[2], exec_p[2], hold_p[2] = {-1, -1}, netns_fd = -1;
  if (with_netns) {
    int err = netns_pool_take(&netns_fd);
    if (err) {
      errno = err;
      goto refused;
    }
  }
  if (held && pipe2(hold_p, O_CLOEXEC) < 0) goto refused;
  if (pipe2(err_p, O_CLOEXEC) < 0) goto refused;
  if (pipe2(exec_p, O_CLOEXEC) < 0) {
    close(err_p[0]);
    close(err_p[1]);
    goto refused;
  }
  fcntl(err_p[0], F_SETFL, O_NONBLOCK); /* our end only: the child writes blocking */
  pid_t pid = fork();
  if (pid == 0) exec_child(ptrs, ptrs + argc + 1, err_p[1], exec_p[1], netns_fd, hold_p[0]);
  int fork_err = errno;
  if (netns_fd >= 0) { /* the child's now, or nobody's: never handed out twice */
    close(netns_fd);
    netns_fd = -1;
  }
  if (hold_p[0] >= 0) {
    close(hold_p[0]);
    hold_p[0] = -1;
  }
  close(err_p[1]);
  close(exec_p[1]);
  if (pid < 0) {
    close(err_p[0]);
    close(exec_p[0]);
    errno = fork_err;
    goto refused;
  }
  if (hold_p[1] >= 0) fcntl(hold_p[1], F_SETFL, O_NONBLOCK); /* one byte into an empty pipe never blocks; be sure */
  if (n_children == cap_children) {
    cap_children = cap_children ? cap_children * 2 : 64;
    children = realloc(children, cap_children * sizeof *children);
    if (!children) die("realloc", errno);
  }
  children[n_children++] = (struct child){.pid = pid, .exec_fd = exec_p[0], .err_fd = err_p[0], .hold_fd = hold_p[1]};
  free(ptrs);
  write_all(line, (size_t)snprintf(line, sizeof line, "spawned %d\n", (int)pid));
  return;
refused:
  if (netns_fd >= 0) close(netns_fd);
  if (hold_p[0] >= 0) close(hold_p[0]);
  if (hold_p[1] >= 0) close(hold_p[1]);
  free(ptrs);
  write_all(line, (size_t)snprintf(line, sizeof line, "refused %d\n", errno));
}

static void kill_one(const char *body, uint32_t len) {
  uint32_t pid, sig;
  if (len != 8) die("request", EPROTO);
  memcpy(&pid, body, 4);
  memcpy(&sig, body + 4, 4);
  /* only a child not reaped yet: its pid cannot have been reused */
  if (find((pid_t)pid)) kill((pid_t)pid, (int)sig);
}

/* 'G' and 'D': one byte (go) or none (give up) on a held child's pipe, which then closes. */
static void release_one(const char *body, uint32_t len, int go) {
  uint32_t pid;
  if (len != 4) die("request", EPROTO);
  memcpy(&pid, body, 4);
  struct child *c = find((pid_t)pid);
  if (!c || c->hold_fd < 0) return; /* ended already, or never held */
  if (go && write(c->hold_fd, "g", 1) < 0) { /* its reader is gone: its exit is on the way */ }
  close(c->hold_fd);
  c->hold_fd = -1;
}

/* A child ended: its exec result and stderr are already in the pipes, since it wrote them before exiting. */
static void report_exit(pid_t pid, int status) {
  struct child *c = find(pid);
  if (!c) return; /* not one of ours */
  int exec_err = 0;
  if (read(c->exec_fd, &exec_err, sizeof exec_err) != sizeof exec_err) exec_err = 0;
  char err[STDERR_KEEP];
  ssize_t n = read(c->err_fd, err, sizeof err);
  if (n < 0) n = 0;
  close(c->exec_fd);
  close(c->err_fd);
  if (c->hold_fd >= 0) close(c->hold_fd);
  *c = children[--n_children];

  static const char hex[] = "0123456789abcdef";
  char line[96 + 2 * STDERR_KEEP];
  int at = snprintf(line, 96, "exit %d %d %d %d ", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0, exec_err);
  if (n == 0) line[at++] = '-';
  for (ssize_t i = 0; i < n; i++) {
    line[at++] = hex[(unsigned char)err[i] >> 4];
    line[at++] = hex[(unsigned char)err[i] & 15];
  }
  line[at++] = '\n';
  write_all(line, (size_t)at);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1) {
    dprintf(STDERR_FILENO, "usage: joblet-spawner (the joblet daemon starts it; requests on stdin)\n");
    return 2;
  }
  /* two pipe ends per running job: as many as the hard limit allows */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) die("open /dev/null", errno);
  if (null_fd != NETNS_FD) { /* fds 3 and 4 must be ours, so no pipe can be there when a child takes them */
    if (dup3(null_fd, NETNS_FD, O_CLOEXEC) < 0) die("dup3 /dev/null", errno);
    close(null_fd);
    null_fd = NETNS_FD;
  }
  if (dup3(null_fd, HOLD_FD, O_CLOEXEC) < 0) die("dup3 /dev/null", errno);
  netns_pool_init(); /* on failure the pool stays empty; an 'N' request then says why */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask", errno);
  int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sig_fd < 0) die("signalfd", errno);

  size_t cap = 1 << 16, have = 0;
  char *buf = malloc(cap);
  if (!buf) die("malloc", errno);
  for (;;) {
    struct pollfd pf[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sig_fd, .events = POLLIN}};
    int ready = poll(pf, 2, netns_pool_wants_more() ? 0 : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      die("poll", errno);
    }
    if (ready == 0) { /* idle: one more network namespace for the pool */
      netns_pool_fill_one();
      continue;
    }
    if (pf[1].revents) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == sizeof si) { /* coalesced: reap them all below */ }
      int status;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) report_exit(pid, status);
    }
    if (!pf[0].revents) continue;
    if (have == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      if (!buf) die("realloc", errno);
    }
    ssize_t n = read(STDIN_FILENO, buf + have, cap - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0; /* EOF: the daemon is gone; our children keep running */
    have += (size_t)n;
    size_t off = 0;
    while (have - off >= 4) {
      uint32_t len;
      memcpy(&len, buf + off, 4);
      if (len == 0 || len > MAX_FRAME) die("request length", EPROTO);
      if (have - off - 4 < len) {
        if (cap < (size_t)len + 4) { /* make room for the whole frame */
          while (cap < (size_t)len + 4) cap *= 2;
          buf = realloc(buf, cap);
          if (!buf) die("realloc", errno);
        }
        break;
      }
      const char *body = buf + off + 4;
      if (body[0] == 'S' || body[0] == 'N' || body[0] == 'H' || body[0] == 'M')
        spawn_one(body + 1, len - 1, body[0] == 'N' || body[0] == 'M', body[0] == 'H' || body[0] == 'M');
      else if (body[0] == 'G' || body[0] == 'D') release_one(body + 1, len - 1, body[0] == 'G');
      else if (body[0] == 'K') kill_one(body + 1, len - 1);
      else die("request type", EPROTO);
      off += 4 + len;
    }
    memmove(buf, buf + off, have - off);
    have -= off;
  }
}
