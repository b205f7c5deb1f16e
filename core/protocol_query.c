/* protocol_query.c — query (IAM, STS, CloudWatch) and ec2 request bodies.
 *
 * Flattens the parameters into "Action=..&Version=..&Name.member.1=..": structures as
 * Name.Member, lists as Name.member.N (query; flattened lists and EC2 lists as Name.N),
 * maps as Name.entry.N.key/value, following botocore's QuerySerializer and
 * EC2Serializer. The body is form-encoded like Python's urlencode (space as '+'). Uses
 * rb_buf and cJSON; keys are emitted in sorted member order so bodies are reproducible.
 */
#include "protocol_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct qctx {
  const rb_proto_ctx *c;
  int ec2;
  rb_buf *body;
} qctx;

static int serialize(qctx *q, const cJSON *v, const cJSON *shape, const cJSON *ref,
                     rb_buf *prefix);

static int add_pair(qctx *q, const rb_buf *key, const char *value, size_t len) {
  if (rb_buf_putc(q->body, '&') != 0 ||
      rb_proto_form_append(q->body, key->data, key->len) ||
      rb_buf_putc(q->body, '=') != 0)
    return -1;
  return rb_proto_form_append(q->body, value, len);
}

/* The name a REF is serialized under: query uses locationName; ec2 prefers queryName,
 * then locationName with its first letter capitalized. */
static int append_name(qctx *q, rb_buf *out, const cJSON *ref, const char *fallback) {
  const char *qn = q->ec2 ? rb_model_str(ref, "queryName") : NULL;
  const char *ln = rb_model_str(ref, "locationName");
  if (qn)
    return rb_buf_puts(out, qn);
  if (!ln)
    return rb_buf_puts(out, fallback);
  if (q->ec2 && ln[0] >= 'a' && ln[0] <= 'z')
    return rb_buf_putc(out, (char)(ln[0] - 'a' + 'A')) || rb_buf_puts(out, ln + 1);
  return rb_buf_puts(out, ln);
}

static void truncate_to(rb_buf *b, size_t len) {
  b->len = len;
  if (b->data)
    b->data[len] = '\0';
}

static int serialize_struct(qctx *q, const cJSON *v, const cJSON *shape, rb_buf *prefix) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  size_t n, base = prefix->len;
  int oom, rc = 0;
  const cJSON **items = rb_proto_sorted_items(v, &n, &oom);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(members, items[i]->string);
    if (!ref)
      continue;
    truncate_to(prefix, base);
    rc = (base && rb_buf_putc(prefix, '.') != 0) ||
         append_name(q, prefix, ref, items[i]->string) ||
         serialize(q, items[i], rb_model_ref_shape(q->c->model, ref), ref, prefix);
  }
  truncate_to(prefix, base);
  free(items);
  return oom ? -1 : rc;
}

/* Where list elements go: "Prefix.member" (query), "Prefix" (ec2 or flattened), or for
 * a flattened list whose member has a locationName, the prefix's last part renamed. */
static int list_prefix(qctx *q, const cJSON *ref, const cJSON *mref, rb_buf *prefix) {
  const char *mname = rb_model_str(mref, "locationName");
  if (q->ec2)
    return 0;
  if (!rb_model_flag(ref, "flattened"))
    return rb_buf_putc(prefix, '.') || rb_buf_puts(prefix, mname ? mname : "member");
  if (!mname)
    return 0;
  const char *dot = prefix->data ? strrchr(prefix->data, '.') : NULL;
  truncate_to(prefix, dot ? (size_t)(dot - prefix->data + 1) : 0);
  return rb_buf_puts(prefix, mname);
}

