/* l_json.c — the Lua module runbook.json (decode, encode, null, array, object) and the
 * cJSON -> Lua conversion shared with the other bindings (see l_json.h for the mapping).
 *
 * Uses cJSON to parse, lauxlib, buf.c, l_json_encode.c for the Lua -> JSON direction,
 * l_json_box.c for the objects both directions share and l_util.c for the error table.
 * Decoding checks UTF-8, control characters and nesting before cJSON parses, so errors
 * name a line and column.
 *
 * It must never raise for bad data (that is `nil, err`), only for misuse (luaL_check*)
 * and memory errors; and it never raises while holding malloc'ed memory: parsed trees and
 * output buffers live in a userdata "box" whose __gc frees them. */
#include "l_json.h"

#include "l_json_int.h"
#include "l_util.h"

#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cJSON -> Lua ---- */

static void push_number(lua_State *L, const cJSON *v) {
  if (v->valuestring) { /* exact digits of a big integer, see rb_lua_to_cjson */
    char *end;
    long long i = strtoll(v->valuestring, &end, 10);
    if (*v->valuestring && !*end) {
      lua_pushinteger(L, (lua_Integer)i);
      return;
    }
  }
  double d = v->valuedouble;
  if (d == floor(d) && fabs(d) <= (double)SAFE_INT)
    lua_pushinteger(L, (lua_Integer)d);
  else
    lua_pushnumber(L, d);
}

void rb_lua_push_cjson(lua_State *L, const cJSON *v) {
  luaL_checkstack(L, 4, "JSON nested too deeply");
  switch (v ? v->type & 0xFF : 0) {
    case cJSON_False:
    case cJSON_True:
      lua_pushboolean(L, (v->type & 0xFF) == cJSON_True);
      break;
    case cJSON_NULL:
      rb_lua_push_json_null(L);
      break;
    case cJSON_Number:
      push_number(L, v);
      break;
    case cJSON_String:
    case cJSON_Raw:
      lua_pushstring(L, v->valuestring ? v->valuestring : "");
      break;
    case cJSON_Array: {
      lua_createtable(L, cJSON_GetArraySize(v), 0);
      lua_Integer i = 1;
      for (const cJSON *c = v->child; c; c = c->next) {
        rb_lua_push_cjson(L, c);
        lua_rawseti(L, -2, i++);
      }
      ljson_push_marker(L, SHAPE_ARRAY);
      lua_setmetatable(L, -2);
      break;
    }
    case cJSON_Object:
      lua_createtable(L, 0, cJSON_GetArraySize(v));
      for (const cJSON *c = v->child; c; c = c->next) {
        lua_pushstring(L, c->string ? c->string : "");
        rb_lua_push_cjson(L, c);
        lua_rawset(L, -3);
      }
      break;
    default:
      lua_pushnil(L);
  }
}

/* ---- decode ---- */

static int decode_fail(const char *s, size_t len, size_t pos, rb_error *err,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int decode_fail(const char *s, size_t len, size_t pos, rb_error *err,
                       const char *fmt, ...) {
  int line = 1, col = 1;
  for (size_t i = 0; i < pos && i < len; i++) {
    if (s[i] == '\n')
      line++, col = 1;
    else if (((unsigned char)s[i] & 0xC0) != 0x80) /* count characters, not bytes */
      col++;
  }
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return rb_error_set(err, "InvalidJSON", "invalid JSON at line %d col %d: %s", line, col,
                      what);
}

/* What cJSON stopped at, in words. */
static int unexpected(const char *s, size_t len, size_t pos, rb_error *err) {
  if (pos >= len)
    return decode_fail(s, len, pos, err, "unexpected end of input");
  unsigned char c = (unsigned char)s[pos];
  if (c > 0x20 && c < 0x7F)
    return decode_fail(s, len, pos, err, "unexpected character '%c'", c);
  size_t n = ljson_utf8_seq((const unsigned char *)s + pos, len - pos);
  if (n > 1)
    return decode_fail(s, len, pos, err, "unexpected character '%.*s'", (int)n, s + pos);
  return decode_fail(s, len, pos, err, "unexpected byte 0x%02x", c);
}

/* What cJSON does not check or cannot represent: UTF-8, raw control characters in
 * strings, NUL (cJSON strings are C strings), and nesting beyond our limit. */
static int prescan(const char *s, size_t len, rb_error *err) {
  int depth = 0, in_string = 0;
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)s[i];
    size_t n = ljson_utf8_seq((const unsigned char *)s + i, len - i);
    if (!n)
      return decode_fail(s, len, i, err, "invalid UTF-8 byte 0x%02x", c);
    if (c == 0)
      return decode_fail(s, len, i, err, "unexpected NUL byte");
    if (in_string && c == '\\' && i + 5 < len && strncmp(s + i + 1, "u0000", 5) == 0)
      return decode_fail(s, len, i, err, "\\u0000 in strings is not supported");
    if (in_string && c == '\\' && i + 1 < len && (unsigned char)s[i + 1] >= 0x20) {
      i += 2;
      continue;
    }
    if (in_string && c < 0x20)
      return decode_fail(s, len, i, err, "control character 0x%02x in string", c);
    if (c == '"')
      in_string = !in_string;
    else if (!in_string && (c == '[' || c == '{') && ++depth > RB_JSON_MAX_DEPTH)
      return decode_fail(s, len, i, err, "nesting deeper than %d levels",
                         RB_JSON_MAX_DEPTH);
    else if (!in_string && (c == ']' || c == '}'))
      depth--;
    i += n;
  }
  return 0;
}

