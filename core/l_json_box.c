/* l_json_box.c — the toolbox both JSON directions share (l_json.c decodes,
 * l_json_encode.c encodes): UTF-8 checking, the json.null sentinel, the array/object
 * shape markers, and the box: a userdata that holds a cJSON tree and an output buffer so
 * a Lua error never leaks them.
 *
 * Uses lauxlib, cJSON and buf.c; below both directions, so neither calls the other for
 * these. It must never raise except on memory errors. */
#include "l_json.h"

#include "l_json_int.h"

#include <lauxlib.h>
#include <string.h>

#define NULL_KEY "runbook.json.null"
#define ARRAY_MT "runbook.json.array"
#define OBJECT_MT "runbook.json.object"
#define BOX_MT "runbook.json.box"

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when invalid: overlong
 * forms, surrogates and code points above U+10FFFF are rejected. */
size_t ljson_utf8_seq(const unsigned char *s, size_t n) {
  unsigned c = s[0], cp, min;
  size_t len;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* ---- shared Lua objects: null, shape markers, the box ---- */

static int null_tostring(lua_State *L) {
  lua_pushliteral(L, "null");
  return 1;
}

static int null_newindex(lua_State *L) {
  return luaL_error(L, "json.null is read-only");
}

void rb_lua_push_json_null(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, NULL_KEY) != LUA_TNIL)
    return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, null_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, null_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "json.null");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2,
               "__metatable"); /* getmetatable(json.null) is false; cannot be reset */
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, NULL_KEY);
}

int rb_lua_is_json_null(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE)
    return 0;
  idx = lua_absindex(L, idx);
  rb_lua_push_json_null(L);
  int same = lua_rawequal(L, idx, -1);
  lua_pop(L, 1);
  return same;
}

void ljson_push_marker(lua_State *L, int shape) {
  const char *name = shape == SHAPE_ARRAY ? ARRAY_MT : OBJECT_MT;
  if (luaL_newmetatable(L, name)) {
    lua_pushstring(L, shape == SHAPE_ARRAY ? "array" : "object");
    lua_setfield(L, -2, "__jsontype");
  }
}

/* The shape a table's metatable asks for through __jsontype. */
int ljson_marked_shape(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx))
    return SHAPE_NONE;
  lua_pushliteral(L, "__jsontype");
  lua_rawget(L, -2);
  const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  int shape = strcmp(s, "array") == 0    ? SHAPE_ARRAY
              : strcmp(s, "object") == 0 ? SHAPE_OBJECT
                                         : SHAPE_NONE;
  lua_pop(L, 2);
  return shape;
}

void ljson_box_clear(json_box *b) {
  cJSON_Delete(b->root);
  b->root = NULL;
  rb_buf_free(&b->out);
}

static int box_gc(lua_State *L) {
  ljson_box_clear(luaL_checkudata(L, 1, BOX_MT));
  return 0;
}

json_box *ljson_box_push(lua_State *L) {
  json_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->root = NULL;
  b->out = (rb_buf)RB_BUF_INIT;
  if (luaL_newmetatable(L, BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}
