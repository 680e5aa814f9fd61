/*
 * Our tiny init: pid 1 of the job's pid namespace. Joins the job's cgroups, sets up the
 * namespaces and the root the job shares, forks the job, reaps every zombie, forwards signals to
 * the whole namespace, and exits with the job's status once the job's main process is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

static int exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs until the job's main process exits; reaps orphans re-parented to us on the way. */
static int supervise(pid_t job, const sigset_t *set) {
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(set, &info);
    if (sig < 0) continue; /* EINTR */
    if (sig != SIGCHLD) {
      /* kill(-1) from a namespace's init reaches every process of the namespace but init */
      kill(-1, sig);
      continue;
    }
    /* SIGCHLD does not queue: one signal may stand for many exited children */
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
      if (p == job) return status;
  }
}

void run_init(const struct launch_opts *o, int sync_fd, int exit_fd, const sigset_t *orig_mask) {
  struct failure f;
  sigset_t set;
  forwarded_set(&set);
  sigaddset(&set, SIGCHLD);
  install_noop_handlers(&set);

  /* 1. die with the launcher (a later issue lets jobs outlive it). If the launcher died before
   *    prctl took effect no signal will come, so check that it still holds the exit pipe. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno(sync_fd, "prctl PR_SET_PDEATHSIG", errno);
  struct pollfd pf = {.fd = exit_fd, .events = POLLOUT};
  if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) _exit(127);

  /* 2. into the job's cgroups while still in the host's cgroup namespace (cgroups.c) */
  if (join_cgroups(o, &f) < 0) die(sync_fd, &f);

  /* 3. the namespaces the job shares with us; the pid ns was entered by the fork that made us.
   *    The cgroup ns is rooted at the cgroups just joined; a new net ns only has lo, down. */
  int unshare_net = o->new_net && o->netns_fd < 0;
  int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | (unshare_net ? CLONE_NEWNET : 0);
  if (unshare(flags) < 0)
    die_errno(sync_fd, unshare_net ? "unshare mnt,ipc,uts,cgroup,net" : "unshare mnt,ipc,uts,cgroup", errno);
  if (o->netns_fd >= 0 && join_netns(o->netns_fd, &f) < 0) die(sync_fd, &f);
  if (unshare_net && loopback_up(&f) < 0) die(sync_fd, &f);

  /* 4. no mount event of ours may propagate back to the host (mount_namespaces(7): a new mount
   *    ns copies the shared peer groups of systemd's "/" rshared tree) */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die_errno(sync_fd, "mount --make-rprivate /", errno);

  /* 5. the job's root (rootfs.c: system dirs, work, /tmp, /dev, /proc, /sys, pivot_root), or
   *    without one just a procfs of the new pid ns over the host's /proc */
  if (o->root) {
    if (build_root(o, &f) < 0) die(sync_fd, &f);
  } else if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die_errno(sync_fd, "mount /proc", errno);

  /* 6. the job's own hostname (uts ns) */
  if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0) {
    failf(&f, errno, NULL, "sethostname %.64s", o->hostname);
    die(sync_fd, &f);
  }

  /* 7. init stays root in the job's namespaces; non-dumpable makes its /proc/1 entries owned by
   *    root and closed to the job's user even without hidepid (proc(5), PR_SET_DUMPABLE), so the
   *    job cannot reach our binary through /proc/1/exe (the runc CVE-2019-5736 class) */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) die_errno(sync_fd, "prctl PR_SET_DUMPABLE 0", errno);

  /* 7b. held (--hold-fd): everything is set up; the job itself starts only once the daemon says
   *     so, after the submission is durable (one byte); a closed pipe means it never will be */
  if (o->hold_fd >= 0) {
    char go;
    ssize_t n;
    do n = read(o->hold_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    close(o->hold_fd);
    if (n != 1) {
      failf(&f, n < 0 ? errno : ECANCELED, "the daemon gave the launch up (its submission was never durable)", "wait for the release (--hold-fd)");
      die(sync_fd, &f);
    }
  }

  /* 8. the job; from here the launcher learns the outcome from the job itself */
  pid_t job = fork();
  if (job < 0) die_errno(sync_fd, "fork job", errno);
  if (job == 0) run_job(o, sync_fd, orig_mask);
  close(sync_fd);

  /* 9. wait for the job's main process; report its raw status before taking the rest down */
  int status = supervise(job, &set);
  write_all(exit_fd, (const char *)&status, sizeof status);
  kill(-1, SIGKILL);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
  /* Every process of the job is gone: tell the launcher now (EOF on the exit pipe). Left to
   * _exit, the close would come only after the namespaces are torn down (an exiting task's
   * fput runs after exit_task_namespaces), and the mount namespace's teardown waits an RCU
   * grace period, ~1.4 ms on the bench VM, that nobody needs to wait for. */
  close(exit_fd);
  _exit(exit_code(status));
}
