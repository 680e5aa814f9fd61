/*
 * joblet-launcher [OPTIONS] -- COMMAND [ARGS...]   (options: args.c and native/README.md)
 *
 * The outer launcher stays in the host's namespaces: it creates the pid namespace for init,
 * learns the job's host pid, writes the status lines (see launcher.h), forwards signals to init
 * and exits with the job's status (exit code, or 128 + signal number). With --state-dir it is the
 * job's supervisor for the job's whole life, whether or not the daemon that spawned it still runs:
 * it captures the output into the spool and keeps its status in files (spool.c, state.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "startup.h"

static int status_fd = -1;
static struct spool spool = {.fd = -1, .dir_fd = -1, .rd = {-1, -1}, .wr = {-1, -1}};
static pid_t init_pid = -1; /* reaped before we exit, unless it already was */

/* A failure before the job exists: one status line, exit 127 (the shell's "could not run"). */
__attribute__((noreturn)) static void fail(const char *step, int err) {
  char msg[4400];
  format_failure(msg, sizeof msg, step, err, NULL);
  status_printf(status_fd, "error %s", msg);
  exit(127);
}

__attribute__((noreturn)) static void fail_with(const struct failure *f) {
  char msg[4400];
  format_failure(msg, sizeof msg, f->step, f->err, f->hint);
  status_printf(status_fd, "error %s", msg);
  exit(127);
}

static long long monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Exit the way the job did, after the last status line (and the last byte of its output). */
__attribute__((noreturn)) static void finish(int job_status) {
  if (spool.on) spool_finish(&spool);
  /* without a status fd or state dir the exit code says it all; stderr belongs to the job */
  int report = status_fd >= 0 || state_dir_fd() >= 0;
  int code = WIFSIGNALED(job_status) ? 128 + WTERMSIG(job_status) : WEXITSTATUS(job_status);
  if (report && WIFSIGNALED(job_status)) status_printf(status_fd, "killed %d", WTERMSIG(job_status));
  else if (report) status_printf(status_fd, "exited %d", WEXITSTATUS(job_status));
  /* the status did not wait for init's own exit, our exit does: nothing of ours outlives us */
  if (init_pid > 0)
    while (waitpid(init_pid, NULL, 0) < 0 && errno == EINTR) {
    }
  exit(code);
}

