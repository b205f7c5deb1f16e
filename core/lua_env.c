/* lua_env.c — builds the Lua state scripts run in (see lua_env.h).
 *
 * Uses Lua's auxiliary library and the embedded module table. It sets no globals beyond
 * the conveniences documented in the README (aws, json, runbook) and never loads code
 * from the current directory unless the script lives there. */
#include "lua_env.h"

#include "buf.h"
#include "embedded.h"
#include "l_json.h"
#include "l_core.h"
#include "l_report.h"

#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

static int load_embedded(lua_State *L, const struct rb_embedded_file *f) {
  char chunkname[96];
  snprintf(chunkname, sizeof chunkname, "@core/lua/%s.lua", f->name);
  return luaL_loadbufferx(L, (const char *)f->data, f->size, chunkname, "t");
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

static void set_package_path(lua_State *L, const rb_lua_env_options *o) {
  rb_buf path = RB_BUF_INIT;
  add_dir(&path, o->script_dir);
  for (const char *const *d = o->plugin_dirs; d && *d; d++)
    add_dir(&path, *d);
  if (o->data_dir) {
    rb_buf plugins = RB_BUF_INIT;
    rb_buf_printf(&plugins, "%s/plugins", o->data_dir);
    add_dir(&path, plugins.data);
    rb_buf_free(&plugins);
  }
  lua_getglobal(L, "package");
  lua_pushstring(L, path.data ? path.data : "");
  lua_getfield(L, -2, "path");
  lua_concat(L, 2);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  rb_buf_free(&path);
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
  preload(L, "runbook", NULL, "runbook");
  preload(L, "runbook.aws", NULL, "aws");
  preload(L, "runbook.proxy_response", NULL, "proxy_response");
  set_package_path(L, o);
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
