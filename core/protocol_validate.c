/* protocol_validate.c — checks call parameters against the operation's input shape before
 * anything is built, as botocore's ParamValidator does: required members at any depth,
 * unknown members (with a suggestion), value types, readable timestamps, non-empty URI
 * labels and header values without line breaks. Uses the model and cJSON; never modifies
 * the parameters and never puts a parameter's value in a message (values may be
 * secrets), only its path. */
#include "protocol_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct vctx {
  const rb_proto_ctx *c;
  rb_buf path; /* "Dimensions[0].Name" */
  rb_error *err;
} vctx;

static int check_value(vctx *v, const cJSON *val, const cJSON *shape, const cJSON *ref,
                       int depth);

static const char *json_kind(const cJSON *j) {
  if (cJSON_IsString(j))
    return "string";
  if (cJSON_IsNumber(j))
    return "number";
  if (cJSON_IsBool(j))
    return "boolean";
  if (cJSON_IsArray(j))
    return "array";
  if (cJSON_IsObject(j))
    return "object";
  return "null";
}

static int fail(vctx *v, const char *what, const char *detail) {
  return rb_error_set(v->err, "InvalidParameter", "%s '%s' for %s %s%s", what,
                      rb_buf_cstr(&v->path) ? v->path.data : "", v->c->service,
                      v->c->op.name, detail ? detail : "");
}

static int type_error(vctx *v, const char *expected, const cJSON *val) {
  char detail[128];
  snprintf(detail, sizeof detail, ": expected %s, got %s", expected, json_kind(val));
  return fail(v, "invalid type for parameter", detail);
}

/* Appends ".name" (or "name" at the top), or "[index]" when name is NULL; returns the old
 * length for path_pop. On OOM the path is only shorter in a message. */
static size_t path_push(vctx *v, const char *name, int index) {
  size_t old = v->path.len;
  if (name)
    (void)(rb_buf_puts(&v->path, old ? "." : "") || rb_buf_puts(&v->path, name));
  else
    (void)rb_buf_printf(&v->path, "[%d]", index);
  return old;
}

static void path_pop(vctx *v, size_t old) {
  v->path.len = old;
  if (v->path.data)
    v->path.data[old] = '\0';
}

static int empty_container(const cJSON *val) {
  return (cJSON_IsArray(val) || cJSON_IsObject(val)) && val->child == NULL;
}

static int check_required(vctx *v, const cJSON *obj, const cJSON *shape) {
  const cJSON *req;
  cJSON_ArrayForEach(req, cJSON_GetObjectItemCaseSensitive(shape, "required")) {
    const char *name = cJSON_GetStringValue(req);
    const cJSON *item = name ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    if (name && (!item || cJSON_IsNull(item))) {
      size_t old = path_push(v, name, 0);
      fail(v, "missing required parameter", NULL);
      path_pop(v, old);
      return -1;
    }
  }
  return 0;
}

static int unknown_member(vctx *v, const char *name, const cJSON *members) {
  char detail[160] = "";
  const char *hint = rb_model_suggest(name, members);
  if (hint)
    snprintf(detail, sizeof detail, " (did you mean %s?)", hint);
  path_push(v, name, 0);
  return fail(v, "unknown parameter", detail);
}

/* A string anywhere in the value with CR or LF (would split an HTTP header). */
static int has_line_break(const cJSON *val) {
  if (cJSON_IsString(val))
    return strpbrk(val->valuestring, "\r\n") != NULL;
  for (const cJSON *it = val ? val->child : NULL; it; it = it->next)
    if (has_line_break(it))
      return 1;
  return 0;
}

static int check_struct(vctx *v, const cJSON *obj, const cJSON *shape, int depth) {
  if (check_required(v, obj, shape) != 0)
    return -1;
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  const cJSON *item;
  cJSON_ArrayForEach(item, obj) {
    if (cJSON_IsNull(item))
      continue;
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(members, item->string);
    if (!ref)
      return unknown_member(v, item->string, members);
    size_t old = path_push(v, item->string, 0);
    const char *loc = rb_model_str(ref, "location");
    if (loc && strcmp(loc, "uri") == 0 && cJSON_IsString(item) && !item->valuestring[0])
      return fail(v, "invalid value for parameter", ": must not be empty");
    if (loc && strncmp(loc, "header", 6) == 0 && has_line_break(item))
      return fail(v, "invalid value for parameter",
                  ": a header must not contain line breaks");
    if (check_value(v, item, rb_model_ref_shape(v->c->model, ref), ref, depth + 1) != 0)
      return -1;
    path_pop(v, old);
  }
  return 0;
}

