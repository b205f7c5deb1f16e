/* protocol_json.c — JSON bodies for the json (1.0/1.1) and rest-json protocols.
 *
 * Encoding walks the parameters with the input shape: members renamed to their
 * locationName, timestamps to epoch seconds (or the format the model names), blobs to
 * base64, keys sorted. Decoding walks a response with the output shape and maps wire
 * names back to member names. Uses cJSON; parameters are only read, never changed. */
#include "protocol_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cJSON *encode_scalar(const cJSON *v, const cJSON *shape, const cJSON *ref) {
  const char *type = rb_proto_type(shape);
  int ts = strcmp(type, "timestamp") == 0, blob = strcmp(type, "blob") == 0;
  if (!ts && !blob)
    return cJSON_Duplicate(v, 1);
  const char *fmt = ts ? rb_proto_ts_format(ref, shape, "unixTimestamp") : NULL;
  rb_buf text = RB_BUF_INIT;
  cJSON *out = NULL;
  if (ts && strcasecmp(fmt, "unixTimestamp") == 0) {
    double epoch;
    if (rb_proto_ts_parse(v, &epoch) == 0 && rb_proto_ts_append(&text, epoch, fmt) == 0)
      out = cJSON_CreateNumber(strtod(text.data, NULL));
  } else if (rb_proto_scalar_append(&text, v, ref, shape, fmt) == 0) {
    out = cJSON_CreateString(rb_buf_cstr(&text));
  }
  rb_buf_free(&text);
  return out;
}

static int located(const cJSON *ref) {
  return rb_model_str(ref, "location") != NULL;
}

static cJSON *encode_object(const rb_proto_ctx *c, const cJSON *v, const cJSON *shape,
                            int skip_located, int is_map) {
  size_t n;
  int oom;
  const cJSON **items = rb_proto_sorted_items(v, &n, &oom);
  cJSON *out = oom ? NULL : cJSON_CreateObject();
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  const cJSON *vref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  for (size_t i = 0; out && i < n; i++) {
    const cJSON *ref =
        is_map ? vref : cJSON_GetObjectItemCaseSensitive(members, items[i]->string);
    if (!ref || (skip_located && located(ref)))
      continue;
    const char *wire = is_map ? NULL : rb_model_str(ref, "locationName");
    cJSON *child =
        rb_proto_json_encode(c, items[i], rb_model_ref_shape(c->model, ref), ref, 0);
    if (!child || !cJSON_AddItemToObject(out, wire ? wire : items[i]->string, child)) {
      cJSON_Delete(child);
      cJSON_Delete(out);
      out = NULL;
    }
  }
  free(items);
  return out;
}

