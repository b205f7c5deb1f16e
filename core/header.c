/* header.c — ordered HTTP header list (see header.h). Uses libc only; values are wiped on
 * free because X-Amz-Security-Token and Authorization travel through here. */
#include "header.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rb_headers_add(rb_headers *h, const char *name, const char *value) {
  if (h->count == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 8;
    rb_header *items = realloc(h->items, cap * sizeof *items);
    if (!items)
      return -1;
    h->items = items;
    h->cap = cap;
  }
  char *n = rb_strdup(name), *v = rb_strdup(value ? value : "");
  if (!n || !v) {
    free(n);
    free(v);
    return -1;
  }
  h->items[h->count].name = n;
  h->items[h->count].value = v;
  h->count++;
  return 0;
}

int rb_headers_set(rb_headers *h, const char *name, const char *value) {
  rb_headers_remove(h, name);
  return rb_headers_add(h, name, value);
}

const char *rb_headers_get(const rb_headers *h, const char *name) {
  for (size_t i = 0; i < h->count; i++)
    if (strcasecmp(h->items[i].name, name) == 0)
      return h->items[i].value;
  return NULL;
}

void rb_headers_remove(rb_headers *h, const char *name) {
  size_t out = 0;
  for (size_t i = 0; i < h->count; i++) {
    if (strcasecmp(h->items[i].name, name) == 0) {
      free(h->items[i].name);
      rb_free_secret(h->items[i].value);
      continue;
    }
    h->items[out++] = h->items[i];
  }
  h->count = out;
}

void rb_headers_free(rb_headers *h) {
  for (size_t i = 0; i < h->count; i++) {
    free(h->items[i].name);
    rb_free_secret(h->items[i].value);
  }
  free(h->items);
  h->items = NULL;
  h->count = h->cap = 0;
}
