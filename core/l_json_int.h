/* l_json_int.h — what l_json.c, l_json_encode.c and l_json_box.c share; private to them.
 */
#ifndef RB_L_JSON_INT_H
#define RB_L_JSON_INT_H

#include <cjson/cJSON.h>
#include <lua.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

#define SAFE_INT 9007199254740992LL /* 2^53: larger integers are not exact as doubles */

enum { SHAPE_NONE, SHAPE_ARRAY, SHAPE_OBJECT };

/* A userdata holding what a Lua error must not leak; __gc frees both. */
typedef struct json_box {
  cJSON *root;
  rb_buf out;
} json_box;

json_box *ljson_box_push(lua_State *L);
void ljson_box_clear(json_box *b);

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), 0 when invalid. */
size_t ljson_utf8_seq(const unsigned char *s, size_t n);

/* The shared metatable marking a table as a JSON array or object (pushed). */
void ljson_push_marker(lua_State *L, int shape);
/* The shape __jsontype in the table's metatable asks for: SHAPE_*. */
int ljson_marked_shape(lua_State *L, int idx);

/* Builds box->root from the value at idx (sorted keys unless sort is 0). Returns 0, or -1
 * with err set and box->root NULL. The stack is left as it was. */
int ljson_build_tree(lua_State *L, int idx, json_box *box, int sort, rb_error *err);
/* Appends the JSON text of v (compact, or pretty with 2-space indents); -1 on OOM. */
int ljson_write(rb_buf *b, const cJSON *v, int pretty);

#endif
