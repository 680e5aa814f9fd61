/*
 * joblet-launcher: the C program that sits between the daemon's spawn() and the job's exec().
 *
 * Process tree (DESIGN invariant 5: no namespace or mount syscall ever runs on a Node thread):
 *
 *   daemon (node) ── spawn ──► launcher      host pid ns; forwards signals, reports on the status fd
 *                                └─ init     pid 1 of a new pid ns; joins the cgroups; new mount/
 *                                    │       ipc/uts/cgroup (and net) ns; builds the job root and
 *                                    │       pivots into it; reaps
 *                                    └─ job  setsid, privileges dropped, chdir, fds closed,
 *                                            seccomp, execvp(COMMAND)
 *
 * With --state-dir the launcher is a supervisor that outlives the daemon: it holds the job's output
 * pipes and writes what it reads to a spool file, and its status lines to a status file (spool.c,
 * state.c); init's PR_SET_PDEATHSIG is tied to the launcher, never to the daemon.
 *
 * Status fd protocol (one line each, written only by the outer launcher):
 *   first  `started <host pid of the job>`  or  `error <step>: <ERRNO_NAME> (<strerror>)`
 *   last   `exited <code>`                  or  `killed <signal number>`
 */
#ifndef JOBLET_LAUNCHER_H
#define JOBLET_LAUNCHER_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

enum seccomp_profile { SECCOMP_OFF, SECCOMP_DEFAULT, SECCOMP_STRICT };

/*
 * What the daemon asked for; argv is NULL-terminated and starts with the command. Every field
 * left at its zero value (or -1) keeps the behaviour the launcher had before isolation existed.
 */
struct launch_opts {
  const char *workdir;  /* NULL: keep the launcher's cwd; with root: the path inside the job */
  const char *hostname; /* NULL: keep the copy of the host's name the new uts ns starts with */
  int status_fd;        /* -1: report errors on stderr only */
  char **argv;
  /* --cgroup: joined by init before any namespace exists */
  const char **cgroups;
  int n_cgroups;
  int cgroup_v2;        /* index of the one cgroup v2 dir in cgroups, -1 if none */
  int cgroup_v2_joined; /* init was cloned into it (clone3 CLONE_INTO_CGROUP) */
  int new_net;          /* --network none: a new net ns with only lo, up */
  int netns_fd;         /* --netns-fd: that new net ns, made ahead by the spawner (lo up); -1: init makes it */
  int hold_fd;          /* --hold-fd: init waits for one byte here before it starts the job; EOF: gives up */
  /* --root and what builds the job root (mounts.c, devfs.c, procfs.c, uploads.c) */
  const char *root;     /* NULL: no new root, only a fresh /proc over the host's */
  const char **ro_binds;
  int n_ro_binds;
  const char *uploads;  /* host dir copied into the work tmpfs; NULL: an empty work dir */
  unsigned long long work_size, tmp_size;
  /* --uid/--gid: the job drops to them with no capabilities and no_new_privs (privileges.c) */
  long uid, gid;        /* -1: stay root with every capability (only without isolation) */
  enum seccomp_profile seccomp;
  /* --state-dir: the supervisor outlives the daemon; output goes to the spool (spool.c), the
   * status lines and our pid to files (state.c). NULL: output on the inherited fds 1 and 2. */
  const char *state_dir;
  /* --spool: the spool's path when the state dir is on a tmpfs (the spool must be on disk: a
   * job's whole output may wait there while the daemon is away); NULL: STATE_DIR/output.spool */
  const char *spool;
  unsigned long long max_output; /* --max-output: bytes of output kept; ~0ULL: no cap */
  int output_batch_ms;           /* --output-batch-ms: after a small read, rest the pipes this long */
};

/* The output spool (spool.c). */
#define SPOOL_MAGIC_LEN 8
#define SPOOL_HEADER 16
#define SPOOL_CHUNK 65536 /* one pipe read, at most one record's payload */
struct spool {
  int on;    /* opened: the pipes exist (with --state-dir) */
  int fd;    /* output.spool; -1 until the first record (spool.c: made lazily) */
  int dir_fd;       /* the state dir, for the spool or its symlink */
  const char *path; /* --spool, or NULL: STATE_DIR/output.spool */
  int rd[2]; /* our ends of the job's stdout and stderr pipes; -1 once at EOF */
  int wr[2]; /* the job's ends, its fd 1 and 2; closed in the launcher after the fork */
  unsigned long long cap, kept, dropped;
  size_t len, off; /* buf[off..len) is not written yet */
  size_t last_read; /* bytes the last spool_read took from its pipe */
  unsigned char buf[SPOOL_HEADER + SPOOL_CHUNK];
};

