/* test_protocol_vectors.c — replays tests/vectors/protocol/{requests,responses}.json,
 * whose expectations botocore's own serializers and parsers produced (gen_vectors.py):
 * every request must come out as botocore builds it (form bodies and query strings byte
 * for byte, JSON bodies as equal values) and every response must read as botocore reads
 * it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model.h"
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *load_vectors(const char *name) {
  const char *dir = getenv("RB_TEST_VECTORS");
  char path[1024];
  snprintf(path, sizeof path, "%s/protocol/%s", dir ? dir : "tests/vectors", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open '%s'", path);
  rb_buf text = RB_BUF_INIT;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    assert_int_equal(rb_buf_append(&text, chunk, n), 0);
  fclose(f);
  cJSON *j = cJSON_ParseWithLength(text.data, text.len);
  rb_buf_free(&text);
  if (!cJSON_IsArray(j))
    fail_msg("'%s' is not a json array", path);
  return j;
}

static const char *str(const cJSON *obj, const char *key) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
  return s ? s : "";
}

static void expect_str(const char *label, const char *what, const char *want,
                       const char *got) {
  if (strcmp(want, got) != 0)
    fail_msg("%s: %s differs\n  want: %s\n  got:  %s", label, what, want, got);
}

static void check_headers(const char *label, const cJSON *want, const rb_headers *got) {
  const cJSON *h;
  cJSON_ArrayForEach(h, want) {
    const char *v = rb_headers_get(got, h->string);
    if (!v)
      fail_msg("%s: header '%s' missing", label, h->string);
    expect_str(label, h->string, h->valuestring, v);
  }
  if ((size_t)cJSON_GetArraySize(want) != got->count) {
    for (size_t i = 0; i < got->count; i++)
      print_message("  sent %s: %s\n", got->items[i].name, got->items[i].value);
    fail_msg("%s: %zu headers sent, %d expected", label, got->count,
             cJSON_GetArraySize(want));
  }
}

static void check_body(const char *label, const cJSON *expect,
                       const rb_proto_request *r) {
  const cJSON *want_json = cJSON_GetObjectItemCaseSensitive(expect, "body_json");
  const char *body = r->body.data ? r->body.data : "";
  if (!want_json) {
    expect_str(label, "body", str(expect, "body"), body);
    return;
  }
  cJSON *got = cJSON_Parse(body);
  if (!got || !cJSON_Compare(want_json, got, 1)) {
    char *w = cJSON_PrintUnformatted(want_json);
    print_message("%s: json body differs\n  want: %s\n  got:  %s\n", label, w, body);
    cJSON_free(w);
    cJSON_Delete(got);
    fail();
  }
  cJSON_Delete(got);
}

static void requests_match_botocore(void **state) {
  (void)state;
  cJSON *cases = load_vectors("requests.json");
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cases) {
    char label[160];
    snprintf(label, sizeof label, "%s %s (case %d)", str(c, "service"),
             str(c, "operation"), n++);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    rb_proto_request r;
    rb_error err;
    if (rb_protocol_build(str(c, "service"), str(c, "operation"),
                          cJSON_GetObjectItemCaseSensitive(c, "params"), &r, &err) != 0)
      fail_msg("%s: build failed: %s: %s", label, err.code, err.message);
    expect_str(label, "method", str(expect, "method"), r.method);
    expect_str(label, "path", str(expect, "path"), rb_buf_cstr(&r.path));
    expect_str(label, "query", str(expect, "query"), rb_buf_cstr(&r.query));
    check_headers(label, cJSON_GetObjectItemCaseSensitive(expect, "headers"), &r.headers);
    check_body(label, expect, &r);
    rb_proto_request_free(&r);
  }
  assert_true(n >= 30);
  cJSON_Delete(cases);
}

static void check_error(const char *label, const cJSON *want, const rb_error *err) {
  expect_str(label, "error code", str(want, "code"), err->code);
  expect_str(label, "error message", str(want, "message"), err->message);
  expect_str(label, "request id", str(want, "request_id"), err->request_id);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(want, "status");
  assert_int_equal(err->status, st ? st->valueint : 0);
  assert_int_equal(err->retryable, 0);
}

static void parse_case(const cJSON *c, const char *label) {
  rb_headers headers = RB_HEADERS_INIT;
  const cJSON *h;
  cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(c, "headers"))
      assert_int_equal(rb_headers_add(&headers, h->string, h->valuestring), 0);
  const char *body = str(c, "body");
  const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
  const cJSON *want = cJSON_GetObjectItemCaseSensitive(expect, "result");
  cJSON *out = NULL;
  rb_error err;
  int rc = rb_protocol_parse(str(c, "service"), str(c, "operation"),
                             cJSON_GetObjectItemCaseSensitive(c, "status")->valueint,
                             &headers, body, strlen(body), &out, &err);
  rb_headers_free(&headers);
  if (!want) {
    if (rc == 0)
      fail_msg("%s: parsed, but an error was expected", label);
    assert_null(out);
    check_error(label, cJSON_GetObjectItemCaseSensitive(expect, "error"), &err);
    return;
  }
  if (rc != 0)
    fail_msg("%s: parse failed: %s: %s", label, err.code, err.message);
  if (!cJSON_Compare(want, out, 1)) {
    char *w = cJSON_PrintUnformatted(want), *g = cJSON_PrintUnformatted(out);
    print_message("%s: result differs\n  want: %s\n  got:  %s\n", label, w, g);
    cJSON_free(w);
    cJSON_free(g);
    cJSON_Delete(out);
    fail();
  }
  cJSON_Delete(out);
}

static void responses_match_botocore(void **state) {
  (void)state;
  cJSON *cases = load_vectors("responses.json");
  const cJSON *c;
  int n = 0;
  cJSON_ArrayForEach(c, cases) {
    char label[160];
    snprintf(label, sizeof label, "%s %s status %d (case %d)", str(c, "service"),
             str(c, "operation"), cJSON_GetObjectItemCaseSensitive(c, "status")->valueint,
             n++);
    parse_case(c, label);
  }
  assert_true(n >= 30);
  cJSON_Delete(cases);
}

static int teardown(void **state) {
  (void)state;
  rb_model_free_all();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(requests_match_botocore, teardown),
      cmocka_unit_test_teardown(responses_match_botocore, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
