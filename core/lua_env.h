/* lua_env.h — the Lua state every runbook script runs in.
 *
 * Standard libraries, the core's C modules (runbook.core, runbook.json), its embedded Lua
 * modules (runbook, runbook.aws), and package.path pointing at user plugin directories
 * first, then the built-in plugins/ — so a team's step overrides the built-in one. */
#ifndef RB_LUA_ENV_H
#define RB_LUA_ENV_H

#include <lua.h>

typedef struct rb_lua_env_options {
  const char *data_dir;   /* holds plugins/ and runbooks/, or NULL */
  const char *script_dir; /* the running script's folder, searched first, or NULL */
  const char *const *plugin_dirs; /* NULL-terminated; searched before the built-ins */
} rb_lua_env_options;

/* A new state, or NULL when memory runs out. */
lua_State *rb_lua_env_new(const rb_lua_env_options *opts);
/* Loads an embedded core script ("call") as a function on the stack; LUA_OK or an error.
 */
int rb_lua_env_load_embedded(lua_State *L, const char *name);

#endif
