/* test_write_scope.c — the client's write scope (client_scope.c): an approved write goes
 * through once, parameter for parameter; anything else is refused before a request is
 * built. Driven through the replay transport: no network, credentials or clock. */
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

static const char recording[] =
    "{\"format\": \"runbook-recording\", \"version\": 1, \"run_time\": 1795744800,\n"
    " \"region\": \"us-east-1\", \"exchanges\": [\n"
    "  {\"service\": \"lambda\", \"operation\": \"UpdateFunctionConfiguration\",\n"
    "   \"params\": {\"FunctionName\": \"f\", \"Timeout\": 60}, \"attempt\": 1,\n"
    "   \"response\": {\"status\": 200, \"headers\": {}, \"body\": \"{}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"UpdateFunctionConfiguration\",\n"
    "   \"params\": {\"FunctionName\": \"f\", \"MemorySize\": 256, \"RevisionId\": "
    "\"rev-7\"},\n"
    "   \"attempt\": 1, \"response\": {\"status\": 200, \"headers\": {}, \"body\": "
    "\"{}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"UpdateFunctionConfiguration\",\n"
    "   \"params\": {\"FunctionName\": \"f\", \"Timeout\": 90}, \"attempt\": 1,\n"
    "   \"response\": {\"status\": 400, \"headers\": {}, \"body\": "
    "\"{\\\"__type\\\":\\\"InvalidParameterValueException\\\",\\\"message\\\":\\\"not "
    "yet\\\"}\"}},\n"
    "  {\"service\": \"lambda\", \"operation\": \"GetAccountSettings\", \"params\": {},\n"
    "   \"attempt\": 1, \"response\": {\"status\": 200, \"headers\": {}, \"body\": "
    "\"{}\"}}\n"
    "]}\n";

static void on_done(void *ud, cJSON *res, const rb_error *err) {
  int *done = ud;
  *done = err ? -1 : 1;
  cJSON_Delete(res);
}

typedef replay_fixture fixture;

static int setup(void **state) {
  *state = replay_fixture_new("/tmp/rb-scope-XXXXXX", recording);
  return 0;
}

static int teardown(void **state) {
  return replay_fixture_teardown(state);
}

/* Calls op with the JSON `params`; returns 0 when queued, else -1 with err. */
static int send_call(fixture *f, const char *op, const char *params, rb_error *err) {
  memset(err, 0, sizeof *err);
  cJSON *p = cJSON_Parse(params);
  assert_non_null(p);
  int rc = rb_client_call(f->c, "lambda", op, p, on_done, &f->done, err);
  cJSON_Delete(p);
  return rc;
}

static int approve(fixture *f, const char *op, const char *params, rb_error *err) {
  memset(err, 0, sizeof *err);
  cJSON *p = params ? cJSON_Parse(params) : NULL;
  rb_write_call w = {"lambda", op, p, NULL};
  int id = rb_client_scope_open(f->c, &w, 1, err);
  cJSON_Delete(p);
  return id;
}

static void run_all(fixture *f) {
  for (int i = 0; i < 100 && rb_client_pending(f->c) > 0; i++)
    rb_client_run_once(f->c, 0);
  assert_int_equal(rb_client_pending(f->c), 0);
}

static void assert_refused(fixture *f, const char *op, const char *params,
                           const char *why) {
  rb_error err;
  int before = rb_client_get_stats(f->c).calls;
  assert_int_equal(send_call(f, op, params, &err), -1);
  assert_string_equal(err.code, "WriteRefused");
  assert_string_equal(err.kind, "safety");
  if (!strstr(err.message, why))
    fail_msg("expected '%s' in: %s", why, err.message);
  assert_int_equal(rb_client_get_stats(f->c).calls, before);
}

static void test_no_scope_refuses_every_write(void **state) {
  fixture *f = *state;
  assert_int_equal(rb_client_scope_current(f->c), 0);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":60}", "no fix was approved");
  assert_int_equal(rb_client_get_stats(f->c).attempts, 0);
}

