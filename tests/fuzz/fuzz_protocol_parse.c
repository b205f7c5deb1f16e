/* fuzz_protocol_parse.c — fuzzes response parsing (rb_protocol_parse) for every wire
 * protocol, success and error statuses alike.
 *
 * Input: byte 0 picks the operation from fuzz_ops.h; byte 1 picks the HTTP status from
 * the table below (bit 7 set: no header list at all); then header lines "Name: value" up
 * to an empty line; the rest is the body, passed without a terminating NUL so a read past
 * its end trips AddressSanitizer. Checks the contract of protocol.h: a result object on
 * success, an error with a code (and no result) on failure. Never writes anything. */
#include "fuzz_ops.h"
#include "fuzz_util.h"
#include "model.h"
#include "protocol.h"

#include <string.h>

static const int statuses[] = {200, 201, 202, 204, 206, 100, 299, 300, 301, 304, 400,
                               401, 403, 404, 409, 413, 429, 500, 502, 503, 504, 0};
#define NSTATUS (sizeof statuses / sizeof statuses[0])

static void check(int ok) {
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = fz_make(data, size);
  const fz_op *op = &fz_ops[fz_byte(&in) % FZ_OP_COUNT];
  unsigned sb = fz_byte(&in);
  int status = statuses[(sb & 0x7F) % NSTATUS];
  rb_headers headers = RB_HEADERS_INIT;
  if (fz_headers(&in, &headers) != 0) {
    rb_headers_free(&headers);
    return 0;
  }
  /* an exact-size copy of the body: nothing after it is readable */
  char *body = malloc(in.n ? in.n : 1);
  if (!body) {
    rb_headers_free(&headers);
    return 0;
  }
  memcpy(body, in.p, in.n);

  cJSON *out = (cJSON *)1;
  rb_error err;
  memset(&err, 0, sizeof err);
  int rc = rb_protocol_parse(op->service, op->operation, status,
                             (sb & 0x80) ? NULL : &headers, body, in.n, &out, &err);
  if (rc == 0) {
    check(cJSON_IsObject(out));
    char *text = cJSON_PrintUnformatted(out);
    free(text);
    cJSON_Delete(out);
  } else {
    check(rc == -1 && out == NULL && err.code[0] != '\0');
    check(memchr(err.message, '\0', sizeof err.message) != NULL);
  }
  free(body);
  rb_headers_free(&headers);
  return 0;
}
