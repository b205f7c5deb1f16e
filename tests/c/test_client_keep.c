/* test_client_keep.c — the results finished reads keep for identical later reads stay
 * within CLIENT_KEEP_BYTES: past it the least recently shared are forgotten (a later
 * identical read is sent again), while a recent one is still shared. Checked through the
 * replay transport with answers of about a quarter of a megabyte each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "replay_fixture.h"

#define CALLS 12
#define BODY_BYTES (256 * 1024)

/* One exchange per function fn-0 .. fn-11, each answering a large Description. */
static char *recording(void) {
  rb_buf b = RB_BUF_INIT;
  char *filler = malloc(BODY_BYTES + 1);
  assert_non_null(filler);
  memset(filler, 'x', BODY_BYTES);
  filler[BODY_BYTES] = '\0';
  rb_buf_puts(&b, "{\"format\": \"runbook-recording\", \"version\": 1, \"run_time\": "
                  "1795744800, \"region\": \"us-east-1\", \"exchanges\": [");
  for (int i = 0; i < CALLS; i++)
    rb_buf_printf(
        &b,
        "%s{\"service\": \"lambda\", \"operation\": \"GetFunctionConfiguration\","
        " \"params\": {\"FunctionName\": \"fn-%d\"}, \"attempt\": 1, "
        "\"response\": {\"status\": 200, \"headers\": {}, \"body\": "
        "\"{\\\"FunctionName\\\": \\\"fn-%d\\\", \\\"Description\\\": "
        "\\\"%s\\\"}\"}}",
        i ? "," : "", i, i, filler);
  rb_buf_puts(&b, "]}\n");
  free(filler);
  assert_non_null(b.data);
  return rb_buf_detach(&b);
}

static int setup(void **state) {
  char *text = recording();
  *state = replay_fixture_new("/tmp/rb-keep-XXXXXX", text);
  free(text);
  return 0;
}

static int teardown(void **state) {
  return replay_fixture_teardown(state);
}

static void on_done(void *ud, cJSON *res, const rb_error *err) {
  (void)err;
  (*(int *)ud)++;
  cJSON_Delete(res);
}

static void read_fn(rb_client *c, int i, int *done) {
  rb_error err = {0};
  char name[16];
  snprintf(name, sizeof name, "fn-%d", i);
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "FunctionName", name);
  if (rb_client_call(c, "lambda", "GetFunctionConfiguration", params, on_done, done,
                     &err) != 0)
    fail_msg("call refused: %s: %s", err.code, err.message);
  cJSON_Delete(params);
  for (int k = 0; k < 100 && rb_client_pending(c) > 0; k++)
    rb_client_run_once(c, 0);
  assert_int_equal(rb_client_pending(c), 0);
}

static void old_results_are_forgotten_past_the_budget_recent_ones_shared(void **state) {
  replay_fixture *f = *state;
  int done = 0;
  for (int i = 0; i < CALLS; i++)
    read_fn(f->c, i, &done);
  assert_int_equal(done, CALLS);
  rb_client_stats before = rb_client_get_stats(f->c);
  assert_int_equal(before.shared, 0);
  read_fn(f->c, CALLS - 1, &done); /* the newest: still kept */
  rb_client_stats st = rb_client_get_stats(f->c);
  assert_int_equal(st.shared, 1);
  assert_int_equal(st.attempts, before.attempts);
  read_fn(f->c, 0, &done); /* the oldest: forgotten, so asked again */
  st = rb_client_get_stats(f->c);
  assert_int_equal(st.shared, 1);
  assert_int_equal(st.attempts, before.attempts + 1);
  assert_int_equal(done, CALLS + 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          old_results_are_forgotten_past_the_budget_recent_ones_shared, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
