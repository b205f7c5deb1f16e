/* test_sigv4.c — unit tests of the SigV4 signer stages (core/sigv4.c).
 *
 * Each test asserts exact strings: URI encoding, path normalization, query and header
 * canonicalization, then whole signatures checked against AWS's published test suite
 * values (access key AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1/service). The full
 * suite runs in the sigv4_suite ctest; these pin each stage so a failure names the stage
 * that broke. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "sigv4.h"

#define SUITE_TIME 1440938160LL /* 2015-08-30T12:36:00Z */
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUITE_SCOPE "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

static const rb_sigv4_credentials suite_creds = {"AKIDEXAMPLE", SUITE_SECRET, NULL};

static rb_sigv4_params suite_params(void) {
  rb_sigv4_params p = {.region = "us-east-1",
                       .service = "service",
                       .time = SUITE_TIME,
                       .normalize_path = 1,
                       .double_encode = 1,
                       .payload = RB_SIGV4_PAYLOAD_SHA256,
                       .expires = 3600};
  return p;
}

/* ---- helpers running one stage into a fresh buffer ---- */

static void assert_uri(const char *path, int normalize, int double_encode,
                       const char *want) {
  rb_buf b = RB_BUF_INIT;
  assert_int_equal(rb_sigv4_canonical_uri(path, normalize, double_encode, &b), 0);
  assert_string_equal(rb_buf_cstr(&b), want);
  rb_buf_free(&b);
}

static void assert_query(const char *query, const char *want) {
  rb_buf b = RB_BUF_INIT;
  assert_int_equal(rb_sigv4_canonical_query(query, &b), 0);
  assert_string_equal(rb_buf_cstr(&b), want);
  rb_buf_free(&b);
}

static void assert_encoded(const char *s, int encode_slash, const char *want) {
  rb_buf b = RB_BUF_INIT;
  assert_int_equal(rb_sigv4_uri_encode(s, strlen(s), encode_slash, &b), 0);
  assert_string_equal(rb_buf_cstr(&b), want);
  rb_buf_free(&b);
}

/* ---- encoding ---- */

