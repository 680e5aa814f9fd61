/*
 * joblet-launcher: the C program that sits between the daemon's spawn() and the job's exec().
 *
 * Process tree (DESIGN invariant 5: no namespace or mount syscall ever runs on a Node thread):
 *
 *   daemon (node) ── spawn ──► launcher      host pid ns; forwards signals, reports on the status fd
 *                                └─ init     pid 1 of a new pid ns; new mount/ipc/uts ns; reaps
 *                                    └─ job  setsid, chdir, fds closed, execvp(COMMAND)
 *
 * Status fd protocol (one line each, written only by the outer launcher):
 *   first  `started <host pid of the job>`  or  `error <step>: <ERRNO_NAME> (<strerror>)`
 *   last   `exited <code>`                  or  `killed <signal number>`
 */
#ifndef JOBLET_LAUNCHER_H
#define JOBLET_LAUNCHER_H

#include <signal.h>
#include <stddef.h>

/* What the daemon asked for; argv is NULL-terminated and starts with the command. */
struct launch_opts {
  const char *workdir;  /* NULL: keep the launcher's cwd */
  const char *hostname; /* NULL: keep the copy of the host's name the new uts ns starts with */
  int status_fd;        /* -1: report errors on stderr only */
  char **argv;
};

/*
 * Signals the launcher and init pass on to the whole job. The daemon sends them to the launcher,
 * the launcher to init, init to every process of the namespace with kill(-1, sig).
 */
#define FORWARDED_SIGNALS {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}

/*
 * SIGKILL cannot be caught, so "kill the whole job" reaches the launcher as this signal instead;
 * the launcher answers with SIGKILL to init, which makes the kernel kill every process of the pid
 * namespace (pid_namespaces(7)) before init's parent can reap it. Killing the launcher itself
 * would also work (init has PR_SET_PDEATHSIG) but would lose the final status line and the
 * guarantee that nothing of the job is left when the launcher exits.
 * Must match KILL_CONTROL_SIGNAL in src/executor/launcherProtocol.ts.
 */
#define KILL_CONTROL_SIGNAL SIGPWR

/* Messages on the launcher<->job seqpacket socket; the first byte is the type. */
#define MSG_PID 'P'   /* carries SCM_CREDENTIALS: the kernel translates the pid to the reader's ns */
#define MSG_ERROR 'E' /* "<step>: <ERRNO_NAME> (<strerror>)" */

/* report.c */
void format_failure(char *out, size_t len, const char *step, int err);
void write_all(int fd, const char *buf, size_t len);
void status_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void send_failure(int sock, const char *step, int err);

/* job.c: runs in the child of init; never returns */
void run_job(const struct launch_opts *o, int sync_fd, const sigset_t *orig_mask)
    __attribute__((noreturn));

/* init.c: runs as pid 1 of the new pid namespace; never returns */
void run_init(const struct launch_opts *o, int sync_fd, int exit_fd, const sigset_t *orig_mask)
    __attribute__((noreturn));

/* signals.c */
void forwarded_set(sigset_t *set);         /* FORWARDED_SIGNALS */
int is_forwarded(int sig);
void install_noop_handlers(const sigset_t *set);
void reset_signals(const sigset_t *orig_mask); /* defaults + the daemon's mask, for exec */

#endif
