/*
 * The launcher's side of the startup handshake with the job: collect the job's pid message and
 * any error message until the sync socket reaches EOF, then write the first status line.
 */
#ifndef JOBLET_STARTUP_H
#define JOBLET_STARTUP_H

#include <sys/types.h>

struct startup {
  int fd;          /* our end of the seqpacket socket; closed once done */
  int done;        /* EOF seen: every copy of the job's end is closed (exec or exit) */
  pid_t pid;       /* the job's pid in our (the host's) pid namespace, 0 until reported */
  char error[4400];/* first failure reported by init or the job, "" if none */
};

void startup_init(struct startup *st, int fd);
/* Reads one message; returns 1 when the handshake is over (EOF or a broken socket), else 0. */
int startup_read(struct startup *st);
void startup_report(const struct startup *st, int status_fd);

#endif
