/*
 * The launcher's command line (documented in native/README.md). Each option maps 1:1 to a field
 * of struct launch_opts and to a field of the daemon's LaunchSpec (src/executor/launcherProtocol.ts).
 * A bad command line is a bug of the daemon, so it ends the launcher with one status line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

static const char usage[] =
    "usage: joblet-launcher [--status-fd N] [--workdir DIR] [--hostname NAME] [--cgroup DIR]... "
    "[--network none|host [--netns-fd N]] [--hold-fd N] [--root DIR --work-size BYTES --tmp-size BYTES [--ro-bind PATH]... "
    "[--uploads DIR]] [--uid N --gid N] [--seccomp default|strict|off] [--state-dir DIR [--spool FILE] [--max-output BYTES] [--output-batch-ms MS]] "
    "-- COMMAND [ARGS...]";

static int status_fd = -1;

__attribute__((noreturn)) static void usage_error(const char *opt, const char *what) {
  status_printf(status_fd, "error args: EINVAL (%s%s%s; %s)", opt ? opt : "", opt ? " " : "", what, usage);
  exit(127);
}

static unsigned long long number(const char *opt, const char *s, unsigned long long max) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(s, &end, 10);
  if (errno || *s < '0' || *s > '9' || *end != '\0' || n > max) usage_error(opt, "must be a decimal number in range");
  return n;
}

/*
 * Paths the launcher mounts or creates inside the job root are walked component by component
 * (paths.c), so "." and ".." (which could climb out of the root) and empty components are refused
 * here rather than interpreted.
 */
static const char *normalized_absolute(const char *opt, const char *p) {
  if (p[0] != '/') usage_error(opt, "must be an absolute path");
  for (const char *c = p; *c;) {
    while (*c == '/') c++;
    const char *e = strchrnul(c, '/');
    size_t n = (size_t)(e - c);
    if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
      usage_error(opt, "must not contain . or .. components");
    if (*e == '/' && e[1] == '/') usage_error(opt, "must not contain //");
    c = e;
  }
  return p;
}

/* --status-fd, --netns-fd, --hold-fd: an open fd the caller passed, not one we will create */
static int inherited_fd(const char *opt, const char *v) {
  long fd = (long)number(opt, v, 1 << 20);
  if (fd < 3) usage_error(opt, "must be >= 3");
  if (fcntl((int)fd, F_GETFD) < 0) usage_error(opt, "is not an open file descriptor");
  return (int)fd;
}