static int serialize_list(qctx *q, const cJSON *v, const cJSON *shape, const cJSON *ref,
                          rb_buf *prefix) {
  const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(q->c->model, mref);
  size_t base = prefix->len;
  if (!cJSON_IsArray(v) || !v->child)
    return q->ec2 ? 0 : add_pair(q, prefix, "", 0);
  rb_buf start = RB_BUF_INIT;
  int rc = rb_buf_append(&start, prefix->data, prefix->len) ||
           list_prefix(q, ref, mref, &start);
  size_t sbase = start.len;
  int i = 1;
  const cJSON *item;
  cJSON_ArrayForEach(item, v) {
    if (rc != 0)
      break;
    truncate_to(&start, sbase);
    rc = rb_buf_printf(&start, ".%d", i++) || serialize(q, item, mshape, mref, &start);
  }
  rb_buf_free(&start);
  truncate_to(prefix, base);
  return rc;
}

static int serialize_map(qctx *q, const cJSON *v, const cJSON *shape, const cJSON *ref,
                         rb_buf *prefix) {
  const cJSON *kref = cJSON_GetObjectItemCaseSensitive(shape, "key");
  const cJSON *vref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  size_t n, base = prefix->len;
  int oom, rc = 0;
  const cJSON **items = rb_proto_sorted_items(v, &n, &oom);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    truncate_to(prefix, base);
    rc = rb_buf_printf(prefix, "%s.%zu.", rb_model_flag(ref, "flattened") ? "" : ".entry",
                       i + 1);
    size_t entry = prefix->len;
    cJSON *key = cJSON_CreateString(items[i]->string);
    rc = rc || !key || append_name(q, prefix, kref, "key") ||
         serialize(q, key, rb_model_ref_shape(q->c->model, kref), kref, prefix);
    cJSON_Delete(key);
    truncate_to(prefix, entry);
    rc = rc || append_name(q, prefix, vref, "value") ||
         serialize(q, items[i], rb_model_ref_shape(q->c->model, vref), vref, prefix);
  }
  truncate_to(prefix, base);
  free(items);
  return oom ? -1 : rc;
}

static int serialize(qctx *q, const cJSON *v, const cJSON *shape, const cJSON *ref,
                     rb_buf *prefix) {
  const char *type = rb_proto_type(shape);
  if (cJSON_IsNull(v))
    return 0;
  if (strcmp(type, "structure") == 0)
    return serialize_struct(q, v, shape, prefix);
  if (strcmp(type, "list") == 0)
    return serialize_list(q, v, shape, ref, prefix);
  if (strcmp(type, "map") == 0)
    return serialize_map(q, v, shape, ref, prefix);
  rb_buf text = RB_BUF_INIT;
  int rc = rb_proto_scalar_append(&text, v, ref, shape, "iso8601");
  if (rc == 0)
    rc = add_pair(q, prefix, text.data ? text.data : "", text.len);
  rb_buf_free(&text);
  return rc;
}

int rb_proto_build_query(const rb_proto_ctx *c, const cJSON *params,
                         rb_proto_request *out) {
  qctx q = {c, c->meta->protocol == RB_PROTOCOL_EC2, &out->body};
  rb_buf prefix = RB_BUF_INIT;
  const cJSON *shape = rb_model_shape(c->model, c->op.input_shape);
  int rc = rb_buf_puts(&out->body, "Action=") ||
           rb_proto_form_append(&out->body, c->op.name, strlen(c->op.name)) ||
           rb_buf_puts(&out->body, "&Version=") ||
           rb_proto_form_append(&out->body, c->meta->api_version,
                                strlen(c->meta->api_version));
  if (rc == 0 && shape && params)
    rc = serialize_struct(&q, params, shape, &prefix);
  rb_buf_free(&prefix);
  if (rc != 0 || rb_buf_puts(&out->path, c->op.uri ? c->op.uri : "/") != 0 ||
      !rb_buf_cstr(&out->query) ||
      rb_headers_add(&out->headers, "Content-Type",
                     "application/x-www-form-urlencoded; charset=utf-8") != 0)
    return -1;
  return 0;
}
