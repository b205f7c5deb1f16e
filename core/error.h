/* error.h — the one error shape of the core.
 *
 * Mirrors the Lua error table {code, message, status, request_id, retryable} so an AWS
 * error, a transport failure and a local misuse all reach scripts and the CLI the same
 * way. Pure C units fill a caller-owned rb_error and return non-zero. */
#ifndef RB_ERROR_H
#define RB_ERROR_H

typedef struct rb_error {
  char code[96]; /* AWS error code ("ThrottlingException") or a local one
                    ("NoCredentials") */
  char
      message[1024]; /* one line, lowercase first word for local errors; never a secret */
  int status;        /* HTTP status, 0 when no response was received */
  char request_id[128]; /* x-amzn-RequestId / <RequestId>, "" when unknown */
  int retryable;        /* 1 when the standard retry policy would retry it */
  /* Where it failed, set by the client: "aws" (the service answered with an error),
   * "transport" (no usable answer), "setup" (credentials, region, profile, endpoint),
   * "usage" (unknown operation, bad parameters), "safety" (a refused write); "" when the
   * error never passed through the client. */
  char kind[16];
} rb_error;

/* Fills code and a printf-style message, clears the rest; returns -1 so callers can write
 * `return rb_error_set(err, "X", "...")`. `err` may be NULL. */
int rb_error_set(rb_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rb_error_clear(rb_error *err);

#endif
