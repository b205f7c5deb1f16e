/* protocol_xml.c — query and ec2 responses: XML read by the operation's output shape.
 *
 * Query results live in <OperationResult> (the model's resultWrapper) beside
 * <ResponseMetadata><RequestId>; ec2 results are the root's children beside <requestId>.
 * Structures become objects, lists arrays (<member>/<item> children, or repeated
 * elements when flattened; an empty list element is an empty array), maps objects,
 * integers/doubles numbers and booleans true/false, as botocore's QueryParser and
 * EC2QueryParser do. Elements the model does not know are kept: text as a string,
 * nested elements as an object. Uses xml.c and cJSON; never trusts the body's size or
 * depth (xml.c limits both). */
#include "protocol_internal.h"

#include "xml.h"

#include <stdlib.h>
#include <string.h>

static cJSON *convert(const rb_proto_ctx *c, const rb_xml_node *n, const cJSON *shape,
                      const cJSON *ref);

/* A number from element text, or the text itself when it is not one. */
static cJSON *number_or_text(const rb_xml_node *n) {
  char *end;
  double d = strtod(n->text, &end);
  if (end != n->text && *end == '\0')
    return cJSON_CreateNumber(d);
  return cJSON_CreateString(n->text);
}

/* An element the model does not describe: its text, or an object of its children. */
static cJSON *generic(const rb_xml_node *n) {
  if (!n->children)
    return cJSON_CreateString(n->text);
  cJSON *obj = cJSON_CreateObject();
  for (const rb_xml_node *ch = n->children; obj && ch; ch = ch->next) {
    if (cJSON_GetObjectItemCaseSensitive(obj, ch->name))
      continue; /* repeated names: the first one wins, as in botocore's error parser */
    cJSON *v = generic(ch);
    if (!v || !cJSON_AddItemToObject(obj, ch->name, v)) {
      cJSON_Delete(v);
      cJSON_Delete(obj);
      return NULL;
    }
  }
  return obj;
}

static cJSON *convert_scalar(const rb_xml_node *n, const char *type) {
  if (strcmp(type, "boolean") == 0)
    return cJSON_CreateBool(strcmp(n->text, "true") == 0);
  if (strcmp(type, "integer") == 0 || strcmp(type, "long") == 0 ||
      strcmp(type, "float") == 0 || strcmp(type, "double") == 0)
    return number_or_text(n);
  return cJSON_CreateString(n->text);
}

static int add_item(cJSON *arr, cJSON *item) {
  if (item && cJSON_AddItemToArray(arr, item))
    return 0;
  cJSON_Delete(item);
  return -1;
}

/* Every child of `n` is one element (a wrapped list). */
static cJSON *convert_list(const rb_proto_ctx *c, const rb_xml_node *n,
                           const cJSON *shape) {
  const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(c->model, mref);
  cJSON *arr = cJSON_CreateArray();
  for (const rb_xml_node *ch = n->children; arr && ch; ch = ch->next)
    if (add_item(arr, convert(c, ch, mshape, mref)) != 0) {
      cJSON_Delete(arr);
      return NULL;
    }
  return arr;
}

/* Adds one <entry> (or one flattened entry element) to a map object. */
static int map_entry(const rb_proto_ctx *c, cJSON *obj, const rb_xml_node *entry,
                     const cJSON *shape) {
  const cJSON *kref = cJSON_GetObjectItemCaseSensitive(shape, "key");
  const cJSON *vref = cJSON_GetObjectItemCaseSensitive(shape, "value");
  const char *kname = rb_model_str(kref, "locationName");
  const char *vname = rb_model_str(vref, "locationName");
  const rb_xml_node *k = rb_xml_child(entry, kname ? kname : "key");
  const rb_xml_node *v = rb_xml_child(entry, vname ? vname : "value");
  if (!k)
    return 0;
  cJSON *val =
      v ? convert(c, v, rb_model_ref_shape(c->model, vref), vref) : cJSON_CreateNull();
  if (val && cJSON_AddItemToObject(obj, k->text, val))
    return 0;
  cJSON_Delete(val);
  return -1;
}

static cJSON *convert_map(const rb_proto_ctx *c, const rb_xml_node *n,
                          const cJSON *shape) {
  cJSON *obj = cJSON_CreateObject();
  for (const rb_xml_node *ch = n->children; obj && ch; ch = ch->next)
    if (map_entry(c, obj, ch, shape) != 0) {
      cJSON_Delete(obj);
      return NULL;
    }
  return obj;
}

/* The element name a member is found under (botocore's _member_key_name). */
static const char *xml_name(const rb_proto_ctx *c, const cJSON *ref, const char *member) {
  const cJSON *shape = rb_model_ref_shape(c->model, ref);
  if (strcmp(rb_proto_type(shape), "list") == 0 && rb_model_flag(ref, "flattened")) {
    const char *m =
        rb_model_str(cJSON_GetObjectItemCaseSensitive(shape, "member"), "locationName");
    if (m)
      return m;
  }
  const char *ln = rb_model_str(ref, "locationName");
  return ln ? ln : member;
}

