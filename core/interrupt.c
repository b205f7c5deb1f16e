/* interrupt.c — the stop flag behind SIGINT and SIGTERM (see interrupt.h).
 *
 * Uses sigaction only. The handler must never do more than an async-signal-safe
 * program may: it sets a sig_atomic_t, restores the default action and calls the one
 * notifier it was given. Handlers are installed without SA_RESTART, so a poll() waiting
 * for the network returns at once. */
#include "interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;
static void (*volatile notify_fn)(int signo);

static void on_signal(int signo) {
  stop_signal = signo;
  signal(signo, SIG_DFL); /* a second Ctrl-C ends the process the usual way */
  if (notify_fn)
    notify_fn(signo);
}

void rb_interrupt_install(void (*notify)(int signo)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  notify_fn = notify;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int rb_interrupted(void) {
  return (int)stop_signal;
}

void rb_interrupt_set(int signo) {
  stop_signal = signo;
}

void rb_interrupt_clear(void) {
  stop_signal = 0;
}
