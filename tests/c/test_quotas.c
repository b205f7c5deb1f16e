/* test_quotas.c — quotas.c: parsing the quota table, looking an operation up (exact, then
 * the service's shared `*` bucket), overrides and their errors, the real embedded table
 * (every line parses and names a real operation), and the retry mode a runbook may switch
 * (client.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "embedded.h"
#include "model.h"
#include "quotas.h"
#include "replay_fixture.h"

static const char TABLE[] = "# a comment line\n"
                            "\n"
                            "lambda GetFunction 100 100 https://example/a (quoted)\n"
                            "lambda *           15  15  https://example/b\n"
                            "lambda Invoke      off -   https://example/c  # trailing\n"
                            "cloudtrail LookupEvents 2 2 https://example/d\n";

static rb_quota_table *parse_ok(const char *text) {
  char err[256] = "";
  rb_quota_table *t = rb_quotas_parse(text, err, sizeof err);
  if (!t)
    fail_msg("parse failed: %s", err);
  return t;
}

static void parse_fails_with(const char *text, const char *expected) {
  char err[256] = "";
  rb_quota_table *t = rb_quotas_parse(text, err, sizeof err);
  if (t) {
    rb_quotas_free(t);
    fail_msg("'%s' parsed, expected an error '%s'", text, expected);
  }
  if (!strstr(err, expected))
    fail_msg("error '%s' does not say '%s'", err, expected);
}

static void a_table_parses_with_comments_and_sources(void **state) {
  (void)state;
  rb_quota_table *t = parse_ok(TABLE);
  assert_int_equal(rb_quotas_count(t), 4);
  const rb_rate *r = rb_quotas_entry(t, 0);
  assert_string_equal(r->service, "lambda");
  assert_string_equal(r->operation, "GetFunction");
  assert_true(r->per_second == 100 && r->burst == 100);
  assert_string_equal(r->source, "https://example/a (quoted)");
  assert_string_equal(rb_quotas_entry(t, 2)->source, "https://example/c");
  rb_quotas_free(t);
}

static void lookup_is_exact_first_then_the_shared_bucket(void **state) {
  (void)state;
  rb_quota_table *t = parse_ok(TABLE);
  const rb_rate *get = rb_quotas_lookup(t, "lambda", "GetFunction");
  const rb_rate *conf = rb_quotas_lookup(t, "lambda", "GetFunctionConfiguration");
  const rb_rate *list = rb_quotas_lookup(t, "lambda", "ListFunctions");
  assert_non_null(get);
  assert_true(get->per_second == 100);
  assert_non_null(conf);
  assert_ptr_equal(conf, list); /* one bucket for every other control-plane call */
  assert_string_equal(conf->operation, "*");
  assert_null(rb_quotas_lookup(t, "lambda", "Invoke"));        /* off: exempt from `*` */
  assert_null(rb_quotas_lookup(t, "logs", "FilterLogEvents")); /* no line: unpaced */
  assert_non_null(rb_quotas_lookup(t, "cloudtrail", "LookupEvents"));
  assert_null(rb_quotas_lookup(t, "cloudtrail", "GetTrail")); /* no `*` for cloudtrail */
  rb_quotas_free(t);
}

static void malformed_tables_name_the_line(void **state) {
  (void)state;
  parse_fails_with("lambda GetFunction 100 100\n", "line 1: expected SERVICE OPERATION");
  parse_fails_with("#\nlambda GetFunction x 100 src\n", "line 2: PER_SECOND must be");
  parse_fails_with("lambda GetFunction -1 100 src\n", "PER_SECOND must be");
  parse_fails_with("lambda GetFunction 5 0.5 src\n",
                   "BURST must be a number of at least 1");
  parse_fails_with("lambda Invoke off 3 src\n",
                   "BURST must be - for an operation that is off");
  parse_fails_with("lambda Get.Function 5 5 src\n", "bad service or operation name");
  parse_fails_with("lambda * 5 5 a\nlambda * 6 6 b\n",
                   "line 2: lambda * is listed twice");
}

