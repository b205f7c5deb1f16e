/* sandbox.h — what Lua code loaded from plugin and runbook files may do.
 *
 * rb_sandbox_install restricts the standard library every plugin, step and runbook sees
 * (no processes, no file writes, no C modules, no binary chunks, no debug functions that
 * reach past the sandbox, reads only under the given roots), after keeping the real
 * functions in a "core environment" that only the core's embedded Lua (core/lua/)
 * runs in. It also wraps print, io.write, file:write on stdout and stderr, and warn so
 * that the secret key and session token of every credential set in use are redacted from
 * anything Lua prints. See "Plugins and trust" in docs/architecture.md. */
#ifndef RB_SANDBOX_H
#define RB_SANDBOX_H

#include <lua.h>
#include <stddef.h>

/* Call once, after luaL_openlibs and before any code from a file runs. read_roots is the
 * stack index of a list of real paths: directories (everything below them is readable)
 * and files; the sandbox keeps that table. With restrict_lib 0 (--no-sandbox) the
 * library is left whole and only output redaction is installed. Raises a Lua error on
 * out of memory. */
void rb_sandbox_install(lua_State *L, int read_roots, int restrict_lib);

/* Replaces the _ENV (first upvalue) of the function on top of the stack with the core
 * environment, when there is one: for the core's embedded chunks only. */
void rb_sandbox_use_core_env(lua_State *L);

/* 1 when s[0..len) contains a secret of the redaction list (the environment's secret key
 * and session token, every credential set the client resolved): for refusing to store
 * it (the journal, l_fix.c). */
int rb_sandbox_has_secret(lua_State *L, const char *s, size_t len);

/* Pops the value on top of the stack and makes it the module `name` for the core
 * environment's require only: it is never put in package.preload or package.loaded, so
 * plugin code cannot require it (with --no-sandbox, debug.getregistry reaches it, as it
 * reaches everything). Call after rb_sandbox_install. */
void rb_sandbox_core_module(lua_State *L, const char *name);

/* Pushes s with every known secret replaced by "[redacted]". */
void rb_sandbox_push_redacted(lua_State *L, const char *s, size_t len);

#endif