static void test_approved_call_goes_through_once(void **state) {
  fixture *f = *state;
  rb_error err;
  int id = approve(f, "UpdateFunctionConfiguration",
                   "{\"Timeout\":60,\"FunctionName\":\"f\"}", &err);
  assert_true(id > 0);
  assert_int_equal(rb_client_scope_current(f->c), id);
  /* key order does not matter */
  assert_int_equal(send_call(f, "UpdateFunctionConfiguration",
                             "{\"FunctionName\":\"f\",\"Timeout\":60}", &err),
                   0);
  run_all(f);
  assert_int_equal(f->done, 1);
  assert_int_equal(rb_client_get_stats(f->c).attempts, 1);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":60}", "already made once");
  assert_int_equal(rb_client_get_stats(f->c).attempts, 1);
  assert_int_equal(rb_client_scope_close(f->c, id), 0);
  assert_int_equal(rb_client_scope_current(f->c), 0);
}

static void test_other_calls_refused_approval_kept(void **state) {
  fixture *f = *state;
  rb_error err;
  int id = approve(f, "UpdateFunctionConfiguration",
                   "{\"FunctionName\":\"f\",\"Timeout\":60}", &err);
  assert_true(id > 0);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":61}",
                 "not one of the calls approved");
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":60,\"MemorySize\":128}",
                 "not one of the calls approved");
  assert_refused(f, "PutFunctionConcurrency",
                 "{\"FunctionName\":\"f\",\"ReservedConcurrentExecutions\":0}",
                 "not one of the calls approved");
  /* reads are not the scope's business */
  assert_int_equal(send_call(f, "GetAccountSettings", "{}", &err), 0);
  run_all(f);
  assert_int_equal(rb_client_get_stats(f->c).attempts, 1);
  /* the refused near-misses did not spend the approval */
  assert_int_equal(send_call(f, "UpdateFunctionConfiguration",
                             "{\"FunctionName\":\"f\",\"Timeout\":60}", &err),
                   0);
  run_all(f);
  assert_int_equal(rb_client_get_stats(f->c).attempts, 2);
  rb_client_scope_close(f->c, id);
}

static void test_any_revision_marker(void **state) {
  fixture *f = *state;
  rb_error err;
  int id = approve(
      f, "UpdateFunctionConfiguration",
      "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"" RB_ANY_REVISION
      "\"}",
      &err);
  assert_true(id > 0);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"MemorySize\":256}", "not one of the calls");
  assert_refused(
      f, "UpdateFunctionConfiguration",
      "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"" RB_ANY_REVISION
      "\"}",
      "not one of the calls");
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"\"}",
                 "not one of the calls");
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"MemorySize\":512,\"RevisionId\":\"rev-7\"}",
                 "not one of the calls");
  assert_int_equal(
      send_call(f, "UpdateFunctionConfiguration",
                "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"rev-7\"}",
                &err),
      0);
  run_all(f);
  assert_int_equal(f->done, 1);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"rev-8\"}",
                 "already made once");
  rb_client_scope_close(f->c, id);
}

static void test_literal_revision_matches_only_itself(void **state) {
  fixture *f = *state;
  rb_error err;
  int id = approve(f, "UpdateFunctionConfiguration",
                   "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"rev-7\"}",
                   &err);
  assert_true(id > 0);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"rev-8\"}",
                 "not one of the calls");
  assert_int_equal(
      send_call(f, "UpdateFunctionConfiguration",
                "{\"FunctionName\":\"f\",\"MemorySize\":256,\"RevisionId\":\"rev-7\"}",
                &err),
      0);
  run_all(f);
  rb_client_scope_close(f->c, id);
}

static void test_close_and_one_scope_at_a_time(void **state) {
  fixture *f = *state;
  rb_error err;
  int id = approve(f, "UpdateFunctionConfiguration",
                   "{\"FunctionName\":\"f\",\"Timeout\":60}", &err);
  assert_true(id > 0);
  assert_int_equal(approve(f, "DeleteFunction", "{\"FunctionName\":\"f\"}", &err), -1);
  assert_string_equal(err.code, "ScopeOpen");
  assert_int_equal(rb_client_scope_close(f->c, id + 1), -1);
  assert_int_equal(rb_client_scope_close(f->c, id), 0);
  assert_int_equal(rb_client_scope_close(f->c, id), -1);
  /* closed: the unused approval is gone */
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":60}", "no fix was approved");
  int next = approve(f, "DeleteFunction", "{\"FunctionName\":\"f\"}", &err);
  assert_true(next > id);
  rb_client_scope_close(f->c, next);
}