/*
 * A failed step: what ran ("pivot_root /opt/joblet/jobs/ab12/root"), its errno and, where we know
 * the usual cause, a hint for the operator ("is the new root a mount point?").
 */
struct failure {
  char step[PATH_MAX + 128];
  int err;
  const char *hint;
};

/* write(2) until all of buf is written, retrying EINTR and short writes; -1 with errno on error. */
int write_full(int fd, const void *buf, size_t len);

/* Fills f and returns -1, so a step can `return failf(f, errno, hint, "mount %s", path)`. */
int failf(struct failure *f, int err, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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

/* state.c: files in --state-dir that tell a restarted daemon about us */
int state_open(const char *dir, struct failure *f);
int state_dir_fd(void);
int state_write_pid(struct failure *f);
void state_status_line(const char *line, size_t len); /* appends to STATE_DIR/status, atomically */

/* spool.c */
int spool_open(struct spool *s, int dir_fd, const char *path, unsigned long long cap, struct failure *f);
void spool_child_fds(struct spool *s);
void spool_parent_fds(struct spool *s);
int spool_pending(const struct spool *s);
int spool_flush(struct spool *s);              /* -1: a record is still pending (errno says why) */
int spool_read(struct spool *s, int stream);   /* one read of stream 0 (stdout) or 1 (stderr) */
int spool_close_stream(struct spool *s, int stream);
void spool_finish(struct spool *s);            /* drain to EOF, then the cap marker if bytes were dropped */

/* report.c */
void format_failure(char *out, size_t len, const char *step, int err, const char *hint);
void write_all(int fd, const char *buf, size_t len);
void status_printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void send_failure(int sock, const struct failure *f);
/* send_failure, then _exit(127): a step before exec failed */
void die(int sock, const struct failure *f) __attribute__((noreturn));
void die_errno(int sock, const char *step, int err) __attribute__((noreturn));

/* args.c: exits with an `error args:` status line on a bad command line */
void parse_args(int argc, char **argv, struct launch_opts *o);

/* cgroups.c: the launcher finds the v2 dir (*fd = an O_PATH fd of it, -1 if there is none) and
 * forks init into it; init joins the rest before its unshare */
int open_cgroup_v2(struct launch_opts *o, int *fd, struct failure *f);
pid_t fork_init(struct launch_opts *o, int cgroup_fd, struct failure *f);
int join_cgroups(const struct launch_opts *o, struct failure *f);
/* netns.c: init, in its new net ns; or init joining the one --netns-fd names (closes fd) */
int loopback_up(struct failure *f);
int join_netns(int fd, struct failure *f);

/* rootfs.c: builds the job root under o->root and pivots into it (init, in its mount ns) */
int build_root(const struct launch_opts *o, struct failure *f);
/* paths.c: mkdir -p of an absolute path below an open dir, refusing symlinks on the way */
int make_mount_point(int root_fd, const char *path, int is_file, struct failure *f);
/* out = root + path (path absolute), or ENAMETOOLONG */
int in_root(char out[PATH_MAX], const char *root, const char *path, struct failure *f);
int mount_at(struct failure *f, const char *hint, const char *src, const char *dst, const char *type,
             unsigned long flags, const char *data);
int bind_read_only(struct failure *f, const char *src, const char *dst, unsigned long extra);
/* mount_setattr(2) exists (Linux 5.12+) */
int have_mount_setattr(void);
/* every mount from root_fd's down read-only, plus extra's MS_NOSUID/MS_NODEV/MS_NOEXEC, in one call */
int read_only_tree(struct failure *f, int root_fd, const char *root, unsigned long extra);
/* devfs.c, procfs.c, uploads.c: parts of the root, given its host path */
int build_dev(const char *root, int root_fd, unsigned long long shm_size, struct failure *f);
int build_proc_sys(const char *root, int root_fd, struct failure *f);
int copy_uploads(const char *from, const char *to, uid_t uid, gid_t gid, struct failure *f);

/* privileges.c, seccomp.c (run by the job, last steps before exec) */
int drop_privileges(const struct launch_opts *o, struct failure *f);
int install_seccomp(enum seccomp_profile profile, struct failure *f);

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
