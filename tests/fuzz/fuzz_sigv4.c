/* fuzz_sigv4.c — fuzzes the SigV4 signer (sigv4.c): its pure stages and whole header and
 * query signing, on requests written as raw HTTP.
 *
 * Input: byte 0 holds option bits (see below); the rest is a request as the AWS test
 * suite writes it (request.txt): "METHOD TARGET HTTP/1.1", header lines (a line starting
 * with white space continues the previous value), an empty line, the body. TARGET is cut
 * at the first '?' into path and query. Beyond "no crash", checks properties the stages
 * promise: a canonical URI starts with '/', canonical forms are fixed points (a canonical
 * query, or an already-normalized S3-style URI, canonicalizes to itself) and a signature
 * is 64 hex digits. Never writes anything. */
#include "fuzz_util.h"
#include "sigv4.h"

#include <string.h>

enum {
  OPT_NORMALIZE = 1,
  OPT_DOUBLE_ENCODE = 2,
  OPT_UNSIGNED = 4,
  OPT_CONTENT_SHA = 8,
  OPT_TOKEN = 16,
  OPT_OMIT_TOKEN = 32,
  OPT_EMPTY_CREDS = 64,
  OPT_ODD_SCOPE = 128,
};

static void check(int ok) {
  if (!ok)
    abort();
}

/* Header lines, with continuation lines joined to the previous value by '\n'. */
static int parse_headers(fz_input *in, rb_headers *h) {
  while (in->n) {
    char *line = fz_take(in, "\n");
    if (!line)
      return -1;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
      line[--len] = '\0';
    int rc = 0;
    if (!len) {
      free(line);
      return 0;
    }
    if ((line[0] == ' ' || line[0] == '\t') && h->count) {
      rb_header *last = &h->items[h->count - 1];
      rb_buf v = RB_BUF_INIT;
      rc = rb_buf_printf(&v, "%s\n%s", last->value, line);
      if (rc == 0) {
        free(last->value);
        last->value = rb_buf_detach(&v);
      }
      rb_buf_free(&v);
    } else {
      char *colon = strchr(line, ':');
      if (colon)
        *colon = '\0';
      rc = rb_headers_add(h, line, colon ? colon + 1 : "");
    }
    free(line);
    if (rc != 0)
      return -1;
  }
  return 0;
}

static void stages(const char *path, const char *query, unsigned opt,
                   const rb_headers *h) {
  rb_buf a = RB_BUF_INIT, b = RB_BUF_INIT;
  check(rb_sigv4_canonical_uri(path, opt & OPT_NORMALIZE, opt & OPT_DOUBLE_ENCODE, &a) ==
        0);
  check(a.data && a.data[0] == '/');
  rb_buf_reset(&a);
  check(rb_sigv4_canonical_uri(path, 1, 0, &a) == 0);
  check(rb_sigv4_canonical_uri(a.data, 1, 0, &b) == 0);
  check(strcmp(a.data, b.data) == 0);
  rb_buf_reset(&a);
  rb_buf_reset(&b);

  check(rb_sigv4_canonical_query(query, &a) == 0);
  check(rb_sigv4_canonical_query(a.data, &b) == 0);
  check(strcmp(a.data ? a.data : "", b.data ? b.data : "") == 0);
  rb_buf_reset(&a);
  rb_buf_reset(&b);

  check(rb_sigv4_uri_encode(path, strlen(path), opt & 1, &a) == 0);
  static const char *const drop[] = {"x-amz-date", NULL};
  check(rb_sigv4_canonical_headers(h, drop, NULL, &b, &a) == 0);
  rb_buf_free(&a);
  rb_buf_free(&b);
}

static void sign(const rb_sigv4_request *req, unsigned opt) {
  rb_sigv4_credentials creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                (opt & OPT_TOKEN) ? "AQoDYXdzEPT//////////wEXAMPLEtc764"
                                                  : NULL};
  if (opt & OPT_EMPTY_CREDS)
    creds.secret_access_key = "";
  rb_sigv4_params p = {0};
  p.region = (opt & OPT_ODD_SCOPE) ? "us east/1" : "us-east-1";
  p.service = "service";
  p.time = (opt & OPT_ODD_SCOPE) ? -62167219200LL : 1440938160LL;
  p.normalize_path = opt & OPT_NORMALIZE;
  p.double_encode = opt & OPT_DOUBLE_ENCODE;
  p.payload = (opt & OPT_UNSIGNED) ? RB_SIGV4_PAYLOAD_UNSIGNED : RB_SIGV4_PAYLOAD_SHA256;
  p.add_content_sha256 = opt & OPT_CONTENT_SHA;
  p.omit_session_token = opt & OPT_OMIT_TOKEN;
  p.expires = 86400;
  rb_sigv4_result res = RB_SIGV4_RESULT_INIT;
  rb_error err;
  if (rb_sigv4_sign(req, &creds, &p, &res, &err) == 0)
    check(strlen(res.signature) == 64 && strspn(res.signature, "0123456789abcdef") == 64);
  if (rb_sigv4_presign(req, &creds, &p, &res, &err) == 0)
    check(strlen(res.signature) == 64 && res.query.data);
  rb_sigv4_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = fz_make(data, size);
  unsigned opt = fz_byte(&in);
  char *method = fz_take(&in, " ");
  char *target = fz_take(&in, "\n");
  rb_headers h = RB_HEADERS_INIT;
  if (!method || !target || parse_headers(&in, &h) != 0)
    goto done;
  char *sp = strrchr(target, ' '); /* drop " HTTP/1.1" */
  if (sp && strncmp(sp, " HTTP/", 6) == 0)
    *sp = '\0';
  char *q = strchr(target, '?');
  if (q)
    *q++ = '\0';
  stages(target, q, opt, &h);
  rb_sigv4_request req = {method, target, q, &h, in.n ? in.p : NULL, in.n};
  sign(&req, opt);
done:
  rb_headers_free(&h);
  free(method);
  free(target);
  return 0;
}
