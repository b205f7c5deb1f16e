/* json_canon.c — canonical JSON text: object keys sorted at every level, no spaces (see
 * json_canon.h).
 *
 * Uses cJSON only. Two equal values always give the same text, whatever order their keys
 * were added in; it must never change a value (numbers and strings print as cJSON prints
 * them). */
#include "json_canon.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

static int compare_names(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static cJSON *sorted_copy(const cJSON *item) {
  if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
    return cJSON_Duplicate(item, 1);
  int n = cJSON_GetArraySize(item);
  const cJSON **kids = calloc(n ? (size_t)n : 1, sizeof *kids);
  cJSON *out = cJSON_IsObject(item) ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!kids || !out)
    goto fail;
  int i = 0;
  for (const cJSON *k = item->child; k; k = k->next)
    kids[i++] = k;
  if (cJSON_IsObject(item))
    qsort(kids, (size_t)n, sizeof *kids, compare_names);
  for (i = 0; i < n; i++) {
    cJSON *copy = sorted_copy(kids[i]);
    if (!copy)
      goto fail;
    if (cJSON_IsObject(item))
      cJSON_AddItemToObject(out, kids[i]->string, copy);
    else
      cJSON_AddItemToArray(out, copy);
  }
  free(kids);
  return out;
fail:
  free(kids);
  cJSON_Delete(out);
  return NULL;
}

char *rb_json_canonical(const cJSON *params) {
  if (!params)
    return rb_strdup("{}");
  cJSON *sorted = sorted_copy(params);
  char *s = sorted ? cJSON_PrintUnformatted(sorted) : NULL;
  cJSON_Delete(sorted);
  return s;
}