int main(int argc, char **argv) {
  struct launch_opts o;
  parse_args(argc, argv, &o);
  status_fd = o.status_fd;
  /* a daemon that died must not kill us with SIGPIPE halfway through a status line */
  signal(SIGPIPE, SIG_IGN);

  /* 1. take our signals synchronously; children inherit the mask until the job resets it */
  sigset_t set, orig_mask;
  forwarded_set(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, KILL_CONTROL_SIGNAL);
  if (sigprocmask(SIG_BLOCK, &set, &orig_mask) < 0) fail("sigprocmask", errno);
  int sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sig_fd < 0) fail("signalfd", errno);

  /* 2. the job tells us its host pid, or its failing step, over a close-on-exec seqpacket
   *    socket: EOF after the pid message means exec succeeded (the runc init-pipe trick) */
  struct failure f;
  int sync[2], exitp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) fail("socketpair", errno);
  int one = 1;
  if (setsockopt(sync[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) fail("setsockopt SO_PASSCRED", errno);
  /* 3. init reports the job's raw wait status here, so a signal death survives init's exit code */
  if (pipe2(exitp, O_CLOEXEC) < 0) fail("pipe2", errno);

  /* 3b. with a state dir: our pid file first (a restarted daemon finds us by it), then the
   *     spool and the pipes that will be the job's stdout and stderr */
  if (o.state_dir) {
    if (state_open(o.state_dir, &f) < 0) fail_with(&f);
    if (state_write_pid(&f) < 0) fail_with(&f);
    if (spool_open(&spool, state_dir_fd(), o.spool, o.max_output, &f) < 0) fail_with(&f);
  }

  /* 4. only the pid ns is unshared here: unshare(CLONE_NEWPID) moves our children, not us, so
   *    we keep the host's /proc and mounts; init unshares the rest. A cgroup v2 dir is joined by
   *    forking init into it (cgroups.c), the others by init itself. */
  int cgroup_fd;
  if (open_cgroup_v2(&o, &cgroup_fd, &f) < 0) fail_with(&f);
  if (unshare(CLONE_NEWPID) < 0) fail("unshare pid", errno);
  pid_t init = fork_init(&o, cgroup_fd, &f);
  if (init < 0) fail_with(&f);
  if (init > 0) init_pid = init;
  if (init == 0) {
    if (status_fd >= 0) close(status_fd);
    close(sig_fd);
    close(sync[0]);
    close(exitp[0]);
    if (spool.on) spool_child_fds(&spool);
    if (state_dir_fd() >= 0) close(state_dir_fd());
    run_init(&o, sync[1], exitp[1], &orig_mask);
  }
  close(sync[1]);
  close(exitp[1]);
  if (cgroup_fd >= 0) close(cgroup_fd);
  if (o.netns_fd >= 0) close(o.netns_fd); /* init holds it now; the namespace lives with the job */
  if (o.hold_fd >= 0) close(o.hold_fd);   /* init waits on it; ours would keep the pipe from closing */
  if (spool.on) spool_parent_fds(&spool);

  /* 5. supervise: startup messages, output, signals to forward, init's exit. While a spool
   *    record is pending (a write failed) the pipes are not read: the job waits, nothing is lost.
   *    The job's end is known before init is reaped: init writes the job's status to the exit
   *    pipe, kills and reaps every other process of the namespace, closes the exit pipe (EOF)
   *    and exits; the status line need not wait for its exit, which tears the job's namespaces
   *    down (the mount namespace waits an RCU grace period, ~1.3 ms on the bench VM). After a
   *    kill of init by us that order is not known, so then init's reaping decides, as it does
   *    when init ended without the job's status. */
  struct startup st;
  startup_init(&st, sync[0]);
  int job_status = 0, have_status = 0, exit_open = 1, killed_init = 0;
  long long batch_until = 0, fast_until = 0; /* output pipes rest until then (o.output_batch_ms); no rest until then */
  if (o.output_batch_ms > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)o.output_batch_ms * 250000UL, 0, 0, 0);
  for (;;) {
    int pending = spool.on && spool_pending(&spool);
    long long rest = batch_until > 0 ? batch_until - monotonic_ms() : 0;
    if (rest <= 0) batch_until = rest = 0;
    int skip_output = pending || rest > 0;
    struct pollfd pf[5] = {{.fd = sig_fd, .events = POLLIN},
                           {.fd = st.done ? -1 : sync[0], .events = POLLIN},
                           {.fd = skip_output ? -1 : spool.rd[0], .events = POLLIN},
                           {.fd = skip_output ? -1 : spool.rd[1], .events = POLLIN},
                           {.fd = exit_open ? exitp[0] : -1, .events = POLLIN}};
    if (poll(pf, 5, pending ? 1000 : rest > 0 ? (int)rest : -1) < 0) continue; /* EINTR */
    if (pending) spool_flush(&spool);
    size_t took = 0;
    for (int i = 0; i < 2; i++)
      if (pf[2 + i].revents && !spool_pending(&spool) && spool_read(&spool, i) == 1) took += spool.last_read;
    /* A read that found only a little (a line or a few) lets the pipes fill for a while before
     * the next: a job printing a line every few ms then costs us, the spool and the daemon one
     * wake-up per batch instead of one per line. A big read means a fast writer, which the rest
     * would throttle (one pipe buffer per rest): no rest for a second after one. */
    if (took > 0) {
      long long now = monotonic_ms();
      if (took >= SPOOL_CHUNK / 2) fast_until = now + 1000;
      else if (o.output_batch_ms > 0 && now >= fast_until) batch_until = now + o.output_batch_ms;
    }
    if (pf[1].revents && startup_read(&st) == 1) startup_report(&st, status_fd);
    if (pf[4].revents) {
      int js;
      ssize_t n = read(exitp[0], &js, sizeof js); /* one write of 4 bytes: atomic (pipe(7)) */
      if (n == sizeof js) {
        job_status = js;
        have_status = 1;
      } else if (n == 0 || (n < 0 && errno != EINTR)) {
        exit_open = 0;
        if (have_status && !killed_init) {
          while (!st.done)
            if (startup_read(&st) == 1) startup_report(&st, status_fd);
          finish(job_status);
        }
      }
    }
    if (!(pf[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    if (read(sig_fd, &si, sizeof si) != sizeof si) continue;
    int sig = (int)si.ssi_signo;
    if (sig == KILL_CONTROL_SIGNAL) {
      killed_init = 1;
      kill(init, SIGKILL);
    } else if (sig != SIGCHLD) kill(init, sig);
    else {
      int init_status;
      if (waitpid(init, &init_status, WNOHANG) != init) continue;
      init_pid = -1;
      /* the whole namespace is gone once init is reaped, so the socket is at EOF by now */
      while (!st.done)
        if (startup_read(&st) == 1) startup_report(&st, status_fd);
      if (!have_status && read(exitp[0], &job_status, sizeof job_status) == sizeof job_status) have_status = 1;
      if (have_status) finish(job_status);
      finish(init_status); /* init failed or was killed before the job's main process exited */
    }
  }
}
