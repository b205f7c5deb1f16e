/* model.c — lazy, cached access to the embedded AWS service models (see model.h).
 *
 * Uses cJSON to parse a model once per process and keeps sorted index arrays over its
 * operations and shapes for binary search. It never reads model files from disk (they are
 * compiled in) and never modifies a model after loading it. */
#include "model.h"

#include "embedded.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rb_model {
  rb_model_meta meta;
  cJSON *root;
  const cJSON *operations;
  const cJSON **ops; /* sorted by name */
  size_t op_count;
  const cJSON **shapes; /* sorted by name */
  size_t shape_count;
};

static rb_model **cache;
static size_t cache_slots;

static const struct {
  const char *alias, *name;
} service_aliases[] = {{"cloudwatch", "monitoring"}};

static const struct {
  const char *name;
  rb_protocol_kind kind;
} protocols[] = {{"rest-json", RB_PROTOCOL_REST_JSON},
                 {"json", RB_PROTOCOL_JSON},
                 {"query", RB_PROTOCOL_QUERY},
                 {"ec2", RB_PROTOCOL_EC2}};

const char *rb_model_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

int rb_model_flag(const cJSON *obj, const char *key) {
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static size_t embedded_count(void) {
  size_t n = 0;
  while (rb_embedded_models[n].name)
    n++;
  return n;
}

const char *rb_model_service_name(size_t i) {
  return i < embedded_count() ? rb_embedded_models[i].name : NULL;
}

static int cmp_item(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

/* An index array over the members of a JSON object, sorted by key. */
static const cJSON **index_object(const cJSON *obj, size_t *count) {
  size_t n = (size_t)cJSON_GetArraySize(obj);
  const cJSON **items = calloc(n ? n : 1, sizeof *items);
  if (!items)
    return NULL;
  size_t i = 0;
  for (const cJSON *it = obj ? obj->child : NULL; it && i < n; it = it->next)
    items[i++] = it;
  qsort(items, i, sizeof *items, cmp_item);
  *count = i;
  return items;
}

static const cJSON *index_find(const cJSON *const *items, size_t n, const char *name) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(items[mid]->string, name);
    if (c == 0)
      return items[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static void model_free(rb_model *m) {
  if (!m)
    return;
  cJSON_Delete(m->root);
  free(m->ops);
  free(m->shapes);
  free(m);
}

static void fill_meta(rb_model *m, const cJSON *meta, const char *service) {
  m->meta.service = service;
  m->meta.protocol_name = rb_model_str(meta, "protocol");
  for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
    if (m->meta.protocol_name && strcmp(protocols[i].name, m->meta.protocol_name) == 0)
      m->meta.protocol = protocols[i].kind;
  m->meta.api_version = rb_model_str(meta, "apiVersion");
  m->meta.endpoint_prefix = rb_model_str(meta, "endpointPrefix");
  m->meta.signing_name = rb_model_str(meta, "signingName");
  m->meta.service_id = rb_model_str(meta, "serviceId");
  m->meta.target_prefix = rb_model_str(meta, "targetPrefix");
  m->meta.json_version = rb_model_str(meta, "jsonVersion");
  m->meta.global_endpoint = rb_model_str(meta, "globalEndpoint");
}

static rb_model *model_parse(size_t slot, rb_error *err) {
  const struct rb_embedded_file *f = &rb_embedded_models[slot];
  rb_model *m = calloc(1, sizeof *m);
  if (!m)
    goto nomem;
  m->root = cJSON_ParseWithLength((const char *)f->data, f->size);
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(m->root, "metadata");
  m->operations = cJSON_GetObjectItemCaseSensitive(m->root, "operations");
  const cJSON *shapes = cJSON_GetObjectItemCaseSensitive(m->root, "shapes");
  if (!cJSON_IsObject(meta) || !cJSON_IsObject(m->operations) ||
      !cJSON_IsObject(shapes)) {
    model_free(m);
    rb_error_set(err, "ModelError",
                 "cannot load the model of '%s': invalid embedded data", f->name);
    return NULL;
  }
  fill_meta(m, meta, f->name);
  m->ops = index_object(m->operations, &m->op_count);
  m->shapes = index_object(shapes, &m->shape_count);
  if (!m->ops || !m->shapes)
    goto nomem;
  return m;
nomem:
  model_free(m);
  rb_error_set(err, "OutOfMemory", "cannot load the model of '%s': out of memory",
               f->name);
  return NULL;
}

static const char *canonical_service(const char *service) {
  for (size_t i = 0; i < sizeof service_aliases / sizeof service_aliases[0]; i++)
    if (strcmp(service, service_aliases[i].alias) == 0)
      return service_aliases[i].name;
  return service;
}

static int unknown_service(const char *service, rb_error *err) {
  cJSON *names = cJSON_CreateArray();
  for (size_t i = 0; names && rb_embedded_models[i].name; i++)
    cJSON_AddItemToArray(names, cJSON_CreateStringReference(rb_embedded_models[i].name));
  const char *hint = names ? rb_model_suggest(service, names) : NULL;
  if (hint)
    rb_error_set(err, "UnknownService", "unknown service '%s' (did you mean %s?)",
                 service, hint);
  else
    rb_error_set(err, "UnknownService", "unknown service '%s'", service);
  cJSON_Delete(names);
  return -1;
}

const rb_model *rb_model_load(const char *service, rb_error *err) {
  if (!service) {
    rb_error_set(err, "UnknownService", "no service named");
    return NULL;
  }
  size_t n = embedded_count();
  if (!cache) {
    cache = calloc(n ? n : 1, sizeof *cache);
    if (!cache) {
      rb_error_set(err, "OutOfMemory", "cannot load the model of '%s': out of memory",
                   service);
      return NULL;
    }
    cache_slots = n;
  }
  const char *name = canonical_service(service);
  for (size_t i = 0; i < cache_slots; i++) {
    if (strcmp(rb_embedded_models[i].name, name) != 0)
      continue;
    if (!cache[i])
      cache[i] = model_parse(i, err);
    return cache[i];
  }
  unknown_service(service, err);
  return NULL;
}

const rb_model_meta *rb_model_metadata(const rb_model *m) {
  return &m->meta;
}

static void fill_paginator(rb_paginator *p, const cJSON *raw) {
  const char **fields[] = {&p->input_token, &p->output_token, &p->limit_key,
                           &p->result_key, &p->more_results};
  const char *keys[] = {"input_token", "output_token", "limit_key", "result_key",
                        "more_results"};
  p->raw = raw;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(raw, keys[i]);
    if (cJSON_IsArray(v))
      v = cJSON_GetArrayItem(v, 0);
    *fields[i] = cJSON_IsString(v) ? v->valuestring : NULL;
  }
}

int rb_model_operation(const rb_model *m, const char *operation, rb_operation *op,
                       rb_error *err) {
  memset(op, 0, sizeof *op);
  const cJSON *o = operation ? index_find(m->ops, m->op_count, operation) : NULL;
  if (!o) {
    const char *hint = operation ? rb_model_suggest(operation, m->operations) : NULL;
    if (hint)
      return rb_error_set(err, "UnknownOperation",
                          "unknown operation '%s' for service '%s' (did you mean %s?)",
                          operation, m->meta.service, hint);
    return rb_error_set(err, "UnknownOperation",
                        "unknown operation '%s' for service '%s'",
                        operation ? operation : "", m->meta.service);
  }
  op->name = o->string;
  op->method = rb_model_str(o, "method");
  op->uri = rb_model_str(o, "uri");
  op->input_shape = rb_model_str(o, "input");
  op->output_shape = rb_model_str(o, "output");
  op->result_wrapper = rb_model_str(o, "resultWrapper");
  op->write = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "write"));
  const cJSON *pag = cJSON_GetObjectItemCaseSensitive(o, "paginator");
  if (cJSON_IsObject(pag)) {
    op->has_paginator = 1;
    fill_paginator(&op->paginator, pag);
  }
  return 0;
}

