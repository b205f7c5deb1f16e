/* test_client_targets.c — calls keyed by (credential set, region): which recorded
 * exchange answers each call, what is shared and what is refused, checked through the
 * replay transport so no network, credentials or clock are involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay_fixture.h"

#define ROLE "arn:aws:iam::123456789012:role/ro"

static const char recording[] =
    "{\"format\": \"runbook-recording\", \"version\": 1, \"run_time\": 1795744800,\n"
    " \"region\": \"us-east-1\", \"exchanges\": [\n"
    "  {\"service\": \"lambda\", \"operation\": \"ListFunctions\", \"params\": {},\n"
    "   \"attempt\": 1, \"region\": \"us-east-1\", \"credentials\": \"default\",\n"
    "   \"response\": {\"status\": 200, \"headers\": {},\n"
    "     \"body\": \"{\\\"Functions\\\": [{\\\"FunctionName\\\": \\\"east\\\"}]}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"ListFunctions\", \"params\": {},\n"
    "   \"attempt\": 1, \"region\": \"eu-west-1\", \"credentials\": \"default\",\n"
    "   \"response\": {\"status\": 200, \"headers\": {},\n"
    "     \"body\": \"{\\\"Functions\\\": [{\\\"FunctionName\\\": \\\"west\\\"}]}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"ListFunctions\", \"params\": {},\n"
    "   \"attempt\": 1, \"region\": \"us-east-1\", \"credentials\": \"role:" ROLE "\",\n"
    "   \"response\": {\"status\": 200, \"headers\": {},\n"
    "     \"body\": \"{\\\"Functions\\\": [{\\\"FunctionName\\\": \\\"role\\\"}]}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"ListFunctions\", \"params\": {},\n"
    "   \"attempt\": 1, \"region\": \"us-east-1\", \"credentials\": \"profile:prod\",\n"
    "   \"response\": {\"status\": 200, \"headers\": {},\n"
    "     \"body\": \"{\\\"Functions\\\": [{\\\"FunctionName\\\": \\\"prod\\\"}]}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"GetAccountSettings\", \"params\": {},\n"
    "   \"attempt\": 1,\n"
    "   \"response\": {\"status\": 200, \"headers\": {},\n"
    "     \"body\": \"{\\\"AccountLimit\\\": {\\\"ConcurrentExecutions\\\": 7}}\"}}\n"
    "]}\n";

typedef struct result {
  char name[64];
  char code[96];
  int done;
} result;

static void on_done(void *ud, cJSON *res, const rb_error *err) {
  result *r = ud;
  r->done = 1;
  if (err)
    snprintf(r->code, sizeof r->code, "%s", err->code);
  const cJSON *fns = cJSON_GetObjectItem(res, "Functions");
  const cJSON *first = cJSON_GetArrayItem(fns, 0);
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(first, "FunctionName"));
  const cJSON *limit = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "AccountLimit"),
                                           "ConcurrentExecutions");
  if (name)
    snprintf(r->name, sizeof r->name, "%s", name);
  else if (cJSON_IsNumber(limit))
    snprintf(r->name, sizeof r->name, "limit %d", limit->valueint);
  cJSON_Delete(res);
}

typedef replay_fixture fixture;

static int setup(void **state) {
  *state = replay_fixture_new("/tmp/rb-targets-XXXXXX", recording);
  return 0;
}

static int teardown(void **state) {
  return replay_fixture_teardown(state);
}

static void call(rb_client *c, const rb_client_target *to, const char *op, result *r) {
  rb_error err = {0};
  cJSON *params = cJSON_CreateObject();
  if (rb_client_call_to(c, to, "lambda", op, params, on_done, r, &err) != 0)
    fail_msg("call refused: %s: %s", err.code, err.message);
  cJSON_Delete(params);
}

static void run_all(rb_client *c) {
  for (int i = 0; i < 100 && rb_client_pending(c) > 0; i++)
    rb_client_run_once(c, 0);
  assert_int_equal(rb_client_pending(c), 0);
}

static void each_target_is_answered_by_its_own_exchange(void **state) {
  fixture *f = *state;
  result east = {0}, west = {0}, role = {0}, prod = {0}, prod_as_flag = {0};
  rb_client_target to_west = {.region = "eu-west-1"};
  rb_client_target to_role = {.role_arn = ROLE};
  rb_client_target to_prod = {.profile = "prod", .region = "us-east-1"};
  call(f->c, NULL, "ListFunctions", &east);
  call(f->c, &to_west, "ListFunctions", &west);
  call(f->c, &to_role, "ListFunctions", &role);
  call(f->c, &to_prod, "ListFunctions", &prod);
  call(f->c, &to_prod, "ListFunctions", &prod_as_flag);
  run_all(f->c);
  assert_string_equal(east.name, "east");
  assert_string_equal(west.name, "west");
  assert_string_equal(role.name, "role");
  assert_string_equal(prod.name, "prod");
  assert_string_equal(prod_as_flag.name, "prod");
  rb_client_stats st = rb_client_get_stats(f->c);
  assert_int_equal(st.calls, 5);
  assert_int_equal(st.shared, 1); /* only the second identical read of the same target */
  assert_int_equal(st.attempts, 4);
}

