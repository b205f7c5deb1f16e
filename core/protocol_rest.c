/* protocol_rest.c — the rest-json protocol (Lambda, API Gateway v1 and v2).
 *
 * Requests: members go where the model puts them — URI labels ({Name} encoded with '/'
 * escaped, {Name+} keeping '/'), querystring (lists repeat the key, maps add their
 * entries), headers, and the JSON body (or the payload member) — following botocore's
 * BaseRestSerializer/RestJSONSerializer. Responses: the JSON body (or payload) plus
 * header and status-code members. Uses rb_buf, rb_headers and cJSON; never adds Host or
 * Authorization (the transport and signer own those). */
#include "protocol_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- request ---- */

static const cJSON *member_by_location_name(const cJSON *members, const char *label,
                                            size_t len, const char **member) {
  const cJSON *ref;
  cJSON_ArrayForEach(ref, members) {
    const char *loc = rb_model_str(ref, "location");
    const char *wire = rb_model_str(ref, "locationName");
    if (!wire)
      wire = ref->string;
    if (loc && strcmp(loc, "uri") == 0 && strlen(wire) == len &&
        memcmp(wire, label, len) == 0) {
      *member = ref->string;
      return ref;
    }
  }
  return NULL;
}

static int render_label(const rb_proto_ctx *c, const cJSON *params, const cJSON *members,
                        const char *label, size_t len, rb_buf *out, rb_error *err) {
  int greedy = len > 0 && label[len - 1] == '+';
  const char *member = NULL;
  const cJSON *ref =
      member_by_location_name(members, label, len - (size_t)greedy, &member);
  const cJSON *v = ref ? cJSON_GetObjectItemCaseSensitive(params, member) : NULL;
  if (!v || cJSON_IsNull(v))
    return rb_error_set(err, "InvalidParameter",
                        "missing required parameter '%.*s' for %s %s",
                        (int)(len - (size_t)greedy), label, c->service, c->op.name);
  rb_buf text = RB_BUF_INIT;
  int rc =
      rb_proto_scalar_append(&text, v, ref, rb_model_ref_shape(c->model, ref), "iso8601");
  if (rc == 0)
    rc = rb_proto_pct_append(out, text.data, text.len, greedy ? "/" : NULL);
  rb_buf_free(&text);
  return rc;
}

/* Expands "/functions/{FunctionName}/configuration?x=y" into out->path, and puts the
 * literal query part ("x=y") into out->query. */
static int render_uri(const rb_proto_ctx *c, const cJSON *params, const cJSON *shape,
                      rb_proto_request *out, rb_error *err) {
  const char *t = c->op.uri ? c->op.uri : "/";
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  while (*t && *t != '?') {
    const char *open = strchr(t, '{'), *qm = strchr(t, '?');
    const char *close = open ? strchr(open, '}') : NULL;
    if (!open || !close || (qm && open > qm)) {
      size_t n = qm ? (size_t)(qm - t) : strlen(t);
      if (rb_buf_append(&out->path, t, n) != 0)
        return -1;
      t += n;
      break;
    }
    if (rb_buf_append(&out->path, t, (size_t)(open - t)) != 0 ||
        render_label(c, params, members, open + 1, (size_t)(close - open - 1), &out->path,
                     err) != 0)
      return -1;
    t = close + 1;
  }
  if (*t == '?' && rb_buf_puts(&out->query, t + 1) != 0)
    return -1;
  return rb_buf_cstr(&out->path) && rb_buf_cstr(&out->query) ? 0 : -1;
}

static int query_pair(rb_buf *q, const char *key, const rb_buf *value) {
  if ((q->len && rb_buf_putc(q, '&') != 0) ||
      rb_proto_pct_append(q, key, strlen(key), NULL) || rb_buf_putc(q, '=') != 0)
    return -1;
  return rb_proto_pct_append(q, value->data ? value->data : "", value->len, NULL);
}

/* One querystring value: a scalar, or each element of a list under the same key. */
static int query_value(const rb_proto_ctx *c, rb_buf *q, const char *key, const cJSON *v,
                       const cJSON *ref, const cJSON *shape) {
  if (cJSON_IsArray(v) || strcmp(rb_proto_type(shape), "list") == 0) {
    const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
    const cJSON *mshape = rb_model_ref_shape(c->model, mref);
    const cJSON *item;
    const cJSON *arr = cJSON_IsArray(v) ? v : NULL;
    cJSON_ArrayForEach(item, arr) {
      if (query_value(c, q, key, item, mref, mshape) != 0)
        return -1;
    }
    return 0;
  }
  rb_buf text = RB_BUF_INIT;
  int rc = rb_proto_scalar_append(&text, v, ref, shape, "iso8601");
  if (rc == 0)
    rc = query_pair(q, key, &text);
  rb_buf_free(&text);
  return rc;
}