static void overrides_change_add_and_turn_off(void **state) {
  (void)state;
  rb_quota_table *t = parse_ok(TABLE);
  const rb_rate *shared = rb_quotas_lookup(t, "lambda", "ListFunctions");
  char err[512] = "";
  assert_int_equal(rb_quotas_override(t,
                                      "lambda.GetFunctionConfiguration=2, lambda.*=4/8,"
                                      "cloudtrail.LookupEvents=off",
                                      2, err, sizeof err),
                   0);
  const rb_rate *conf = rb_quotas_lookup(t, "lambda", "GetFunctionConfiguration");
  assert_non_null(conf);
  assert_ptr_not_equal(conf, shared);                     /* a bucket of its own now */
  assert_true(conf->per_second == 2 && conf->burst == 2); /* BURST: one second's worth */
  assert_string_equal(conf->source, "--rate-limit");
  /* the shared entry changed in place: the same key for the buckets already made */
  assert_ptr_equal(rb_quotas_lookup(t, "lambda", "ListFunctions"), shared);
  assert_true(shared->per_second == 4 && shared->burst == 8);
  assert_null(rb_quotas_lookup(t, "cloudtrail", "LookupEvents"));
  assert_int_equal(rb_quotas_override(t, "lambda.GetPolicy=0.5", 2, err, sizeof err), 0);
  const rb_rate *slow = rb_quotas_lookup(t, "lambda", "GetPolicy");
  assert_true(slow->per_second == 0.5 && slow->burst == 1);
  rb_quotas_free(t);
}

static void the_option_wins_over_the_environment(void **state) {
  (void)state;
  rb_quota_table *t = parse_ok(TABLE);
  char err[512] = "";
  assert_int_equal(rb_quotas_override(t, "lambda.GetFunction=7", 2, err, sizeof err), 0);
  assert_int_equal(
      rb_quotas_override(t, "lambda.GetFunction=1,lambda.*=3", 1, err, sizeof err), 0);
  assert_true(rb_quotas_lookup(t, "lambda", "GetFunction")->per_second == 7);
  assert_true(rb_quotas_lookup(t, "lambda", "ListFunctions")->per_second == 3);
  assert_string_equal(rb_quotas_lookup(t, "lambda", "ListFunctions")->source,
                      "RUNBOOK_RATE_LIMITS");
  rb_quotas_free(t);
}

static void override_fails_with(const char *spec, const char *expected) {
  rb_quota_table *t = parse_ok(TABLE);
  char err[512] = "";
  int rc = rb_quotas_override(t, spec, 2, err, sizeof err);
  rb_quotas_free(t);
  if (rc == 0)
    fail_msg("'%s' was accepted, expected an error '%s'", spec, expected);
  if (!strstr(err, expected))
    fail_msg("error '%s' does not say '%s'", err, expected);
}

static void bad_overrides_name_the_entry_and_the_syntax(void **state) {
  (void)state;
  const char *syntax = "use SERVICE.OPERATION=PER_SECOND[/BURST]";
  override_fails_with("lambda.GetFunction",
                      "bad --rate-limit entry 'lambda.GetFunction'");
  override_fails_with("lambda.GetFunction", syntax);
  override_fails_with("lambda.GetFunction=fast", "'lambda.GetFunction=fast': use");
  override_fails_with("lambda.GetFunction=-2", syntax);
  override_fails_with("lambda.GetFunction=2/0", syntax);
  override_fails_with("GetFunction=2", syntax);
  override_fails_with("lambda.GetFunction=2,x", "entry 'x'");
  override_fails_with("lambda.GetFuntion=2", "did you mean GetFunction?");
  override_fails_with("lambdax.*=2",
                      "bad --rate-limit entry 'lambdax.*=2': unknown service");
}

/* The table shipped in the binary: it parses, every line names an operation of the
 * embedded models, and the published figures the core relies on are there. */
