/* l_core.h — the `runbook.core` Lua module: the client, seen from Lua.
 *
 * main.c configures it once (rb_lcore_configure) before any script runs; the client
 * itself is created on the first AWS call, so scripts that never call AWS need no
 * credentials. */
#ifndef RB_L_CORE_H
#define RB_L_CORE_H

#include "client.h"

#include <lua.h>

int luaopen_runbook_core(lua_State *L);
/* Copies cfg (strings included) into the Lua state's registry. */
void rb_lcore_configure(lua_State *L, const rb_client_config *cfg);
/* Creates the client now instead of at the first call, so a bad --replay file or retry
 * setting is reported before the script starts. */
int rb_lcore_start(lua_State *L, rb_error *err);
/* For the count hook (main.c): raises in L, at its current line, once L has run past the
 * deadline core.set_deadline gave it, and on every instruction after; else returns. */
void rb_lcore_check_deadline(lua_State *L);
/* For the count hook: 1 when an interrupt is left to Lua in L (a task registered with
 * core.catch_interrupt, or the main thread while one is), 0 when the hook raises. */
int rb_lcore_catches_interrupt(lua_State *L);
/* Calls fn with every secret of the credential sets the client resolved so far (none
 * before the first call): for redaction only. */
void rb_lcore_each_secret(lua_State *L, void (*fn)(void *ud, const char *secret),
                          void *ud);
/* The run's client, made at the first use (NULL with err set when it cannot be); raises
 * when rb_lcore_configure was not called. For l_fix.c. */
rb_client *rb_lcore_client(lua_State *L, rb_error *err);
/* Saves the recording (if any) and frees the client; safe to call twice. */
int rb_lcore_finish(lua_State *L, rb_error *err);

#endif
