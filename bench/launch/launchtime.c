/* Times launches of a command the way `perf stat -r` would, without Node's child_process in the
 * way (its fork of a large process and its stdio pipes add ~2 ms on the bench VM to every
 * variant alike): fork, exec, wait, on a monotonic clock, one line of milliseconds per run.
 *
 * usage: launchtime RUNS [--netns-fd N] [--cgroup DIR FILE VALUE]... -- COMMAND ARGS...
 *   --netns-fd: the command gets a fresh network namespace with `lo` up at fd N, made before
 *   the run's timed window by the spawner's own pool code (native/netns_pool.c), as the daemon's
 *   launches get theirs; each namespace serves one run and is closed after it.
 *   --cgroup: before each run make DIR/<run>, write VALUE to its FILE (repeat --cgroup with the
 *   same DIR for several files); an argument of COMMAND that contains "/@/" gets "@" replaced
 *   by the run's number, so the command can join the dirs made for it. The mkdir and writes are
 *   inside the timed window (a job's cgroup is made on its launch path); the rmdir after the
 *   command's exit is not (the daemon removes a job's cgroup after it has reported the end). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns_pool.h"

struct limit { const char *dir, *file, *value; };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *path) {
  fprintf(stderr, "launchtime: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static char *with_run(const char *arg, int run) {
  const char *at = strstr(arg, "/@/");
  if (!at && !(strlen(arg) >= 2 && strcmp(arg + strlen(arg) - 2, "/@") == 0)) return strdup(arg);
  if (!at) at = arg + strlen(arg) - 2;
  char *out = malloc(strlen(arg) + 16);
  sprintf(out, "%.*s/%d%s", (int)(at - arg), arg, run, at + 2);
  return out;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: launchtime RUNS [--netns-fd N] [--cgroup DIR FILE VALUE]... -- COMMAND ARGS...\n"); return 2; }
  int runs = atoi(argv[1]), i = 2, n_limits = 0, netns_at = -1;
  struct limit limits[16];
  if (i + 1 < argc && strcmp(argv[i], "--netns-fd") == 0) {
    netns_at = atoi(argv[i + 1]);
    i += 2;
    if (netns_pool_init() != 0) die("open", "/proc/self/ns/net");
  }
  for (; i < argc && strcmp(argv[i], "--") != 0; i += 4) {
    if (strcmp(argv[i], "--cgroup") != 0 || i + 3 >= argc || n_limits == 16) { fprintf(stderr, "launchtime: bad option %s\n", argv[i]); return 2; }
    limits[n_limits++] = (struct limit){argv[i + 1], argv[i + 2], argv[i + 3]};
  }
  if (i + 1 >= argc) { fprintf(stderr, "launchtime: no command after --\n"); return 2; }
  char **cmd = argv + i + 1;
  int n_cmd = argc - i - 1;
  char **args = calloc((size_t)n_cmd + 1, sizeof *args);
  char path[4096];
  for (int run = 0; run < runs; run++) {
    for (int k = 0; k < n_cmd; k++) args[k] = with_run(cmd[k], run);
    int netns = -1;
    if (netns_at >= 0 && (errno = netns_pool_take(&netns)) != 0) die("make", "a network namespace");
    double t0 = now_ms();
    for (int l = 0; l < n_limits; l++) {
      snprintf(path, sizeof path, "%s/%d", limits[l].dir, run);
      if (mkdir(path, 0755) < 0 && errno != EEXIST) die("mkdir", path);
      snprintf(path, sizeof path, "%s/%d/%s", limits[l].dir, run, limits[l].file);
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, limits[l].value, strlen(limits[l].value)) < 0) die("write", path);
      close(fd);
    }
    pid_t pid = fork();
    if (pid < 0) die("fork", cmd[0]);
    if (pid == 0) {
      if (netns >= 0 && dup2(netns, netns_at) < 0) _exit(126);
      execvp(args[0], args);
      _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    double ms = now_ms() - t0;
    if (netns >= 0) close(netns);
    for (int l = 0; l < n_limits; l++) {
      snprintf(path, sizeof path, "%s/%d", limits[l].dir, run);
      rmdir(path); /* several limits share a dir: the first rmdir takes it */
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "launchtime: run %d of %s: status 0x%x\n", run, cmd[0], status);
      return 1;
    }
    printf("%.4f\n", ms);
    for (int k = 0; k < n_cmd; k++) free(args[k]);
  }
  return 0;
}