static void the_embedded_table_is_well_formed(void **state) {
  (void)state;
  const struct rb_embedded_file *f = rb_embedded_find(rb_embedded_quotas, "quotas");
  assert_non_null(f);
  rb_quota_table *t = parse_ok((const char *)f->data);
  assert_true(rb_quotas_count(t) >= 10);
  for (size_t i = 0; i < rb_quotas_count(t); i++) {
    const rb_rate *r = rb_quotas_entry(t, i);
    rb_error e;
    rb_error_clear(&e);
    rb_operation op;
    int ok = strcmp(r->operation, "*") == 0
                 ? rb_model_load(r->service, &e) != NULL
                 : rb_model_find(r->service, r->operation, NULL, &op, &e) == 0;
    if (!ok)
      fail_msg("core/quotas.txt: %s %s: %s", r->service, r->operation, e.message);
    if (!strstr(r->source, "https://"))
      fail_msg("core/quotas.txt: %s %s has no source URL", r->service, r->operation);
  }
  assert_true(rb_quotas_lookup(t, "lambda", "GetFunction")->per_second == 100);
  assert_true(rb_quotas_lookup(t, "lambda", "GetPolicy")->per_second == 15);
  assert_true(rb_quotas_lookup(t, "lambda", "ListFunctions")->per_second == 15);
  assert_true(rb_quotas_lookup(t, "cloudtrail", "LookupEvents")->per_second == 2);
  assert_true(rb_quotas_lookup(t, "logs", "FilterLogEvents")->per_second == 5);
  assert_true(rb_quotas_lookup(t, "monitoring", "GetMetricData")->per_second == 50);
  rb_quotas_free(t);
  rb_model_free_all();
}

/* ---- the retry mode a runbook may switch (client.c) ---- */

static const char *env_standard(void *ud, const char *name) {
  (void)ud;
  if (strcmp(name, "AWS_RETRY_MODE") == 0)
    return "standard";
  return replay_no_env(ud, name);
}

static const char RECORDING[] =
    "{\"format\": \"runbook-recording\", \"version\": 1, \"run_time\": 1795744800,"
    " \"region\": \"us-east-1\", \"exchanges\": []}";

static void a_runbook_switches_to_adaptive_unless_the_operator_chose(void **state) {
  replay_fixture *f = replay_fixture_new("/tmp/rb-quotas-XXXXXX", RECORDING);
  *state = f;
  int chosen = -1;
  assert_string_equal(rb_client_retry_mode(f->c, &chosen), "standard");
  assert_int_equal(chosen, 0);
  rb_error err = {0};
  assert_int_equal(rb_client_set_retry_mode(f->c, "adaptive", &err), 0);
  assert_string_equal(rb_client_retry_mode(f->c, NULL), "adaptive");
  assert_int_equal(rb_client_set_retry_mode(f->c, "fast", &err), -1);
  assert_non_null(strstr(err.message, "retry mode must be standard or adaptive"));

  rb_client_config cfg = {0};
  cfg.replay_path = f->path;
  cfg.getenv = env_standard;
  rb_client *c = rb_client_new(&cfg, &err);
  assert_non_null(c);
  assert_int_equal(rb_client_set_retry_mode(c, "adaptive", &err), 1);
  assert_string_equal(rb_client_retry_mode(c, &chosen), "standard");
  assert_int_equal(chosen, 1);
  rb_client_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_table_parses_with_comments_and_sources),
      cmocka_unit_test(lookup_is_exact_first_then_the_shared_bucket),
      cmocka_unit_test(malformed_tables_name_the_line),
      cmocka_unit_test(overrides_change_add_and_turn_off),
      cmocka_unit_test(the_option_wins_over_the_environment),
      cmocka_unit_test(bad_overrides_name_the_entry_and_the_syntax),
      cmocka_unit_test(the_embedded_table_is_well_formed),
      cmocka_unit_test_teardown(a_runbook_switches_to_adaptive_unless_the_operator_chose,
                                replay_fixture_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