static void exchanges_without_region_or_credentials_are_the_default_target(void **state) {
  fixture *f = *state;
  result r = {0}, miss = {0};
  call(f->c, NULL, "GetAccountSettings", &r);
  rb_client_target west = {.region = "eu-west-1"};
  call(f->c, &west, "GetAccountSettings", &miss);
  run_all(f->c);
  assert_string_equal(r.name, "limit 7");
  assert_string_equal(miss.code, "ReplayMiss");
}

static void a_role_with_another_session_is_another_set(void **state) {
  fixture *f = *state;
  result r = {0};
  rb_client_target to = {.role_arn = ROLE, .session_name = "audit"};
  call(f->c, &to, "ListFunctions", &r);
  run_all(f->c);
  assert_string_equal(r.name, "role"); /* same public id: the recording cannot tell */
  rb_client_stats st = rb_client_get_stats(f->c);
  assert_int_equal(st.shared, 0);
}

static void refused(rb_client *c, const rb_client_target *to, const char *code,
                    const char *needle) {
  rb_error err = {0};
  result r = {0};
  cJSON *params = cJSON_CreateObject();
  assert_int_equal(
      rb_client_call_to(c, to, "lambda", "ListFunctions", params, on_done, &r, &err), -1);
  cJSON_Delete(params);
  assert_string_equal(err.code, code);
  assert_string_equal(err.kind, "usage");
  if (!strstr(err.message, needle))
    fail_msg("'%s' not in '%s'", needle, err.message);
  assert_int_equal(r.done, 0);
}

static void targets_that_make_no_sense_are_refused_at_once(void **state) {
  fixture *f = *state;
  rb_client_target bad_arn = {.role_arn = "arn:aws:iam::123456789012:user/dev"};
  rb_client_target ext_only = {.external_id = "x"};
  rb_client_target session_only = {.session_name = "x"};
  rb_client_target source_only = {.source_profile = "base"};
  rb_client_target differ = {.profile = "a", .source_profile = "b", .role_arn = ROLE};
  rb_client_target bad_region = {.region = "Moon 1"};
  rb_client_target empty_profile = {.profile = ""};
  refused(f->c, &bad_arn, "InvalidParameter", "is not an IAM role ARN");
  refused(f->c, &ext_only, "InvalidParameter", "external_id is only used with role_arn");
  refused(f->c, &session_only, "InvalidParameter", "session_name is only used");
  refused(f->c, &source_only, "InvalidParameter", "source_profile 'base' needs role_arn");
  refused(f->c, &differ, "InvalidParameter", "differ");
  refused(f->c, &bad_region, "InvalidRegion", "Moon 1");
  refused(f->c, &empty_profile, "InvalidParameter", "profile name is empty");
  assert_int_equal(rb_client_get_stats(f->c).calls, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(each_target_is_answered_by_its_own_exchange),
      T(exchanges_without_region_or_credentials_are_the_default_target),
      T(a_role_with_another_session_is_another_set),
      T(targets_that_make_no_sense_are_refused_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
