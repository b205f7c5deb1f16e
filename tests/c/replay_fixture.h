/* replay_fixture.h — a client that answers from a recording written to a temporary file,
 * for the client tests (test_client_targets.c, test_write_scope.c): no network, no
 * credentials, no clock, and an environment in which no AWS file is found.
 * Include after cmocka.h. */
#ifndef RB_TEST_REPLAY_FIXTURE_H
#define RB_TEST_REPLAY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

/* The injected environment: no AWS variable, and config files that do not exist. */
static const char *replay_no_env(void *ud, const char *name) {
  (void)ud;
  if (strcmp(name, "AWS_CONFIG_FILE") == 0 ||
      strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
    return "/nonexistent/runbook-test";
  return NULL;
}

/* Writes `recording` to a new file named from `template` ("/tmp/rb-x-XXXXXX", changed in
 * place; the caller unlinks it). */
static void replay_write(char *template, const char *recording) {
  int fd = mkstemp(template);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, recording, strlen(recording)), (ssize_t)strlen(recording));
  close(fd);
}

/* A client replaying `path`; fails the test when it cannot be made. */
static rb_client *replay_client(const char *path, int dry_run) {
  rb_client_config cfg = {0};
  cfg.replay_path = path;
  cfg.getenv = replay_no_env;
  cfg.dry_run = dry_run;
  rb_error err = {0};
  rb_client *c = rb_client_new(&cfg, &err);
  if (!c)
    fail_msg("%s: %s", err.code, err.message);
  return c;
}

/* A test's state: the recording's file and the client replaying it (`done` for the test's
 * own completion callback). */
typedef struct replay_fixture {
  char path[64];
  rb_client *c;
  int done;
} replay_fixture;

/* Writes `recording` to a file named from `template` ("/tmp/rb-x-XXXXXX") and makes a
 * client replaying it: a cmocka setup's state. */
static replay_fixture *replay_fixture_new(const char *template, const char *recording) {
  replay_fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  snprintf(f->path, sizeof f->path, "%s", template);
  replay_write(f->path, recording);
  f->c = replay_client(f->path, 0);
  return f;
}

/* The cmocka teardown for replay_fixture_new. */
static int replay_fixture_teardown(void **state) {
  replay_fixture *f = *state;
  rb_client_free(f->c);
  unlink(f->path);
  free(f);
  return 0;
}

#endif
