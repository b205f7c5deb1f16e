/* protocol.c — entry points of the protocol layer (see protocol.h): resolves the model,
 * validates, and hands over to the serializer or parser of the service's protocol.
 *
 * Uses model.c for metadata and shapes and the protocol_*.c units for the wire formats
 * (which share their shape helpers through protocol_shape.c, not through this file).
 * It never sends anything and never decides whether an error is retryable. */
#include "protocol_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_proto_ctx_init(rb_proto_ctx *c, const char *service, const char *operation,
                      rb_error *err) {
  memset(c, 0, sizeof *c);
  if (rb_model_find(service, operation, &c->model, &c->op, err) != 0)
    return -1;
  c->meta = rb_model_metadata(c->model);
  c->service = c->meta->service;
  if (c->meta->protocol == RB_PROTOCOL_UNKNOWN)
    return rb_error_set(err, "UnsupportedProtocol", "service '%s' uses protocol '%s'",
                        c->service, c->meta->protocol_name ? c->meta->protocol_name : "");
  return 0;
}

int rb_protocol_validate(const char *service, const char *operation, const cJSON *params,
                         rb_error *err) {
  rb_proto_ctx c;
  if (rb_proto_ctx_init(&c, service, operation, err) != 0)
    return -1;
  return rb_proto_validate(&c, params, err);
}

void rb_proto_request_free(rb_proto_request *r) {
  if (!r)
    return;
  free(r->method);
  rb_buf_free(&r->path);
  rb_buf_free(&r->query);
  rb_headers_free(&r->headers);
  rb_buf_free(&r->body);
  memset(r, 0, sizeof *r);
}

static int build(const rb_proto_ctx *c, const cJSON *params, rb_proto_request *out,
                 rb_error *err) {
  out->method = rb_strdup(c->op.method ? c->op.method : "POST");
  if (!out->method)
    return -1;
  switch (c->meta->protocol) {
    case RB_PROTOCOL_REST_JSON:
      return rb_proto_build_rest(c, params, out, err);
    case RB_PROTOCOL_JSON:
      return rb_proto_build_json(c, params, out);
    default:
      return rb_proto_build_query(c, params, out);
  }
}

int rb_protocol_build(const char *service, const char *operation, const cJSON *params,
                      rb_proto_request *out, rb_error *err) {
  rb_proto_ctx c;
  memset(out, 0, sizeof *out);
  if (rb_proto_ctx_init(&c, service, operation, err) != 0)
    return -1;
  if (rb_proto_validate(&c, params, err) != 0)
    return -1;
  rb_error_clear(err);
  if (build(&c, params, out, err) != 0) {
    rb_proto_request_free(out);
    if (!err || !err->code[0])
      rb_error_set(err, "OutOfMemory", "cannot build %s %s request: out of memory",
                   c.service, c.op.name);
    return -1;
  }
  return 0;
}

int rb_protocol_parse(const char *service, const char *operation, int status,
                      const rb_headers *headers, const char *body, size_t len,
                      cJSON **out, rb_error *err) {
  static const rb_headers none = RB_HEADERS_INIT;
  rb_proto_ctx c;
  *out = NULL;
  if (!headers)
    headers = &none;
  if (!body)
    body = "", len = 0;
  if (rb_proto_ctx_init(&c, service, operation, err) != 0)
    return -1;
  if (status >= 300)
    return rb_proto_parse_error(&c, status, headers, body, len, err);
  int rc;
  switch (c.meta->protocol) {
    case RB_PROTOCOL_REST_JSON:
      rc = rb_proto_parse_rest(&c, status, headers, body, len, out, err);
      break;
    case RB_PROTOCOL_JSON:
      rc = rb_proto_parse_json(&c, status, headers, body, len, out, err);
      break;
    default:
      rc = rb_proto_parse_xml(&c, status, headers, body, len, out, err);
  }
  const char *id = rb_proto_header_request_id(headers);
  if (rc != 0 && err && !err->request_id[0] && id)
    snprintf(err->request_id, sizeof err->request_id, "%s", id);
  return rc;
}
