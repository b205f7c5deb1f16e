/* lua_env.h — the Lua state every runbook script runs in.
 *
 * Standard libraries, the core's C modules (runbook.core, runbook.json), its embedded Lua
 * modules (runbook, runbook.aws), and package.path pointing at user plugin directories
 * first, then the built-in plugins/ — so a team's step overrides the built-in one — and
 * nothing else (not Lua's default path, which holds the current directory). */
#ifndef RB_LUA_ENV_H
#define RB_LUA_ENV_H

#include <lua.h>

typedef struct rb_lua_env_options {
  const char *data_dir; /* holds plugins/ and runbooks/, or NULL */
  /* NULL-terminated, in discovery order (discovery.h), searched before the built-ins;
   * every one is trusted, so readable by plugins. */
  const char *const *plugin_dirs;
  /* parallel to plugin_dirs: "--plugins", "RUNBOOK_PATH", "script", ".runbook", "config";
   * or NULL */
  const char *const *plugin_origins;
  /* NULL-terminated files and directories named on the command line: readable too. */
  const char *const *read_paths;
  int no_sandbox; /* --no-sandbox: the whole standard library (output still redacted) */
} rb_lua_env_options;

/* A new state, or NULL when memory runs out. Code loaded from files runs sandboxed
 * (sandbox.h); the embedded core scripts keep the whole library. `require
 * "runbook.discovery"` gives { dirs = { {path =, origin =}, ... } } in search order, the
 * built-ins last (origin "builtin"). */
lua_State *rb_lua_env_new(const rb_lua_env_options *opts);
/* Loads an embedded core script ("call") as a function on the stack; LUA_OK or an error.
 */
int rb_lua_env_load_embedded(lua_State *L, const char *name);

#endif
