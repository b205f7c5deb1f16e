/* header.h — an ordered list of HTTP header name/value pairs with owned strings.
 *
 * Used by the signer (input), the protocol layer (what to send), the transport (what was
 * received) and credential providers. Names keep the case they were added with; lookups
 * are case-insensitive. Values may repeat under one name (the signer joins them with
 * ','). */
#ifndef RB_HEADER_H
#define RB_HEADER_H

#include <stddef.h>

typedef struct rb_header {
  char *name;
  char *value;
} rb_header;

typedef struct rb_headers {
  rb_header *items;
  size_t count;
  size_t cap;
} rb_headers;

#define RB_HEADERS_INIT                                                                  \
  { NULL, 0, 0 }

/* Appends a copy of name and value; 0 on success, -1 on OOM (list unchanged). */
int rb_headers_add(rb_headers *h, const char *name, const char *value);
/* Replaces every header of that name with one (case-insensitive), or appends it. */
int rb_headers_set(rb_headers *h, const char *name, const char *value);
/* The first value under `name` (case-insensitive) or NULL. Owned by the list. */
const char *rb_headers_get(const rb_headers *h, const char *name);
/* Removes every header of that name. */
void rb_headers_remove(rb_headers *h, const char *name);
/* Frees every string (values wiped first: they may hold a session token) and the array.
 */
void rb_headers_free(rb_headers *h);

#endif
