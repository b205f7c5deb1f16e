/* fuzz_json.c — fuzzes the Lua module runbook.json (l_json.c, l_json_encode.c): decode
 * on arbitrary text, then encode of whatever decode returned.
 *
 * Runs the module as scripts do, through a fresh lua_State per input and protected calls.
 * Checks the module's contract: decode returns a value or nil plus an InvalidJSON error
 * table, and never raises on bad data; whatever it returns encodes, and encoding is a
 * fixed point (decode(encode(v)) encodes to the same text, compact or pretty); the
 * Lua -> cJSON conversion the aws module uses accepts it too. The one known exception:
 * a number beyond the double range ("1e400") decodes to infinity, which encode refuses
 * ("NaN and infinity are not JSON"). Never writes anything. */
#include "fuzz_util.h"
#include "l_json.h"

#include <lauxlib.h>
#include <string.h>

static void check(int ok) {
  if (!ok)
    abort();
}

/* Calls json.<fn> on the value at `arg` (and an options table when `pretty`), leaving
 * its two results on the stack. The module table is at index 1. */
static void call(lua_State *L, const char *fn, int arg, int pretty) {
  arg = lua_absindex(L, arg);
  lua_getfield(L, 1, fn);
  lua_pushvalue(L, arg);
  if (pretty) {
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "pretty");
  }
  check(lua_pcall(L, pretty ? 2 : 1, 2, 0) == LUA_OK); /* bad data never raises */
}

static int is_error(lua_State *L, const char *code) {
  if (!lua_isnil(L, -2) || !lua_istable(L, -1))
    return 0;
  lua_getfield(L, -1, "code");
  int same = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), code) == 0;
  lua_pop(L, 1);
  return same;
}

/* The one thing decode gives that encode refuses: a number literal beyond the double
 * range ("1e400") decodes, as cJSON reads it, to infinity. */
static int refused_infinity(lua_State *L) {
  if (!lua_isnil(L, -2) || !lua_istable(L, -1))
    return 0;
  lua_getfield(L, -1, "message");
  int inf = lua_isstring(L, -1) && strstr(lua_tostring(L, -1), "NaN and infinity");
  lua_pop(L, 1);
  return inf;
}

/* text -> value -> text, checked to be a fixed point. */
static void round_trip(lua_State *L, int value) {
  call(L, "encode", value, 0);
  if (refused_infinity(L)) {
    lua_settop(L, value);
    return;
  }
  check(lua_type(L, -2) == LUA_TSTRING); /* anything else decode gives can be encoded */
  lua_pop(L, 1);
  int text = lua_gettop(L);
  call(L, "decode", text, 0);
  check(!lua_isnil(L, -2));
  lua_pop(L, 1);
  call(L, "encode", -1, 0);
  check(lua_type(L, -2) == LUA_TSTRING && lua_rawequal(L, -2, text));
  lua_pop(L, 3);
  call(L, "encode", value, 1); /* pretty output reads back as the same value */
  check(lua_type(L, -2) == LUA_TSTRING);
  lua_pop(L, 1);
  call(L, "decode", -1, 0);
  check(!lua_isnil(L, -2));
  lua_pop(L, 1);
  call(L, "encode", -1, 0);
  check(lua_rawequal(L, -2, text));
  lua_settop(L, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = luaL_newstate();
  if (!L)
    return 0;
  luaL_requiref(L, "runbook.json", luaopen_runbook_json, 0); /* index 1 */
  lua_pushlstring(L, (const char *)data, size);
  call(L, "decode", 2, 0);
  if (lua_isnil(L, -2)) {
    check(is_error(L, "InvalidJSON"));
  } else {
    lua_pop(L, 1);
    int value = lua_gettop(L);
    round_trip(L, value);
    rb_error err;
    memset(&err, 0, sizeof err);
    cJSON *tree = rb_lua_to_cjson(L, value, &err);
    check(tree != NULL || strstr(err.message, "NaN and infinity"));
    rb_lua_push_cjson(L, tree); /* and back again */
    cJSON_Delete(tree);
  }
  lua_close(L);
  return 0;
}
