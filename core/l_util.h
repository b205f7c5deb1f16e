/* l_util.h — what every Lua binding shares: the one shape of an expected failure.
 *
 * A binding that fails in an expected way (a network or AWS error, a bad JSON text, an
 * unknown operation) returns nil and an error table {code=, message=, status=,
 * request_id=, retryable=, kind=} whose metatable is "runbook.error" (tostring gives
 * "Code: message"). Misuse still raises through luaL_check*. */
#ifndef RB_L_UTIL_H
#define RB_L_UTIL_H

#include "error.h"

#include <lua.h>

/* Pushes the error table of `e` (kind "local" when e->kind is empty). */
void rb_lua_push_error(lua_State *L, const rb_error *e);

/* Pushes nil and the error table; returns 2, for `return rb_lua_fail(L, &err);`. */
int rb_lua_fail(lua_State *L, const rb_error *e);

#endif