static int add_query(const rb_proto_ctx *c, rb_buf *q, const char *name, const cJSON *v,
                     const cJSON *ref, const cJSON *shape) {
  if (strcmp(rb_proto_type(shape), "map") != 0) {
    const char *key = rb_model_str(ref, "locationName");
    return query_value(c, q, key ? key : name, v, ref, shape);
  }
  const cJSON *vref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  const cJSON *vshape = rb_model_ref_shape(c->model, vref);
  size_t n;
  int oom, rc = 0;
  const cJSON **items = rb_proto_sorted_items(v, &n, &oom);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = query_value(c, q, items[i]->string, items[i], vref, vshape);
  free(items);
  return oom ? -1 : rc;
}

static int header_text(const rb_proto_ctx *c, rb_buf *out, const cJSON *v,
                       const cJSON *ref, const cJSON *shape) {
  if (rb_model_flag(ref, "jsonvalue")) {
    char *json = cJSON_PrintUnformatted(v);
    int rc = json ? rb_proto_base64_append(out, (const unsigned char *)json, strlen(json))
                  : -1;
    cJSON_free(json);
    return rc;
  }
  if (strcmp(rb_proto_type(shape), "list") != 0)
    return rb_proto_scalar_append(out, v, ref, shape, "rfc822");
  const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *item;
  int first = 1;
  cJSON_ArrayForEach(item, v) {
    if ((!first && rb_buf_putc(out, ',') != 0) ||
        header_text(c, out, item, mref, rb_model_ref_shape(c->model, mref)) != 0)
      return -1;
    first = 0;
  }
  return rb_buf_cstr(out) ? 0 : -1;
}

static int add_headers(const rb_proto_ctx *c, rb_headers *h, const char *name,
                       const cJSON *v, const cJSON *ref, const cJSON *shape,
                       int prefix_map) {
  const char *wire = rb_model_str(ref, "locationName");
  wire = wire ? wire : name;
  if (prefix_map) {
    const cJSON *item;
    rb_buf full = RB_BUF_INIT;
    int rc = 0;
    cJSON_ArrayForEach(item, v) {
      rb_buf_reset(&full);
      if (cJSON_IsString(item) &&
          (rb_buf_printf(&full, "%s%s", wire, item->string) != 0 ||
           rb_headers_add(h, full.data, item->valuestring) != 0))
        rc = -1;
    }
    rb_buf_free(&full);
    return rc;
  }
  if (strcmp(rb_proto_type(shape), "list") == 0 && !cJSON_GetArraySize(v))
    return 0;
  rb_buf text = RB_BUF_INIT;
  int rc = header_text(c, &text, v, ref, shape);
  if (rc == 0)
    rc = rb_headers_add(h, wire, rb_buf_cstr(&text));
  rb_buf_free(&text);
  return rc;
}

/* Querystring and header members; *has_body is set when a body member was given. */
static int add_located(const rb_proto_ctx *c, const cJSON *params, const cJSON *shape,
                       rb_proto_request *out, int *has_body) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  size_t n;
  int oom, rc = 0;
  const cJSON **items = rb_proto_sorted_items(params, &n, &oom);
  rb_buf q = RB_BUF_INIT;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(members, items[i]->string);
    const cJSON *mshape = rb_model_ref_shape(c->model, ref);
    const char *loc = rb_model_str(ref, "location");
    if (!loc)
      *has_body = 1;
    else if (strcmp(loc, "querystring") == 0)
      rc = add_query(c, &q, items[i]->string, items[i], ref, mshape);
    else if (strcmp(loc, "header") == 0)
      rc = add_headers(c, &out->headers, items[i]->string, items[i], ref, mshape, 0);
    else if (strcmp(loc, "headers") == 0) /* a map: one header per key, name prefixed */
      rc = add_headers(c, &out->headers, items[i]->string, items[i], ref, mshape, 1);
  }
  if (rc == 0 && q.len)
    rc = (out->query.len ? rb_buf_putc(&out->query, '&') : 0) ||
         rb_buf_append(&out->query, q.data, q.len);
  rb_buf_free(&q);
  free(items);
  return oom ? -1 : rc;
}