static void uri_encode_keeps_unreserved_and_escapes_everything_else(void **state) {
  (void)state;
  assert_encoded("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 1,
                 "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
  assert_encoded("a b+c*d%e=f&g", 1, "a%20b%2Bc%2Ad%25e%3Df%26g");
  assert_encoded("\xe1\x88\xb4", 1, "%E1%88%B4");
  assert_encoded("/a/b", 0, "/a/b");
  assert_encoded("/a/b", 1, "%2Fa%2Fb");
}

static void canonical_uri_double_encodes_existing_escapes(void **state) {
  (void)state;
  assert_uri("/a%2Fb", 1, 1, "/a%252Fb");
  assert_uri("/a%2Fb/c d/\xe1\x88\xb4", 1, 1, "/a%252Fb/c%20d/%E1%88%B4");
}

static void canonical_uri_single_encoding_keeps_escapes(void **state) {
  (void)state;
  assert_uri("/a%2Fb", 0, 0, "/a%2Fb");
  assert_uri("/my key/a%20b", 0, 0, "/my%20key/a%20b");
  assert_uri("/100%/x%zz", 0, 0, "/100%25/x%25zz");
}

static void canonical_uri_normalizes_dot_segments_and_slashes(void **state) {
  (void)state;
  assert_uri("//example//", 1, 1, "/example/");
  assert_uri("/./example", 1, 1, "/example");
  assert_uri("/example/..", 1, 1, "/");
  assert_uri("/example1/example2/../..", 1, 1, "/");
  assert_uri("/a/b/../c/./d/", 1, 1, "/a/c/d/");
  assert_uri("/../a", 1, 1, "/a");
  assert_uri("/example space/", 1, 1, "/example%20space/");
  assert_uri("", 1, 1, "/");
  assert_uri("/", 1, 1, "/");
}

static void canonical_uri_without_normalization_keeps_segments(void **state) {
  (void)state;
  assert_uri("//example//", 0, 1, "//example//");
  assert_uri("/example1/example2/../..", 0, 1, "/example1/example2/../..");
  assert_uri("/./example", 0, 0, "/./example");
  assert_uri("", 0, 1, "/");
}

/* ---- query ---- */

static void canonical_query_sorts_by_encoded_key_then_value(void **state) {
  (void)state;
  assert_query("b=2&a=3&a=1&A=9", "A=9&a=1&a=3&b=2");
  assert_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
               "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
  /* by key first: "a" sorts before "a-b" although "a-b=1" < "a=2" as whole strings */
  assert_query("a-b=1&a=2", "a=2&a-b=1");
  assert_query("k=b&k=a&k=", "k=&k=a&k=b");
}

static void canonical_query_encodes_raw_bytes_and_keeps_escapes(void **state) {
  (void)state;
  assert_query("k=a b&x=%7e&y=%2f&z=+&flag", "flag=&k=a%20b&x=~&y=%2F&z=%2B");
  assert_query("\xe1\x88\xb4=bar", "%E1%88%B4=bar");
  assert_query("a=b=c", "a=b%3Dc");
  assert_query("p=%E1%88%B4%20x", "p=%E1%88%B4%20x");
}

static void canonical_query_skips_empty_parts(void **state) {
  (void)state;
  assert_query("a=1&&b=2&", "a=1&b=2");
  assert_query("", "");
  assert_query(NULL, "");
}

/* ---- headers ---- */

static void canonical_headers_trim_collapse_and_join_duplicates(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_buf canon = RB_BUF_INIT, names = RB_BUF_INIT;
  assert_int_equal(rb_headers_add(&h, "Host", " example.amazonaws.com "), 0);
  assert_int_equal(rb_headers_add(&h, "My-Header1", "value2"), 0);
  assert_int_equal(rb_headers_add(&h, "my-header1", "  a   b \t c  "), 0);
  assert_int_equal(rb_headers_add(&h, "My-Header2", "\"a   b   c\""), 0);
  assert_int_equal(rb_headers_add(&h, "X-Folded", "value1\n  value2\n     value3"), 0);
  assert_int_equal(rb_headers_add(&h, "Empty", ""), 0);
  assert_int_equal(rb_sigv4_canonical_headers(&h, NULL, NULL, &canon, &names), 0);
  assert_string_equal(rb_buf_cstr(&canon), "empty:\n"
                                           "host:example.amazonaws.com\n"
                                           "my-header1:value2,a b c\n"
                                           "my-header2:\"a b c\"\n"
                                           "x-folded:value1 value2 value3\n");
  assert_string_equal(rb_buf_cstr(&names), "empty;host;my-header1;my-header2;x-folded");
  rb_buf_free(&canon);
  rb_buf_free(&names);
  rb_headers_free(&h);
}

static void canonical_headers_skip_unsigned_and_signer_owned(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT, extra = RB_HEADERS_INIT;
  rb_buf canon = RB_BUF_INIT, names = RB_BUF_INIT;
  const char *drop[] = {"x-amz-date", NULL};
  assert_int_equal(rb_headers_add(&h, "Host", "h"), 0);
  assert_int_equal(rb_headers_add(&h, "User-Agent", "runbook/0.1"), 0);
  assert_int_equal(rb_headers_add(&h, "Authorization", "old"), 0);
  assert_int_equal(rb_headers_add(&h, "X-Amz-Date", "19990101T000000Z"), 0);
  assert_int_equal(rb_headers_add(&h, "X-Amzn-Trace-Id", "Root=1"), 0);
  assert_int_equal(rb_headers_add(&extra, "x-amz-date", "20150830T123600Z"), 0);
  assert_int_equal(rb_sigv4_canonical_headers(&h, drop, &extra, &canon, &names), 0);
  assert_string_equal(rb_buf_cstr(&canon), "host:h\nx-amz-date:20150830T123600Z\n");
  assert_string_equal(rb_buf_cstr(&names), "host;x-amz-date");
  rb_buf_free(&canon);
  rb_buf_free(&names);
  rb_headers_free(&h);
  rb_headers_free(&extra);
}

/* ---- hashing and dates ---- */

static void sha256_hex_matches_known_digests(void **state) {
  (void)state;
  char out[65];
  rb_sigv4_sha256_hex(NULL, 0, out);
  assert_string_equal(out, EMPTY_SHA256);
  rb_sigv4_sha256_hex("abc", 3, out);
  assert_string_equal(out,
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void amz_date_formats_utc_and_rejects_out_of_range(void **state) {
  (void)state;
  char out[17];
  assert_int_equal(rb_sigv4_amz_date(SUITE_TIME, out), 0);
  assert_string_equal(out, "20150830T123600Z");
  assert_int_equal(rb_sigv4_amz_date(0, out), 0);
  assert_string_equal(out, "19700101T000000Z");
  assert_int_not_equal(rb_sigv4_amz_date(1LL << 60, out), 0);
}

/* ---- whole signatures (values from the AWS test suite) ---- */

static int sign_suite(const char *method, const char *query, const char *body,
                      const rb_sigv4_credentials *creds, const rb_sigv4_params *p,
                      int presign, rb_headers *h, rb_sigv4_result *r, rb_error *err) {
  if (!rb_headers_get(h, "host"))
    assert_int_equal(rb_headers_add(h, "Host", "example.amazonaws.com"), 0);
  rb_sigv4_request req = {method, "/", query, h, body, body ? strlen(body) : 0};
  return presign ? rb_sigv4_presign(&req, creds, p, r, err)
                 : rb_sigv4_sign(&req, creds, p, r, err);
}

static void sign_get_vanilla_matches_suite(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  assert_int_equal(sign_suite("get", NULL, NULL, &suite_creds, &p, 0, &h, &r, &err), 0);
  assert_string_equal(r.canonical_request.data, "GET\n/\n\n"
                                                "host:example.amazonaws.com\n"
                                                "x-amz-date:20150830T123600Z\n\n"
                                                "host;x-amz-date\n" EMPTY_SHA256);
  assert_string_equal(r.string_to_sign.data,
                      "AWS4-HMAC-SHA256\n20150830T123600Z\n"
                      "20150830/us-east-1/service/aws4_request\n"
                      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  assert_string_equal(r.signature,
                      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  assert_int_equal(r.add_headers.count, 2);
  assert_string_equal(r.add_headers.items[0].name, "X-Amz-Date");
  assert_string_equal(r.add_headers.items[0].value, "20150830T123600Z");
  assert_string_equal(r.add_headers.items[1].name, "Authorization");
  assert_string_equal(
      r.add_headers.items[1].value,
      "AWS4-HMAC-SHA256 Credential=" SUITE_SCOPE ", SignedHeaders=host;"
      "x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d"
      "9b8aae1d763fbf31");
  assert_null(r.query.data);
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_with_session_token_signs_the_token(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  const char *token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
  rb_sigv4_credentials creds = {"AKIDEXAMPLE", SUITE_SECRET, token};
  assert_int_equal(sign_suite("GET", NULL, NULL, &creds, &p, 0, &h, &r, &err), 0);
  assert_non_null(strstr(r.canonical_request.data, "\nx-amz-security-token:6e86291e"));
  assert_string_equal(r.signature,
                      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
  assert_int_equal(r.add_headers.count, 3);
  assert_string_equal(r.add_headers.items[0].name, "X-Amz-Security-Token");
  assert_string_equal(r.add_headers.items[0].value, token);
  assert_string_equal(r.add_headers.items[1].name, "X-Amz-Date");
  assert_non_null(strstr(r.add_headers.items[2].value,
                         "SignedHeaders=host;x-amz-date;x-amz-security-token, "));
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_omitting_session_token_adds_it_unsigned(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT, plain = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  rb_sigv4_credentials creds = {"AKIDEXAMPLE", SUITE_SECRET, "AQoDYXdzEPT//token+="};
  p.omit_session_token = 1;
  assert_int_equal(sign_suite("POST", NULL, NULL, &creds, &p, 0, &h, &r, &err), 0);
  assert_int_equal(sign_suite("POST", NULL, NULL, &suite_creds, &p, 0, &h, &plain, &err),
                   0);
  /* post-sts-header-after: the same canonical request and signature as post-vanilla */
  assert_string_equal(r.canonical_request.data, plain.canonical_request.data);
  assert_string_equal(r.signature,
                      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  assert_int_equal(r.add_headers.count, 3);
  assert_string_equal(r.add_headers.items[0].name, "X-Amz-Security-Token");
  assert_string_equal(r.add_headers.items[0].value, "AQoDYXdzEPT//token+=");
  rb_sigv4_result_free(&r);
  rb_sigv4_result_free(&plain);
  rb_headers_free(&h);
}

static void sign_body_adds_signed_content_sha256(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  const char *hash = "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
  p.add_content_sha256 = 1;
  assert_int_equal(
      rb_headers_add(&h, "Content-Type", "application/x-www-form-urlencoded"), 0);
  assert_int_equal(rb_headers_add(&h, "Host", "example.amazonaws.com"), 0);
  assert_int_equal(rb_headers_add(&h, "Content-Length", "13"), 0);
  assert_int_equal(
      sign_suite("POST", NULL, "Param1=value1", &suite_creds, &p, 0, &h, &r, &err), 0);
  assert_string_equal(r.signature,
                      "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
  assert_string_equal(r.add_headers.items[1].name, "x-amz-content-sha256");
  assert_string_equal(r.add_headers.items[1].value, hash);
  size_t n = r.canonical_request.len;
  assert_string_equal(r.canonical_request.data + n - 64, hash);
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_unsigned_payload_uses_the_literal(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  p.payload = RB_SIGV4_PAYLOAD_UNSIGNED;
  p.add_content_sha256 = 1;
  assert_int_equal(rb_headers_add(&h, "Host", "example.amazonaws.com"), 0);
  assert_int_equal(rb_headers_add(&h, "Content-Length", "13"), 0);
  assert_int_equal(
      sign_suite("POST", NULL, "Param1=value1\n", &suite_creds, &p, 0, &h, &r, &err), 0);
  assert_string_equal(
      r.canonical_request.data,
      "POST\n/\n\ncontent-length:13\nhost:example.amazonaws.com\n"
      "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20150830T123600Z\n\n"
      "content-length;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
  assert_string_equal(r.signature,
                      "9fb60e8938d2178a7d63b49e055d1e65d8f6226f38846e8e0293bf43ce29050c");
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_replaces_the_request_date_header(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  assert_int_equal(rb_headers_add(&h, "Host", "example.amazonaws.com"), 0);
  assert_int_equal(rb_headers_add(&h, "X-Amz-Date", "19990101T000000Z"), 0);
  assert_int_equal(rb_headers_add(&h, "User-Agent", "curl/8"), 0);
  assert_int_equal(sign_suite("GET", NULL, NULL, &suite_creds, &p, 0, &h, &r, &err), 0);
  assert_string_equal(r.signature,
                      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void presign_get_vanilla_matches_suite(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  assert_int_equal(sign_suite("GET", NULL, NULL, &suite_creds, &p, 1, &h, &r, &err), 0);
  assert_string_equal(
      r.query.data,
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
      "%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-"
      "SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6"
      "b165c1b38ede9550f4dce4144713e844b25b7192d3865d");
  assert_string_equal(r.signature,
                      "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d");
  assert_int_equal(r.add_headers.count, 0);
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void presign_keeps_the_request_query_first(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  assert_int_equal(
      sign_suite("GET", "Param1=value1", NULL, &suite_creds, &p, 1, &h, &r, &err), 0);
  assert_true(strncmp(r.query.data, "Param1=value1&X-Amz-Algorithm=", 30) == 0);
  assert_non_null(strstr(r.canonical_request.data, "\nParam1=value1&X-Amz-Algorithm="));
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_never_exposes_the_secret(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  assert_int_equal(sign_suite("GET", "a=b", NULL, &suite_creds, &p, 0, &h, &r, &err), 0);
  assert_null(strstr(r.canonical_request.data, "wJalrXUtnFEMI"));
  assert_null(strstr(r.string_to_sign.data, "wJalrXUtnFEMI"));
  for (size_t i = 0; i < r.add_headers.count; i++)
    assert_null(strstr(r.add_headers.items[i].value, "wJalrXUtnFEMI"));
  rb_sigv4_result_free(&r);
  assert_int_equal(sign_suite("GET", "a=b", NULL, &suite_creds, &p, 1, &h, &r, &err), 0);
  assert_null(strstr(r.query.data, "wJalrXUtnFEMI"));
  rb_sigv4_result_free(&r);
  rb_headers_free(&h);
}

static void sign_rejects_a_request_without_host(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  rb_sigv4_request req = {"GET", "/", NULL, &h, NULL, 0};
  assert_int_not_equal(rb_sigv4_sign(&req, &suite_creds, &p, &r, &err), 0);
  assert_string_equal(err.code, "SigningError");
  assert_string_equal(err.message, "cannot sign request: no 'host' header");
  assert_null(r.canonical_request.data);
  assert_int_equal(r.add_headers.count, 0);
}

static void presign_rejects_expiry_beyond_seven_days(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  p.expires = 604801;
  assert_int_not_equal(sign_suite("GET", NULL, NULL, &suite_creds, &p, 1, &h, &r, &err),
                       0);
  assert_string_equal(err.message,
                      "cannot presign request: expires 604801 outside 1..604800 seconds");
  assert_null(r.query.data);
  rb_headers_free(&h);
}

static void sign_rejects_a_region_that_breaks_the_scope(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  rb_sigv4_result r = RB_SIGV4_RESULT_INIT;
  rb_error err;
  rb_sigv4_params p = suite_params();
  p.region = "us-east-1/x";
  assert_int_not_equal(sign_suite("GET", NULL, NULL, &suite_creds, &p, 0, &h, &r, &err),
                       0);
  assert_string_equal(err.message, "cannot sign request: invalid region 'us-east-1/x'");
  rb_headers_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(uri_encode_keeps_unreserved_and_escapes_everything_else),
      cmocka_unit_test(canonical_uri_double_encodes_existing_escapes),
      cmocka_unit_test(canonical_uri_single_encoding_keeps_escapes),
      cmocka_unit_test(canonical_uri_normalizes_dot_segments_and_slashes),
      cmocka_unit_test(canonical_uri_without_normalization_keeps_segments),
      cmocka_unit_test(canonical_query_sorts_by_encoded_key_then_value),
      cmocka_unit_test(canonical_query_encodes_raw_bytes_and_keeps_escapes),
      cmocka_unit_test(canonical_query_skips_empty_parts),
      cmocka_unit_test(canonical_headers_trim_collapse_and_join_duplicates),
      cmocka_unit_test(canonical_headers_skip_unsigned_and_signer_owned),
      cmocka_unit_test(sha256_hex_matches_known_digests),
      cmocka_unit_test(amz_date_formats_utc_and_rejects_out_of_range),
      cmocka_unit_test(sign_get_vanilla_matches_suite),
      cmocka_unit_test(sign_with_session_token_signs_the_token),
      cmocka_unit_test(sign_omitting_session_token_adds_it_unsigned),
      cmocka_unit_test(sign_body_adds_signed_content_sha256),
      cmocka_unit_test(sign_unsigned_payload_uses_the_literal),
      cmocka_unit_test(sign_replaces_the_request_date_header),
      cmocka_unit_test(presign_get_vanilla_matches_suite),
      cmocka_unit_test(presign_keeps_the_request_query_first),
      cmocka_unit_test(sign_never_exposes_the_secret),
      cmocka_unit_test(sign_rejects_a_request_without_host),
      cmocka_unit_test(presign_rejects_expiry_beyond_seven_days),
      cmocka_unit_test(sign_rejects_a_region_that_breaks_the_scope),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
