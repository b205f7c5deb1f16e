/* protocol_internal.h — what the protocol_*.c files share; not part of the public API.
 *
 * protocol.c        dispatch, request lifetime, the public entry points
 * protocol_validate parameter checks against the input shape
 * protocol_value.c  scalar text: numbers, timestamps, base64, percent/form encoding
 * protocol_json.c   JSON bodies both ways (json and rest-json)
 * protocol_rest.c   rest-json requests (URI template, querystring, headers, body) and
 *                   responses (headers, status code, payload)
 * protocol_query.c  query and ec2 requests (form bodies)
 * protocol_xml.c    query and ec2 responses (XML by the output shape)
 * protocol_error.c  error responses of every protocol, malformed bodies */
#ifndef RB_PROTOCOL_INTERNAL_H
#define RB_PROTOCOL_INTERNAL_H

#include "model.h"
#include "protocol.h"

#include <cjson/cJSON.h>

/* Parameter trees nested deeper than this are refused. */
#define RB_PROTO_MAX_DEPTH 64

typedef struct rb_proto_ctx {
  const rb_model *model;
  const rb_model_meta *meta;
  rb_operation op;
  const char *service; /* meta->service */
} rb_proto_ctx;

/* Resolves service and operation into *c. */
int rb_proto_ctx_init(rb_proto_ctx *c, const char *service, const char *operation,
                      rb_error *err);

/* ---- validation (protocol_validate.c) ---- */
int rb_proto_validate(const rb_proto_ctx *c, const cJSON *params, rb_error *err);

/* ---- shapes ---- */
/* The shape's type ("structure", "list", ...) or "" when missing. */
const char *rb_proto_type(const cJSON *shape);
/* The members of obj sorted by key, nulls skipped; *n receives the count. The array is
 * malloc'ed (free it); NULL with *n == 0 for no members or OOM (check *oom). */
const cJSON **rb_proto_sorted_items(const cJSON *obj, size_t *n, int *oom);
/* A REF's timestampFormat, else its shape's, else `fallback`. */
const char *rb_proto_ts_format(const cJSON *ref, const cJSON *shape,
                               const char *fallback);

/* ---- scalar text (protocol_value.c) ---- */
/* Epoch seconds from a number, numeric text or ISO 8601 text; -1 when unreadable. */
int rb_proto_ts_parse(const cJSON *v, double *epoch);
/* Appends a timestamp as "iso8601", "unixTimestamp" or "rfc822" (case-insensitive). */
int rb_proto_ts_append(rb_buf *out, double epoch, const char *format);
/* Integral values without a fraction ("5"), others in the shortest exact form ("0.1"). */
int rb_proto_number_append(rb_buf *out, double d);
int rb_proto_base64_append(rb_buf *out, const unsigned char *data, size_t len);
/* Decodes standard base64 (padding optional); -1 on invalid input. */
int rb_proto_base64_decode(const char *text, rb_buf *out);
/* RFC 3986: unreserved characters stay, `extra_safe` characters ("/") too, the rest %XX.
 */
int rb_proto_pct_append(rb_buf *out, const char *s, size_t len, const char *extra_safe);
/* application/x-www-form-urlencoded as Python's quote_plus: space is '+'. */
int rb_proto_form_append(rb_buf *out, const char *s, size_t len);
/* The text of a scalar parameter for URIs, query strings, headers and form bodies:
 * booleans true/false, numbers as above, timestamps in `ts_format` (unless the REF or
 * shape names one), blobs base64, strings as they are. */
int rb_proto_scalar_append(rb_buf *out, const cJSON *v, const cJSON *ref,
                           const cJSON *shape, const char *ts_format);

/* ---- JSON bodies (protocol_json.c) ---- */
/* The wire JSON of value `v` of `shape` (REF `ref`, may be NULL): renamed members,
 * converted timestamps and blobs, sorted keys. With skip_located, structure members that
 * have a location (uri, header, querystring) are left out (rest-json bodies). */
cJSON *rb_proto_json_encode(const rb_proto_ctx *c, const cJSON *v, const cJSON *shape,
                            const cJSON *ref, int skip_located);
/* The result tree of wire JSON `w` of `shape`: wire names mapped back to member names,
 * unknown keys kept, nulls of known members dropped. */
cJSON *rb_proto_json_decode(const rb_proto_ctx *c, const cJSON *w, const cJSON *shape);
/* Parses a JSON body; empty body gives {}. NULL with err "MalformedResponse". */
cJSON *rb_proto_json_parse_body(const rb_proto_ctx *c, int status, const char *body,
                                size_t len, rb_error *err);

/* ---- per protocol ---- */
int rb_proto_build_json(const rb_proto_ctx *c, const cJSON *params,
                        rb_proto_request *out);
int rb_proto_build_rest(const rb_proto_ctx *c, const cJSON *params, rb_proto_request *out,
                        rb_error *err);
int rb_proto_build_query(const rb_proto_ctx *c, const cJSON *params,
                         rb_proto_request *out);
int rb_proto_parse_rest(const rb_proto_ctx *c, int status, const rb_headers *h,
                        const char *body, size_t len, cJSON **out, rb_error *err);
int rb_proto_parse_json(const rb_proto_ctx *c, int status, const rb_headers *h,
                        const char *body, size_t len, cJSON **out, rb_error *err);
int rb_proto_parse_xml(const rb_proto_ctx *c, int status, const rb_headers *h,
                       const char *body, size_t len, cJSON **out, rb_error *err);

/* ---- errors (protocol_error.c) ---- */
/* Fills err from a response with status >= 300; always returns -1. */
int rb_proto_parse_error(const rb_proto_ctx *c, int status, const rb_headers *h,
                         const char *body, size_t len, rb_error *err);
/* "MalformedResponse" naming service and operation; keeps status; returns -1. */
int rb_proto_malformed(const rb_proto_ctx *c, int status, rb_error *err, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
/* The request id from x-amzn-RequestId / x-amz-request-id, or NULL. */
const char *rb_proto_header_request_id(const rb_headers *h);
/* Adds ResponseMetadata.RequestId to `result` when `id` is non-empty; -1 on OOM. */
int rb_proto_add_request_id(cJSON *result, const char *id);

#endif
