/* lua_env.c — builds the Lua state scripts run in (see lua_env.h).
 *
 * Uses Lua's auxiliary library, the embedded module table and sandbox.c. It sets no
 * globals beyond the conveniences documented in the README (aws, json, runbook), never
 * loads code from a directory discovery did not hand it (package.path is those
 * directories and the built-ins only), and never runs code from a file before the
 * sandbox is installed. */
#include "lua_env.h"

#include "buf.h"
#include "embedded.h"
#include "l_json.h"
#include "l_core.h"
#include "l_fix.h"
#include "l_fs.h"
#include "l_report.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

static int load_embedded(lua_State *L, const struct rb_embedded_file *f) {
  char chunkname[96];
  snprintf(chunkname, sizeof chunkname, "@core/lua/%s.lua", f->name);
  int rc = luaL_loadbufferx(L, (const char *)f->data, f->size, chunkname, "t");
  if (rc == LUA_OK)
    rb_sandbox_use_core_env(L); /* the core's own code keeps the whole library */
  return rc;
}

int rb_lua_env_load_embedded(lua_State *L, const char *name) {
  const struct rb_embedded_file *f = rb_embedded_find(rb_embedded_lua, name);
  if (!f) {
    lua_pushfstring(L, "no embedded script '%s'", name);
    return LUA_ERRFILE;
  }
  return load_embedded(L, f);
}

/* package.preload loader for an embedded module: upvalue 1 is the embedded file's name.
 */
static int preload_embedded(lua_State *L) {
  const char *name = lua_tostring(L, lua_upvalueindex(1));
  if (rb_lua_env_load_embedded(L, name) != LUA_OK)
    return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

static void preload(lua_State *L, const char *module, lua_CFunction open,
                    const char *file) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  if (open) {
    lua_pushcfunction(L, open);
  } else {
    lua_pushstring(L, file);
    lua_pushcclosure(L, preload_embedded, 1);
  }
  lua_setfield(L, -2, module);
  lua_pop(L, 1);
}

static void add_dir(rb_buf *path, const char *dir) {
  if (dir && *dir)
    rb_buf_printf(path, "%s/?.lua;%s/?/init.lua;", dir, dir);
}

/* Appends {path =, origin =} to the list on top of the stack. */
static void add_discovered(lua_State *L, const char *dir, const char *origin) {
  lua_createtable(L, 0, 2);
  lua_pushstring(L, dir);
  lua_setfield(L, -2, "path");
  lua_pushstring(L, origin);
  lua_setfield(L, -2, "origin");
  lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
}

/* package.path: the discovered directories, then the built-ins, and nothing else (Lua's
 * default path holds ./?.lua). Also package.loaded["runbook.discovery"]. */
static void set_package_path(lua_State *L, const rb_lua_env_options *o) {
  rb_buf path = RB_BUF_INIT, plugins = RB_BUF_INIT;
  lua_createtable(L, 0, 1);
  lua_newtable(L);
  for (int i = 0; o->plugin_dirs && o->plugin_dirs[i]; i++) {
    add_dir(&path, o->plugin_dirs[i]);
    add_discovered(L, o->plugin_dirs[i],
                   o->plugin_origins && o->plugin_origins[i] ? o->plugin_origins[i]
                                                             : "--plugins");
  }
  if (o->data_dir && rb_buf_printf(&plugins, "%s/plugins", o->data_dir) == 0) {
    add_dir(&path, plugins.data);
    add_discovered(L, plugins.data, "builtin");
  }
  lua_setfield(L, -2, "dirs");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_insert(L, -2);
  lua_setfield(L, -2, "runbook.discovery");
  lua_pop(L, 1);
  if (path.len && path.data[path.len - 1] == ';')
    path.data[--path.len] = '\0';
  lua_getglobal(L, "package");
  lua_pushstring(L, path.data ? path.data : "");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  rb_buf_free(&path);
  rb_buf_free(&plugins);
}

/* The real paths plugins may read: the built-ins' directory, every plugin directory and
 * every path named on the command line. */
static void install_sandbox(lua_State *L, const rb_lua_env_options *o) {
  char real[PATH_MAX];
  lua_newtable(L);
  int roots = lua_gettop(L);
  if (o->data_dir && realpath(o->data_dir, real)) {
    lua_pushstring(L, real);
    lua_rawseti(L, roots, (lua_Integer)luaL_len(L, roots) + 1);
  }
  const char *const *lists[] = {o->plugin_dirs, o->read_paths};
  for (size_t l = 0; l < 2; l++)
    for (const char *const *p = lists[l]; p && *p; p++)
      if (realpath(*p, real)) {
        lua_pushstring(L, real);
        lua_rawseti(L, roots, (lua_Integer)luaL_len(L, roots) + 1);
      }
  rb_sandbox_install(L, roots, !o->no_sandbox);
  lua_pop(L, 1);
}

static void set_global_module(lua_State *L, const char *global, const char *module) {
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  lua_call(L, 1, 1);
  lua_setglobal(L, global);
}

static int env_setup(lua_State *L) {
  const rb_lua_env_options *o = lua_touserdata(L, 1);
  luaL_openlibs(L);
  preload(L, "runbook.core", luaopen_runbook_core, NULL);
  preload(L, "runbook.json", luaopen_runbook_json, NULL);
  preload(L, "runbook.report", luaopen_runbook_report, NULL);
  preload(L, "runbook.fs", luaopen_runbook_fs, NULL);
  preload(L, "runbook", NULL, "runbook");
  preload(L, "runbook.aws", NULL, "aws");
  preload(L, "runbook.proxy_response", NULL, "proxy_response");
  preload(L, "runbook.remedy", NULL, "remedy");   /* the fix path: docs/remediation.md */
  preload(L, "runbook.journal", NULL, "journal"); /* reads the journal back */
  set_package_path(L, o);
  install_sandbox(L, o);
  lua_pushcfunction(L, luaopen_runbook_fix_scope); /* core Lua only: see l_fix.h */
  lua_call(L, 0, 1);
  rb_sandbox_core_module(L, "runbook.fix_scope");
  set_global_module(L, "runbook", "runbook");
  set_global_module(L, "aws", "runbook.aws");
  set_global_module(L, "json", "runbook.json");
  return 0;
}

lua_State *rb_lua_env_new(const rb_lua_env_options *opts) {
  lua_State *L = luaL_newstate();
  if (!L)
    return NULL;
  lua_pushcfunction(L, env_setup);
  lua_pushlightuserdata(L, (void *)opts);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    lua_close(L);
    return NULL;
  }
  return L;
}