static int any_body_member(const cJSON *shape) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  const cJSON *ref;
  cJSON_ArrayForEach(ref, members) {
    if (!rb_model_str(ref, "location"))
      return 1;
  }
  return 0;
}

static int put_json(rb_buf *body, cJSON *j) {
  char *text = j ? cJSON_PrintUnformatted(j) : NULL;
  int rc = text ? rb_buf_puts(body, text) : -1;
  cJSON_free(text);
  cJSON_Delete(j);
  return rc;
}

/* The body: the payload member (raw for blob/string, JSON otherwise), else the JSON of
 * the body members, else "{}" when the input has body members at all. */
static int add_body(const rb_proto_ctx *c, const cJSON *params, const cJSON *shape,
                    int has_body, rb_proto_request *out, int *streaming) {
  const char *payload = rb_model_str(shape, "payload");
  *streaming = 0;
  if (payload) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(shape, "members"), payload);
    const cJSON *pshape = rb_model_ref_shape(c->model, ref);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, payload);
    const char *type = rb_proto_type(pshape);
    if (strcmp(type, "blob") == 0 || strcmp(type, "string") == 0) {
      *streaming = 1;
      return cJSON_IsString(v) ? rb_buf_puts(&out->body, v->valuestring) : 0;
    }
    if (!v || cJSON_IsNull(v))
      return rb_buf_puts(&out->body, "{}");
    return put_json(&out->body, rb_proto_json_encode(c, v, pshape, ref, 0));
  }
  if (has_body)
    return put_json(&out->body, rb_proto_json_encode(c, params, shape, NULL, 1));
  return any_body_member(shape) ? rb_buf_puts(&out->body, "{}") : 0;
}

int rb_proto_build_rest(const rb_proto_ctx *c, const cJSON *params, rb_proto_request *out,
                        rb_error *err) {
  const cJSON *shape = rb_model_shape(c->model, c->op.input_shape);
  int has_body = 0, streaming = 0;
  if (render_uri(c, params, shape, out, err) != 0)
    return -1;
  if (shape && (add_located(c, params, shape, out, &has_body) != 0 ||
                add_body(c, params, shape, has_body, out, &streaming) != 0))
    return -1;
  if (out->body.len && !streaming && !rb_headers_get(&out->headers, "Content-Type") &&
      rb_headers_add(&out->headers, "Content-Type", "application/json") != 0)
    return -1;
  if (strcmp(c->service, "apigateway") == 0 &&
      rb_headers_add(&out->headers, "Accept", "application/json") != 0)
    return -1;
  return rb_buf_cstr(&out->body) ? 0 : -1;
}

/* ---- response ---- */

static cJSON *header_value(const rb_proto_ctx *c, const char *text, const cJSON *ref,
                           const cJSON *shape);

static cJSON *header_list(const rb_proto_ctx *c, const char *text, const cJSON *shape) {
  const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(c->model, mref);
  cJSON *arr = cJSON_CreateArray();
  while (arr && *text) {
    const char *comma = strchr(text, ',');
    size_t n = comma ? (size_t)(comma - text) : strlen(text);
    while (n && (*text == ' ' || *text == '\t'))
      text++, n--;
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
      n--;
    char *part = rb_strndup(text, n);
    cJSON *item = part ? header_value(c, part, mref, mshape) : NULL;
    free(part);
    if (!item || !cJSON_AddItemToArray(arr, item)) {
      cJSON_Delete(item);
      cJSON_Delete(arr);
      return NULL;
    }
    text = comma ? comma + 1 : text + n;
  }
  return arr;
}

static cJSON *header_value(const rb_proto_ctx *c, const char *text, const cJSON *ref,
                           const cJSON *shape) {
  const char *type = rb_proto_type(shape);
  char *end;
  if (rb_model_flag(ref, "jsonvalue")) {
    rb_buf raw = RB_BUF_INIT;
    cJSON *j = rb_proto_base64_decode(text, &raw) == 0 ? cJSON_Parse(raw.data) : NULL;
    rb_buf_free(&raw);
    if (j)
      return j;
  } else if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0 ||
             strcmp(type, "float") == 0 || strcmp(type, "double") == 0) {
    double d = strtod(text, &end);
    if (end != text && *end == '\0')
      return cJSON_CreateNumber(d);
  } else if (strcmp(type, "boolean") == 0) {
    return cJSON_CreateBool(strcasecmp(text, "true") == 0);
  } else if (strcmp(type, "list") == 0) {
    return header_list(c, text, shape);
  }
  return cJSON_CreateString(text);
}