static cJSON *encode_list(const rb_proto_ctx *c, const cJSON *v, const cJSON *shape) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(c->model, ref);
  const cJSON *arr = cJSON_IsArray(v) ? v : NULL;
  cJSON *out = cJSON_CreateArray();
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    cJSON *child = out ? rb_proto_json_encode(c, item, mshape, ref, 0) : NULL;
    if (!child || !cJSON_AddItemToArray(out, child)) {
      cJSON_Delete(child);
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

cJSON *rb_proto_json_encode(const rb_proto_ctx *c, const cJSON *v, const cJSON *shape,
                            const cJSON *ref, int skip_located) {
  const char *type = rb_proto_type(shape);
  if (rb_model_flag(shape, "document"))
    return cJSON_Duplicate(v, 1);
  if (strcmp(type, "structure") == 0)
    return encode_object(c, v, shape, skip_located, 0);
  if (strcmp(type, "map") == 0)
    return encode_object(c, v, shape, 0, 1);
  if (strcmp(type, "list") == 0)
    return encode_list(c, v, shape);
  return encode_scalar(v, shape, ref);
}

/* ---- decoding ---- */

static const cJSON *member_for_wire(const cJSON *members, const char *wire,
                                    const char **name) {
  const cJSON *ref;
  cJSON_ArrayForEach(ref, members) {
    const char *w = rb_model_str(ref, "locationName");
    if (strcmp(w && !located(ref) ? w : ref->string, wire) == 0) {
      *name = ref->string;
      return ref;
    }
  }
  return NULL;
}

static cJSON *decode_object(const rb_proto_ctx *c, const cJSON *w, const cJSON *shape,
                            int is_map) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  const cJSON *vref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  cJSON *out = cJSON_CreateObject();
  const cJSON *item;
  cJSON_ArrayForEach(item, w) {
    const char *name = item->string;
    const cJSON *ref = is_map ? vref : member_for_wire(members, item->string, &name);
    if (ref && cJSON_IsNull(item) && !is_map)
      continue;
    cJSON *child = ref ? rb_proto_json_decode(c, item, rb_model_ref_shape(c->model, ref))
                       : cJSON_Duplicate(item, 1);
    if (!out || !child || !cJSON_AddItemToObject(out, name, child)) {
      cJSON_Delete(child);
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

static cJSON *decode_list(const rb_proto_ctx *c, const cJSON *w, const cJSON *shape) {
  const cJSON *mshape =
      rb_model_ref_shape(c->model, cJSON_GetObjectItemCaseSensitive(shape, "member"));
  cJSON *out = cJSON_CreateArray();
  const cJSON *item;
  cJSON_ArrayForEach(item, w) {
    cJSON *child = out ? rb_proto_json_decode(c, item, mshape) : NULL;
    if (!child || !cJSON_AddItemToArray(out, child)) {
      cJSON_Delete(child);
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

cJSON *rb_proto_json_decode(const rb_proto_ctx *c, const cJSON *w, const cJSON *shape) {
  const char *type = rb_proto_type(shape);
  if (!rb_model_flag(shape, "document")) {
    if (strcmp(type, "structure") == 0 && cJSON_IsObject(w))
      return decode_object(c, w, shape, 0);
    if (strcmp(type, "map") == 0 && cJSON_IsObject(w))
      return decode_object(c, w, shape, 1);
    if (strcmp(type, "list") == 0 && cJSON_IsArray(w))
      return decode_list(c, w, shape);
  }
  return cJSON_Duplicate(w, 1);
}

static int blank(const char *body, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
      return 0;
  return 1;
}

cJSON *rb_proto_json_parse_body(const rb_proto_ctx *c, int status, const char *body,
                                size_t len, rb_error *err) {
  if (blank(body, len))
    return cJSON_CreateObject();
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (j && !blank(end, len - (size_t)(end - body))) {
    cJSON_Delete(j);
    j = NULL;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
      end++; /* report where the trailing text starts */
  }
  if (!j) {
    size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
    rb_proto_malformed(c, status, err, "invalid json at byte %zu", at);
    return NULL;
  }
  return j;
}

/* ---- json 1.0/1.1 requests and responses ---- */

int rb_proto_build_json(const rb_proto_ctx *c, const cJSON *params,
                        rb_proto_request *out) {
  char ct[64];
  rb_buf target = RB_BUF_INIT;
  const cJSON *shape = rb_model_shape(c->model, c->op.input_shape);
  cJSON *body = shape && params ? rb_proto_json_encode(c, params, shape, NULL, 0)
                                : cJSON_CreateObject();
  char *text = body ? cJSON_PrintUnformatted(body) : NULL;
  snprintf(ct, sizeof ct, "application/x-amz-json-%s",
           c->meta->json_version ? c->meta->json_version : "1.0");
  int rc = -1;
  if (text &&
      rb_buf_printf(&target, "%s.%s",
                    c->meta->target_prefix ? c->meta->target_prefix : "",
                    c->op.name) == 0 &&
      rb_buf_puts(&out->path, c->op.uri ? c->op.uri : "/") == 0 &&
      rb_headers_add(&out->headers, "X-Amz-Target", target.data) == 0 &&
      rb_headers_add(&out->headers, "Content-Type", ct) == 0 &&
      rb_buf_puts(&out->body, text) == 0 && rb_buf_cstr(&out->query))
    rc = 0;
  rb_buf_free(&target);
  cJSON_free(text);
  cJSON_Delete(body);
  return rc;
}

int rb_proto_parse_json(const rb_proto_ctx *c, int status, const rb_headers *h,
                        const char *body, size_t len, cJSON **out, rb_error *err) {
  cJSON *wire = rb_proto_json_parse_body(c, status, body, len, err);
  if (!wire)
    return -1;
  if (!cJSON_IsObject(wire)) {
    cJSON_Delete(wire);
    return rb_proto_malformed(c, status, err,
                              "expected a json object, got another value");
  }
  const cJSON *shape = rb_model_shape(c->model, c->op.output_shape);
  cJSON *result = shape ? rb_proto_json_decode(c, wire, shape) : cJSON_CreateObject();
  cJSON_Delete(wire);
  if (!result || rb_proto_add_request_id(result, rb_proto_header_request_id(h)) != 0) {
    cJSON_Delete(result);
    return rb_error_set(err, "OutOfMemory", "cannot read %s %s response: out of memory",
                        c->service, c->op.name);
  }
  *out = result;
  return 0;
}