static void test_bad_approvals(void **state) {
  fixture *f = *state;
  rb_error err;
  assert_int_equal(approve(f, "GetAccountSettings", NULL, &err), -1);
  assert_string_equal(err.code, "InvalidApproval");
  assert_non_null(strstr(err.message, "only reads"));
  assert_int_equal(approve(f, "NoSuchOperation", NULL, &err), -1);
  assert_true(err.code[0] != '\0');
  assert_int_equal(approve(f, "DeleteFunction", "[1]", &err), -1);
  assert_string_equal(err.code, "InvalidApproval");
  assert_int_equal(rb_client_scope_open(f->c, NULL, 0, &err), -1);
  assert_int_equal(rb_client_scope_current(f->c), 0);
}

/* The approval is bound to where the call goes: the same call to another region (or with
 * other credentials) is refused, and the approval stays for the right target. */
static void test_approval_bound_to_target(void **state) {
  fixture *f = *state;
  rb_error err;
  const char *params = "{\"FunctionName\":\"f\",\"Timeout\":60}";
  int id = approve(f, "UpdateFunctionConfiguration", params, &err);
  assert_true(id > 0);
  rb_client_target eu = {.region = "eu-west-1"};
  cJSON *p = cJSON_Parse(params);
  int before = rb_client_get_stats(f->c).calls;
  memset(&err, 0, sizeof err);
  assert_int_equal(rb_client_call_to(f->c, &eu, "lambda", "UpdateFunctionConfiguration",
                                     p, on_done, &f->done, &err),
                   -1);
  cJSON_Delete(p);
  assert_string_equal(err.code, "WriteRefused");
  assert_non_null(strstr(err.message, "region and credentials"));
  assert_int_equal(rb_client_get_stats(f->c).calls, before);
  assert_int_equal(send_call(f, "UpdateFunctionConfiguration", params, &err), 0);
  run_all(f);
  assert_int_equal(f->done, 1);
  rb_client_scope_close(f->c, id);

  /* approved for eu-west-1 explicitly: the default region's call does not match */
  p = cJSON_Parse(params);
  rb_write_call w = {"lambda", "UpdateFunctionConfiguration", p, &eu};
  id = rb_client_scope_open(f->c, &w, 1, &err);
  cJSON_Delete(p);
  assert_true(id > 0);
  assert_refused(f, "UpdateFunctionConfiguration", params,
                 "not one of the calls approved");
  rb_client_scope_close(f->c, id);
}

/* A 4xx answer changed nothing: the approval comes back and the same call may go again.
 */
static void test_refused_by_aws_gives_the_approval_back(void **state) {
  fixture *f = *state;
  rb_error err;
  const char *params = "{\"FunctionName\":\"f\",\"Timeout\":90}";
  int id = approve(f, "UpdateFunctionConfiguration", params, &err);
  assert_true(id > 0);
  for (int i = 0; i < 2; i++) {
    f->done = 0;
    assert_int_equal(send_call(f, "UpdateFunctionConfiguration", params, &err), 0);
    run_all(f);
    assert_int_equal(f->done, -1); /* AWS said 400 */
  }
  rb_client_scope_close(f->c, id);
  /* a closed scope gives nothing back */
  assert_refused(f, "UpdateFunctionConfiguration", params, "no fix was approved");
}

static void test_dry_run_refuses_approved_calls(void **state) {
  fixture *f = *state;
  rb_client_free(f->c);
  f->c = replay_client(f->path, 1);
  rb_error err;
  int id = approve(f, "UpdateFunctionConfiguration",
                   "{\"FunctionName\":\"f\",\"Timeout\":60}", &err);
  assert_true(id > 0);
  assert_refused(f, "UpdateFunctionConfiguration",
                 "{\"FunctionName\":\"f\",\"Timeout\":60}", "dry run");
  assert_int_equal(rb_client_get_stats(f->c).attempts, 0);
  rb_client_scope_close(f->c, id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_no_scope_refuses_every_write, setup, teardown),
      cmocka_unit_test_setup_teardown(test_approved_call_goes_through_once, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_other_calls_refused_approval_kept, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_any_revision_marker, setup, teardown),
      cmocka_unit_test_setup_teardown(test_literal_revision_matches_only_itself, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_close_and_one_scope_at_a_time, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bad_approvals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dry_run_refuses_approved_calls, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_approval_bound_to_target, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_by_aws_gives_the_approval_back, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