static cJSON *header_map(const rb_headers *h, const char *prefix) {
  cJSON *obj = cJSON_CreateObject();
  size_t plen = strlen(prefix);
  for (size_t i = 0; obj && i < h->count; i++)
    if (strncasecmp(h->items[i].name, prefix, plen) == 0 &&
        !cJSON_AddStringToObject(obj, h->items[i].name + plen, h->items[i].value)) {
      cJSON_Delete(obj);
      return NULL;
    }
  return obj;
}

/* Header, headers and statusCode members of the output shape. */
static int add_response_located(const rb_proto_ctx *c, const cJSON *shape, int status,
                                const rb_headers *h, cJSON *result) {
  const cJSON *ref;
  cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(shape, "members")) {
    const char *loc = rb_model_str(ref, "location");
    const char *wire = rb_model_str(ref, "locationName");
    wire = wire ? wire : ref->string;
    cJSON *v = NULL;
    if (!loc)
      continue;
    if (strcmp(loc, "statusCode") == 0)
      v = cJSON_CreateNumber(status);
    else if (strcmp(loc, "headers") == 0)
      v = header_map(h, wire);
    else if (strcmp(loc, "header") == 0 && rb_headers_get(h, wire))
      v = header_value(c, rb_headers_get(h, wire), ref,
                       rb_model_ref_shape(c->model, ref));
    else
      continue;
    if (!v || !cJSON_AddItemToObject(result, ref->string, v)) {
      cJSON_Delete(v);
      return -1;
    }
  }
  return 0;
}

/* The payload member's value: raw text for blob/string, else the JSON body decoded. */
static cJSON *payload_value(const rb_proto_ctx *c, const cJSON *ref, int status,
                            const char *body, size_t len, rb_error *err) {
  const cJSON *pshape = rb_model_ref_shape(c->model, ref);
  const char *type = rb_proto_type(pshape);
  if (strcmp(type, "blob") == 0 || strcmp(type, "string") == 0) {
    char *raw = rb_strndup(body, len);
    cJSON *v = raw ? cJSON_CreateString(raw) : NULL;
    free(raw);
    return v;
  }
  cJSON *wire = rb_proto_json_parse_body(c, status, body, len, err);
  cJSON *v = wire ? rb_proto_json_decode(c, wire, pshape) : NULL;
  cJSON_Delete(wire);
  return v;
}

/* The result object before header members: the decoded body, or {payload: ...}. */
static cJSON *response_body(const rb_proto_ctx *c, const cJSON *shape, int status,
                            const char *body, size_t len, rb_error *err) {
  const char *payload = rb_model_str(shape, "payload");
  if (!shape)
    return cJSON_CreateObject();
  if (payload) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(shape, "members"), payload);
    cJSON *result = cJSON_CreateObject();
    cJSON *v = result && ref ? payload_value(c, ref, status, body, len, err) : NULL;
    if (!v || !cJSON_AddItemToObject(result, payload, v)) {
      cJSON_Delete(v);
      cJSON_Delete(result);
      return NULL;
    }
    return result;
  }
  cJSON *wire = rb_proto_json_parse_body(c, status, body, len, err);
  if (wire && !cJSON_IsObject(wire)) {
    cJSON_Delete(wire);
    rb_proto_malformed(c, status, err, "expected a json object, got another value");
    return NULL;
  }
  cJSON *result = wire ? rb_proto_json_decode(c, wire, shape) : NULL;
  cJSON_Delete(wire);
  return result;
}

int rb_proto_parse_rest(const rb_proto_ctx *c, int status, const rb_headers *h,
                        const char *body, size_t len, cJSON **out, rb_error *err) {
  const cJSON *shape = rb_model_shape(c->model, c->op.output_shape);
  rb_error_clear(err);
  cJSON *result = response_body(c, shape, status, body, len, err);
  if (!result && err && err->code[0])
    return -1;
  if (!result || (shape && add_response_located(c, shape, status, h, result) != 0) ||
      rb_proto_add_request_id(result, rb_proto_header_request_id(h)) != 0) {
    cJSON_Delete(result);
    return rb_error_set(err, "OutOfMemory", "cannot read %s %s response: out of memory",
                        c->service, c->op.name);
  }
  *out = result;
  return 0;
}
