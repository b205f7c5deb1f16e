/* fuzz_protocol_build.c — fuzzes request building (rb_protocol_validate and
 * rb_protocol_build) with arbitrary JSON parameters, then signs what was built.
 *
 * Input: byte 0 picks the operation from fuzz_ops.h; the rest is the parameters as JSON
 * text (parsed by cJSON; text cJSON refuses is passed as "no parameters"). Checks the
 * contract of protocol.h: validation and building agree, a built request has a method and
 * a path starting with '/', never carries Host or Authorization, and no header name or
 * value holds a line break (which would let a parameter inject headers). The request then
 * goes through rb_sigv4_sign, as every real call does, so the signer sees the paths and
 * queries the builder really produces. Never writes anything. */
#include "fuzz_ops.h"
#include "fuzz_util.h"
#include "protocol.h"
#include "sigv4.h"

#include <string.h>

static void check(int ok) {
  if (!ok)
    abort();
}

static void sign(const rb_proto_request *r) {
  rb_headers h = RB_HEADERS_INIT;
  for (size_t i = 0; i < r->headers.count; i++)
    rb_headers_add(&h, r->headers.items[i].name, r->headers.items[i].value);
  rb_headers_add(&h, "Host", "lambda.us-east-1.amazonaws.com");
  rb_sigv4_request sr = {.method = r->method,
                         .path = r->path.data ? r->path.data : "/",
                         .query = r->query.data,
                         .headers = &h,
                         .body = r->body.data,
                         .body_len = r->body.len};
  rb_sigv4_credentials creds = {.access_key_id = "AKIDEXAMPLE",
                                .secret_access_key =
                                    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
  rb_sigv4_params p = {.region = "us-east-1",
                       .service = "lambda",
                       .time = 1440938160LL,
                       .normalize_path = 1,
                       .double_encode = 1};
  rb_sigv4_result res = RB_SIGV4_RESULT_INIT;
  rb_error err;
  check(rb_sigv4_sign(&sr, &creds, &p, &res, &err) == 0 && strlen(res.signature) == 64);
  rb_sigv4_result_free(&res);
  rb_headers_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = fz_make(data, size);
  const fz_op *op = &fz_ops[fz_byte(&in) % FZ_OP_COUNT];
  cJSON *params = in.n ? cJSON_ParseWithLength(in.p, in.n) : NULL;

  rb_error verr, berr;
  memset(&verr, 0, sizeof verr);
  memset(&berr, 0, sizeof berr);
  int valid = rb_protocol_validate(op->service, op->operation, params, &verr);
  rb_proto_request req;
  memset(&req, 0, sizeof req);
  int rc = rb_protocol_build(op->service, op->operation, params, &req, &berr);
  check(valid == 0 || rc != 0); /* what validation refuses is never built */
  if (rc == 0) {
    check(req.method && req.method[0]);
    check(req.path.data && req.path.data[0] == '/');
    check(!rb_headers_get(&req.headers, "Host"));
    check(!rb_headers_get(&req.headers, "Authorization"));
    for (size_t i = 0; i < req.headers.count; i++) /* no header injection */
      check(!strpbrk(req.headers.items[i].name, "\r\n") &&
            !strpbrk(req.headers.items[i].value, "\r\n"));
    sign(&req);
    rb_proto_request_free(&req);
  } else {
    check(berr.code[0] != '\0');
  }
  cJSON_Delete(params);
  return 0;
}
