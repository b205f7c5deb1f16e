/* json_canon.h — one text per JSON value, for keys: call sharing, recordings, replay.
 *
 * Keys are sorted at every level and nothing is indented, so equal parameters give equal
 * text whatever order a script wrote them in. */
#ifndef RB_JSON_CANON_H
#define RB_JSON_CANON_H

#include <cjson/cJSON.h>

/* The canonical text of `v` ("{}" for NULL), malloc'd (caller frees), or NULL when memory
 * runs out. */
char *rb_json_canonical(const cJSON *v);

#endif
