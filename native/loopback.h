/* Shared by the launcher (netns.c) and the spawner's network namespace pool (netns_pool.c). */
#ifndef JOBLET_LOOPBACK_H
#define JOBLET_LOOPBACK_H

/* Brings up `lo` of the calling thread's network namespace: 0, or the errno of the failed step. */
int loopback_up_errno(void);

#endif