/* A flattened list or map: every sibling element named like `first`. */
static cJSON *convert_flattened(const rb_proto_ctx *c, const rb_xml_node *first,
                                const cJSON *shape) {
  int is_map = strcmp(rb_proto_type(shape), "map") == 0;
  const cJSON *mref = cJSON_GetObjectItemCaseSensitive(shape, "member");
  const cJSON *mshape = rb_model_ref_shape(c->model, mref);
  cJSON *out = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
  for (const rb_xml_node *n = first; out && n; n = rb_xml_next_same(n)) {
    int rc =
        is_map ? map_entry(c, out, n, shape) : add_item(out, convert(c, n, mshape, mref));
    if (rc != 0) {
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

static int known_name(const rb_proto_ctx *c, const cJSON *members, const char *name) {
  const cJSON *ref;
  cJSON_ArrayForEach(ref, members) {
    if (strcmp(xml_name(c, ref, ref->string), name) == 0)
      return 1;
  }
  return 0;
}

/* Children the model does not name are kept (first occurrence of each name). */
static int add_unknown(const rb_proto_ctx *c, cJSON *obj, const rb_xml_node *n,
                       const cJSON *members) {
  for (const rb_xml_node *ch = n->children; ch; ch = ch->next) {
    if (known_name(c, members, ch->name) ||
        cJSON_GetObjectItemCaseSensitive(obj, ch->name))
      continue;
    cJSON *v = generic(ch);
    if (!v || !cJSON_AddItemToObject(obj, ch->name, v)) {
      cJSON_Delete(v);
      return -1;
    }
  }
  return 0;
}

static cJSON *convert_struct(const rb_proto_ctx *c, const rb_xml_node *n,
                             const cJSON *shape) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  cJSON *obj = cJSON_CreateObject();
  const cJSON *ref;
  cJSON_ArrayForEach(ref, members) {
    const rb_xml_node *ch = rb_xml_child(n, xml_name(c, ref, ref->string));
    if (!obj || !ch)
      continue;
    cJSON *v = convert(c, ch, rb_model_ref_shape(c->model, ref), ref);
    if (!v || !cJSON_AddItemToObject(obj, ref->string, v)) {
      cJSON_Delete(v);
      cJSON_Delete(obj);
      obj = NULL;
    }
  }
  if (obj && add_unknown(c, obj, n, members) != 0) {
    cJSON_Delete(obj);
    return NULL;
  }
  return obj;
}

static cJSON *convert(const rb_proto_ctx *c, const rb_xml_node *n, const cJSON *shape,
                      const cJSON *ref) {
  const char *type = rb_proto_type(shape);
  if (rb_model_flag(ref, "flattened") &&
      (strcmp(type, "list") == 0 || strcmp(type, "map") == 0))
    return convert_flattened(c, n, shape);
  if (strcmp(type, "structure") == 0)
    return convert_struct(c, n, shape);
  if (strcmp(type, "list") == 0)
    return convert_list(c, n, shape);
  if (strcmp(type, "map") == 0)
    return convert_map(c, n, shape);
  if (!shape)
    return generic(n);
  return convert_scalar(n, type);
}

/* The result object of a parsed document; NULL with *missing set when the query result
 * wrapper is absent. */
static cJSON *result_of(const rb_proto_ctx *c, const rb_xml_node *root, int *missing) {
  const cJSON *shape = rb_model_shape(c->model, c->op.output_shape);
  const rb_xml_node *start = root;
  *missing = 0;
  if (!shape)
    return cJSON_CreateObject();
  if (c->op.result_wrapper) {
    start = rb_xml_child(root, c->op.result_wrapper);
    if (!start) {
      *missing = 1;
      return NULL;
    }
  }
  cJSON *obj = convert_struct(c, start, shape);
  if (obj && c->meta->protocol == RB_PROTOCOL_EC2)
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "requestId");
  return obj;
}

static const char *request_id_of(const rb_proto_ctx *c, const rb_xml_node *root) {
  if (c->meta->protocol == RB_PROTOCOL_EC2)
    return rb_xml_child_text(root, "requestId");
  return rb_xml_child_text(rb_xml_child(root, "ResponseMetadata"), "RequestId");
}

int rb_proto_parse_xml(const rb_proto_ctx *c, int status, const rb_headers *h,
                       const char *body, size_t len, cJSON **out, rb_error *err) {
  rb_xml_node *root = NULL;
  rb_error xerr;
  int missing = 0;
  if (len == 0 && !c->op.output_shape) {
    *out = cJSON_CreateObject();
    if (*out && rb_proto_add_request_id(*out, rb_proto_header_request_id(h)) == 0)
      return 0;
    cJSON_Delete(*out);
    *out = NULL;
    return rb_error_set(err, "OutOfMemory", "cannot read %s %s response: out of memory",
                        c->service, c->op.name);
  }
  if (rb_xml_parse(body, len, NULL, &root, &xerr) != 0)
    return rb_proto_malformed(c, status, err, "%s", len ? xerr.message : "empty body");
  cJSON *result = result_of(c, root, &missing);
  const char *id = request_id_of(c, root);
  if (result &&
      rb_proto_add_request_id(result, id ? id : rb_proto_header_request_id(h)) != 0) {
    cJSON_Delete(result);
    result = NULL;
  }
  rb_xml_free(root);
  if (missing)
    return rb_proto_malformed(c, status, err, "no <%s> element", c->op.result_wrapper);
  if (!result)
    return rb_error_set(err, "OutOfMemory", "cannot read %s %s response: out of memory",
                        c->service, c->op.name);
  *out = result;
  return 0;
}
