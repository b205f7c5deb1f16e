/* protocol_shape.c — the shape helpers every wire format shares: a shape's type, an
 * object's members in sorted order, a member's timestamp format.
 *
 * Uses model.c and cJSON. Below every codec and beside protocol.c, so no codec needs to
 * call back into the entry points. Never allocates except the sorted array it returns. */
#include "protocol_internal.h"

#include <stdlib.h>
#include <string.h>

const char *rb_proto_type(const cJSON *shape) {
  const char *t = rb_model_str(shape, "type");
  return t ? t : "";
}

static int cmp_key(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

const cJSON **rb_proto_sorted_items(const cJSON *obj, size_t *n, int *oom) {
  *n = 0;
  *oom = 0;
  size_t count = 0;
  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    count += it->string && !cJSON_IsNull(it);
  if (count == 0)
    return NULL;
  const cJSON **items = malloc(count * sizeof *items);
  if (!items) {
    *oom = 1;
    return NULL;
  }
  for (const cJSON *it = obj->child; it; it = it->next)
    if (it->string && !cJSON_IsNull(it))
      items[(*n)++] = it;
  qsort(items, *n, sizeof *items, cmp_key);
  return items;
}

const char *rb_proto_ts_format(const cJSON *ref, const cJSON *shape,
                               const char *fallback) {
  const char *f = rb_model_str(ref, "timestampFormat");
  if (!f)
    f = rb_model_str(shape, "timestampFormat");
  return f ? f : fallback;
}