void parse_args(int argc, char **argv, struct launch_opts *o) {
  *o = (struct launch_opts){.status_fd = -1, .netns_fd = -1, .hold_fd = -1, .uid = -1, .gid = -1, .max_output = ~0ULL};
  int max_output_set = 0;
  /* each list entry takes two arguments, so argc bounds the number of entries */
  o->cgroups = calloc((size_t)argc, sizeof *o->cgroups);
  o->ro_binds = calloc((size_t)argc, sizeof *o->ro_binds);
  if (!o->cgroups || !o->ro_binds) usage_error(NULL, "out of memory");
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
    const char *opt = argv[i];
    if (i + 1 >= argc) usage_error(opt, "needs a value");
    const char *v = argv[i + 1];
    if (strcmp(opt, "--workdir") == 0) o->workdir = v;
    else if (strcmp(opt, "--hostname") == 0) o->hostname = v;
    else if (strcmp(opt, "--status-fd") == 0) o->status_fd = status_fd = inherited_fd(opt, v); else if (strcmp(opt, "--cgroup") == 0) o->cgroups[o->n_cgroups++] = normalized_absolute(opt, v);
    else if (strcmp(opt, "--network") == 0) {
      if (strcmp(v, "none") == 0) o->new_net = 1;
      else if (strcmp(v, "host") == 0) o->new_net = 0;
      else usage_error(opt, "must be none or host");
    } else if (strcmp(opt, "--netns-fd") == 0) o->netns_fd = inherited_fd(opt, v);
    else if (strcmp(opt, "--hold-fd") == 0) o->hold_fd = inherited_fd(opt, v);
    else if (strcmp(opt, "--root") == 0) o->root = normalized_absolute(opt, v);
    else if (strcmp(opt, "--ro-bind") == 0) o->ro_binds[o->n_ro_binds++] = normalized_absolute(opt, v);
    else if (strcmp(opt, "--uploads") == 0) o->uploads = v;
    else if (strcmp(opt, "--work-size") == 0) o->work_size = number(opt, v, 1ULL << 50);
    else if (strcmp(opt, "--tmp-size") == 0) o->tmp_size = number(opt, v, 1ULL << 50);
    /* 2^32-1 is (uid_t)-1, which setresuid(2) reads as "leave unchanged" */
    else if (strcmp(opt, "--uid") == 0) o->uid = (long)number(opt, v, 0xfffffffeULL);
    else if (strcmp(opt, "--gid") == 0) o->gid = (long)number(opt, v, 0xfffffffeULL);
    else if (strcmp(opt, "--seccomp") == 0) {
      if (strcmp(v, "default") == 0) o->seccomp = SECCOMP_DEFAULT;
      else if (strcmp(v, "strict") == 0) o->seccomp = SECCOMP_STRICT;
      else if (strcmp(v, "off") == 0) o->seccomp = SECCOMP_OFF;
      else usage_error(opt, "must be default, strict or off");
    } else if (strcmp(opt, "--state-dir") == 0) o->state_dir = normalized_absolute(opt, v);
    else if (strcmp(opt, "--spool") == 0) o->spool = normalized_absolute(opt, v);
    else if (strcmp(opt, "--output-batch-ms") == 0) o->output_batch_ms = (int)number(opt, v, 1000);
    else if (strcmp(opt, "--max-output") == 0) {
      o->max_output = number(opt, v, 1ULL << 50);
      max_output_set = 1;
    } else usage_error(opt, "is an unknown option");
  }
  if (i >= argc || i + 1 >= argc) usage_error(NULL, "missing -- COMMAND");
  o->argv = &argv[i + 1];

  if ((o->uid < 0) != (o->gid < 0)) usage_error("--uid", "and --gid go together");
  if (o->netns_fd >= 0 && !o->new_net) usage_error("--netns-fd", "needs --network none (it is the job's own namespace)");
  if (o->spool && !o->state_dir) usage_error("--spool", "needs --state-dir (the spool is the supervisor's)");
  if (max_output_set && !o->state_dir) usage_error("--max-output", "needs --state-dir (the cap applies to the spool)");
  if (!o->root && (o->n_ro_binds || o->uploads || o->work_size || o->tmp_size))
    usage_error("--ro-bind, --uploads, --work-size and --tmp-size", "need --root");
  if (o->root) {
    if (!o->workdir) usage_error("--root", "needs --workdir (the work dir's path inside the job)");
    normalized_absolute("--workdir", o->workdir);
    if (strcmp(o->workdir, "/") == 0) usage_error("--workdir", "must not be / (it gets its own tmpfs)");
    /* those get their own mounts after the work dir's, which would hide it */
    static const char *const taken[] = {"/tmp", "/dev", "/proc", "/sys"};
    for (size_t t = 0; t < sizeof taken / sizeof taken[0]; t++) {
      size_t n = strlen(taken[t]);
      if (strncmp(o->workdir, taken[t], n) == 0 && (o->workdir[n] == '\0' || o->workdir[n] == '/'))
        usage_error("--workdir", "must not be /tmp, /dev, /proc, /sys or below them");
    }
    /* tmpfs reads size=0 as "no limit" (tmpfs(5)), the opposite of what a cap of 0 would mean */
    if (!o->work_size || !o->tmp_size) usage_error("--root", "needs --work-size and --tmp-size above 0");
  }
}