/* json.decode(text) -> value | nil, err */
static int json_decode(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  rb_error err;
  rb_error_clear(&err);
  json_box *box = ljson_box_push(L);
  if (prescan(s, len, &err) != 0)
    return rb_lua_fail(L, &err);
  const char *end = NULL;
  /* len + 1: the Lua string's terminating NUL is what cJSON checks for at the end */
  box->root = cJSON_ParseWithLengthOpts(s, len + 1, &end, 1);
  if (!box->root) {
    unexpected(s, len, end ? (size_t)(end - s) : len, &err);
    return rb_lua_fail(L, &err);
  }
  rb_lua_push_cjson(L, box->root);
  ljson_box_clear(box);
  return 1;
}

/* json.encode(value [, {pretty = false, sort_keys = true}]) -> text | nil, err */
static int json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  int pretty = 0, sort = 1;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "pretty");
    pretty = lua_toboolean(L, -1);
    if (lua_getfield(L, 2, "sort_keys") != LUA_TNIL)
      sort = lua_toboolean(L, -1);
  }
  lua_settop(L, 1);
  rb_error err;
  rb_error_clear(&err);
  json_box *box = ljson_box_push(L);
  if (ljson_build_tree(L, 1, box, sort, &err) != 0)
    return rb_lua_fail(L, &err);
  if (ljson_write(&box->out, box->root, pretty) != 0) {
    ljson_box_clear(box);
    rb_error_set(&err, "OutOfMemory", "cannot encode JSON: out of memory");
    return rb_lua_fail(L, &err);
  }
  lua_pushlstring(L, box->out.data ? box->out.data : "", box->out.len);
  ljson_box_clear(box);
  return 1;
}

int rb_lua_json_encode(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushcfunction(L, json_encode);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 2);
  if (lua_isstring(L, -2)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_remove(L, -2);
  return -1;
}

/* ---- json.array / json.object ---- */

static int mark(lua_State *L, int shape) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (lua_getmetatable(L, 1)) {
    int ours = 0;
    for (int s = SHAPE_ARRAY; s <= SHAPE_OBJECT && !ours; s++) {
      ljson_push_marker(L, s);
      ours = lua_rawequal(L, -1, -2);
      lua_pop(L, 1);
    }
    luaL_argcheck(L, ours, 1, "the table already has a metatable");
    lua_pop(L, 1);
  }
  ljson_push_marker(L, shape);
  lua_setmetatable(L, 1);
  return 1;
}

/* json.array([t]) -> t: encodes as a JSON array, even when empty */
static int json_array(lua_State *L) {
  return mark(L, SHAPE_ARRAY);
}

/* json.object([t]) -> t: encodes as a JSON object, even with keys 1..n */
static int json_object(lua_State *L) {
  return mark(L, SHAPE_OBJECT);
}

int luaopen_runbook_json(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"decode", json_decode},
      {"encode", json_encode},
      {"array", json_array},
      {"object", json_object},
      {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  rb_lua_push_json_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
