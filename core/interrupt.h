/* interrupt.h — the run was asked to stop: SIGINT (Ctrl-C) or SIGTERM.
 *
 * One process-wide flag, set from a signal handler and read by the loops that could
 * otherwise wait or spin: the Lua count hook (main.c), core.wait (l_core.c) and blocking
 * HTTP (http.c). A second signal of the same kind takes its default action, so a run
 * that does not stop can still be killed with a second Ctrl-C. */
#ifndef RB_INTERRUPT_H
#define RB_INTERRUPT_H

/* Installs handlers for SIGINT and SIGTERM. `notify` (may be NULL) is called from the
 * handler after the flag is set: it must be async-signal-safe. */
void rb_interrupt_install(void (*notify)(int signo));

/* The signal that asked the run to stop (SIGINT, SIGTERM), or 0. */
int rb_interrupted(void);

/* Sets the flag as the handler would, without a signal (for tests). */
void rb_interrupt_set(int signo);
/* Clears the flag (for tests). */
void rb_interrupt_clear(void);

#endif
