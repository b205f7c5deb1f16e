/* l_util.c — the error table every Lua binding returns on expected failure (see
 * l_util.h).
 *
 * Uses Lua's auxiliary library. The "runbook.error" metatable is made on first use, so
 * it exists whichever module a script loads first. It must never raise: it is called on
 * failure paths, often with a result already half-built on the stack. */
#include "l_util.h"

#include <lauxlib.h>

#define ERROR_META "runbook.error"

static int error_tostring(lua_State *L) {
  lua_getfield(L, 1, "code");
  lua_getfield(L, 1, "message");
  lua_pushfstring(L, "%s: %s", luaL_optstring(L, -2, "Error"), luaL_optstring(L, -1, ""));
  return 1;
}

static void set_meta(lua_State *L) {
  if (luaL_newmetatable(L, ERROR_META)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
}

void rb_lua_push_error(lua_State *L, const rb_error *e) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, e->code);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, e->message);
  lua_setfield(L, -2, "message");
  lua_pushinteger(L, e->status);
  lua_setfield(L, -2, "status");
  lua_pushstring(L, e->request_id);
  lua_setfield(L, -2, "request_id");
  lua_pushboolean(L, e->retryable);
  lua_setfield(L, -2, "retryable");
  lua_pushstring(L, e->kind[0] ? e->kind : "local");
  lua_setfield(L, -2, "kind");
  set_meta(L);
}

int rb_lua_fail(lua_State *L, const rb_error *e) {
  lua_pushnil(L);
  rb_lua_push_error(L, e);
  return 2;
}
