/* l_fs.c — `runbook.fs`: the names of the regular files in a directory.
 *
 *   local names, err = require("runbook.fs").files("plugins/steps")
 *
 * Plain Lua cannot list a directory, and step discovery (`runbook list`, `--steps` over
 * every step found) must see every steps/NAME.lua of every plugin directory. Uses POSIX
 * opendir/readdir/stat, the sandboxed io.open to ask whether Lua may read the directory
 * (sandbox.c), and l_util.c for the error table. It only reads names and file types: it
 * never reads or writes a file, and never lists a directory the sandbox would not let
 * Lua read (code "NotAllowed"). A missing or unreadable directory is `nil, err` (code
 * "NotFound" or "CannotList"), never a raise; the open DIR lives in a userdata whose __gc
 * closes it, so a memory error while names are pushed leaks nothing. */
#include "l_fs.h"

#include "l_util.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIR_META "runbook.fs.dir"

static int dir_gc(lua_State *L) {
  DIR **d = luaL_checkudata(L, 1, DIR_META);
  if (*d) {
    closedir(*d);
    *d = NULL;
  }
  return 0;
}

static DIR **new_dir_box(lua_State *L) {
  DIR **d = lua_newuserdatauv(L, sizeof *d, 0);
  *d = NULL;
  if (luaL_newmetatable(L, DIR_META)) {
    lua_pushcfunction(L, dir_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return d;
}

/* Whether the sandbox lets Lua read `dir`: its io.open raises outside the read roots
 * (sandbox.c), so a plugin lists only what it could read. 1, or 0 with the message
 * pushed.
 */
static int readable(lua_State *L, const char *dir) {
  lua_getglobal(L, "io");
  lua_getfield(L, -1, "open");
  lua_remove(L, -2);
  lua_pushstring(L, dir);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK)
    return 0;
  lua_pop(L, 1); /* a handle on the directory, or nil: closed by the GC */
  return 1;
}

/* files(dir) -> { name, ... } (regular files, symlinks followed, in no particular
 * order) | nil, err */
static int fs_files(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  if (!readable(L, dir)) {
    rb_error err;
    rb_error_clear(&err);
    rb_error_set(&err, "NotAllowed", "%s",
                 lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
    return rb_lua_fail(L, &err);
  }
  DIR **d = new_dir_box(L);
  *d = opendir(dir);
  if (!*d) {
    int saved = errno;
    rb_error err;
    rb_error_clear(&err);
    rb_error_set(&err, saved == ENOENT ? "NotFound" : "CannotList",
                 "cannot list '%s': %s", dir, strerror(saved));
    return rb_lua_fail(L, &err);
  }
  lua_newtable(L);
  lua_Integer n = 0;
  struct dirent *e;
  while ((e = readdir(*d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    const char *path = lua_pushfstring(L, "%s/%s", dir, e->d_name);
    struct stat st;
    int regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    lua_pop(L, 1);
    if (regular) {
      lua_pushstring(L, e->d_name);
      lua_rawseti(L, -2, ++n);
    }
  }
  closedir(*d);
  *d = NULL;
  return 1;
}

int luaopen_runbook_fs(lua_State *L) {
  static const luaL_Reg funcs[] = {{"files", fs_files}, {NULL, NULL}};
  luaL_newlib(L, funcs);
  return 1;
}