int rb_model_find(const char *service, const char *operation, const rb_model **model,
                  rb_operation *op, rb_error *err) {
  const rb_model *m = rb_model_load(service, err);
  if (model)
    *model = m;
  if (!m)
    return -1;
  return rb_model_operation(m, operation, op, err);
}

int rb_model_is_write(const char *service, const char *operation, rb_error *err) {
  rb_operation op;
  if (rb_model_find(service, operation, NULL, &op, err) != 0)
    return -1;
  return op.write;
}

const cJSON *rb_model_shape(const rb_model *m, const char *name) {
  return name ? index_find(m->shapes, m->shape_count, name) : NULL;
}

const cJSON *rb_model_ref_shape(const rb_model *m, const cJSON *ref) {
  return rb_model_shape(m, rb_model_str(ref, "shape"));
}

size_t rb_model_operation_count(const rb_model *m) {
  return m->op_count;
}

const char *rb_model_operation_name(const rb_model *m, size_t i) {
  return i < m->op_count ? m->ops[i]->string : NULL;
}

void rb_model_free_all(void) {
  for (size_t i = 0; i < cache_slots; i++)
    model_free(cache[i]);
  free(cache);
  cache = NULL;
  cache_slots = 0;
}

/* Case-insensitive edit distance; words longer than 127 bytes count as far apart. */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 127 || lb > 127)
    return (size_t)-1;
  size_t row[128];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      size_t best = diag + cost;
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* Lower is closer: a case-insensitive match first, then names that start with the word
 * (at least 4 letters; shortest first), then small edit distances for the word's length.
 */
static size_t closeness(const char *word, const char *name) {
  size_t lw = strlen(word), ln = strlen(name);
  if (lw == ln && strcasecmp(word, name) == 0)
    return 0;
  if (lw >= 4 && ln > lw && strncasecmp(word, name, lw) == 0)
    return 1 + ln - lw;
  size_t d = edit_distance(word, name);
  size_t limit = lw / 3 > 1 ? lw / 3 : 1;
  return d <= limit ? 1000 + d : (size_t)-1;
}

const char *rb_model_suggest(const char *word, const cJSON *names) {
  const char *best = NULL;
  size_t best_score = (size_t)-1;
  for (const cJSON *it = names ? names->child : NULL; it; it = it->next) {
    const char *name = cJSON_IsObject(names) ? it->string : cJSON_GetStringValue(it);
    if (!name)
      continue;
    size_t s = closeness(word, name);
    if (s < best_score) {
      best_score = s;
      best = name;
    }
  }
  return best;
}
