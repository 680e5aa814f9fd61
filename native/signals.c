/*
 * Signal plumbing shared by the launcher, init and the job. Both the launcher and init keep the
 * signals they act on blocked and take them synchronously (signalfd / sigwaitinfo), so no code
 * runs in signal handlers.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>

#include "launcher.h"

static const int forwarded[] = FORWARDED_SIGNALS;
#define N_FORWARDED (sizeof forwarded / sizeof forwarded[0])

void forwarded_set(sigset_t *set) {
  sigemptyset(set);
  for (size_t i = 0; i < N_FORWARDED; i++) sigaddset(set, forwarded[i]);
}

int is_forwarded(int sig) {
  for (size_t i = 0; i < N_FORWARDED; i++)
    if (forwarded[i] == sig) return 1;
  return 0;
}

static void noop(int sig) { (void)sig; }

/*
 * pid 1 of a namespace only receives the signals it has a handler for; the rest are dropped,
 * even from the parent namespace (pid_namespaces(7), "The namespace init process"). Blocked
 * signals are queued anyway, but a handler makes the intent independent of that kernel detail.
 */
void install_noop_handlers(const sigset_t *set) {
  struct sigaction sa = {.sa_handler = noop};
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember(set, sig) == 1) sigaction(sig, &sa, NULL);
}

/*
 * exec(2) keeps ignored dispositions and the signal mask, so undo what the launcher changed:
 * handlers installed, SIGPIPE ignored, our signals blocked.
 */
void reset_signals(const sigset_t *orig_mask) {
  for (size_t i = 0; i < N_FORWARDED; i++) signal(forwarded[i], SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  signal(KILL_CONTROL_SIGNAL, SIG_DFL);
  sigprocmask(SIG_SETMASK, orig_mask, NULL);
}