static int check_list(vctx *v, const cJSON *arr, const cJSON *shape, int depth) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(v->c->model, ref);
  int i = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    size_t old = path_push(v, NULL, i++);
    if (cJSON_IsNull(item))
      return type_error(v, "a value", item);
    if (check_value(v, item, mshape, ref, depth + 1) != 0)
      return -1;
    path_pop(v, old);
  }
  return 0;
}

static int check_map(vctx *v, const cJSON *obj, const cJSON *shape, int depth) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  const cJSON *vshape = rb_model_ref_shape(v->c->model, ref);
  const cJSON *item;
  cJSON_ArrayForEach(item, obj) {
    size_t old = path_push(v, item->string ? item->string : "", 0);
    if (check_value(v, item, vshape, ref, depth + 1) != 0)
      return -1;
    path_pop(v, old);
  }
  return 0;
}

static int check_container(vctx *v, const cJSON *val, const cJSON *shape,
                           const char *type, int depth) {
  int is_list = strcmp(type, "list") == 0;
  if (is_list ? !cJSON_IsArray(val) && !empty_container(val)
              : !cJSON_IsObject(val) && !empty_container(val))
    return type_error(v, is_list ? "array" : "object", val);
  if (depth > RB_PROTO_MAX_DEPTH)
    return fail(v, "parameter nested too deeply at", NULL);
  if (is_list)
    return check_list(v, val, shape, depth);
  if (strcmp(type, "map") == 0)
    return check_map(v, val, shape, depth);
  return check_struct(v, val, shape, depth);
}

static int check_scalar(vctx *v, const cJSON *val, const char *type) {
  if (strcmp(type, "string") == 0 || strcmp(type, "blob") == 0)
    return cJSON_IsString(val) ? 0 : type_error(v, "string", val);
  if (strcmp(type, "boolean") == 0)
    return cJSON_IsBool(val) ? 0 : type_error(v, "boolean", val);
  if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0) {
    if (!cJSON_IsNumber(val))
      return type_error(v, "integer", val);
    double d = val->valuedouble;
    return isfinite(d) && d == floor(d) ? 0 : type_error(v, "integer", val);
  }
  if (strcmp(type, "float") == 0 || strcmp(type, "double") == 0)
    return cJSON_IsNumber(val) ? 0 : type_error(v, "number", val);
  if (strcmp(type, "timestamp") == 0) {
    double epoch;
    if (rb_proto_ts_parse(val, &epoch) == 0)
      return 0;
    return fail(v, "invalid timestamp for parameter",
                ": expected epoch seconds or ISO 8601 text (2024-01-31T12:00:00Z)");
  }
  return 0;
}

static int check_value(vctx *v, const cJSON *val, const cJSON *shape, const cJSON *ref,
                       int depth) {
  (void)ref;
  const char *type = rb_proto_type(shape);
  if (cJSON_IsNull(val) || rb_model_flag(shape, "document"))
    return 0;
  if (strcmp(type, "structure") == 0 || strcmp(type, "list") == 0 ||
      strcmp(type, "map") == 0)
    return check_container(v, val, shape, type, depth);
  return check_scalar(v, val, type);
}

int rb_proto_validate(const rb_proto_ctx *c, const cJSON *params, rb_error *err) {
  vctx v = {c, RB_BUF_INIT, err};
  const cJSON *shape = rb_model_shape(c->model, c->op.input_shape);
  static const cJSON empty = {0};
  int rc = 0;
  if (!params)
    params = &empty; /* an invalid type with no children: treated as {} below */
  if (params != &empty && !cJSON_IsObject(params) && !empty_container(params)) {
    rc = rb_error_set(err, "InvalidParameter",
                      "parameters for %s %s must be an object, got %s", c->service,
                      c->op.name, json_kind(params));
  } else if (!shape) {
    if (params->child)
      rc = rb_error_set(err, "InvalidParameter", "unknown parameter '%s' for %s %s",
                        params->child->string ? params->child->string : "[1]", c->service,
                        c->op.name);
  } else {
    rc = check_struct(&v, params, shape, 0);
  }
  rb_buf_free(&v.path);
  return rc;
}
