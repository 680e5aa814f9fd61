/* The spawner's pool of ready network namespaces (netns_pool.c). */
#ifndef JOBLET_NETNS_POOL_H
#define JOBLET_NETNS_POOL_H

/* Remembers the spawner's own network namespace; 0, or an errno (the pool then stays empty). */
int netns_pool_init(void);
/* A namespace for one launch, from the pool or made now: 0 and *fd, or an errno. */
int netns_pool_take(int *fd);
/* Whether an idle moment should go to making one more (it stops trying after a failure). */
int netns_pool_wants_more(void);
void netns_pool_fill_one(void);

#endif
