/* l_report.c — `runbook.report`: what the Lua report renderer cannot know by itself.
 *
 *   report.isatty(fd)               -> boolean
 *   report.use_color(refused)       -> boolean: stdout a TTY, NO_COLOR unset, TERM not
 *                                      dumb, and not refused (--no-color)
 *   report.sparkline(values, width) -> line, lo, hi | nil when no value is a number
 *   report.version                  -> "0.1.0"
 *   report.write_file(path, text)   -> true | nil, "cannot write PATH: reason"
 *
 * write_file is how `--output FILE` reaches the disk: plugins get no file writes in the
 * sandbox (sandbox.c), so the core offers exactly one, atomic, operation instead of a
 * general file API: rb_replace_file (file_io.c) writes a temporary file beside PATH,
 * fsyncs it and renames it over PATH, so a reader sees the old file or the whole new one,
 * never a part, and on any failure PATH is left as it was.
 * Uses report.c for the decisions and glyphs, file_io.c for the write. Raises only for
 * misuse (luaL_check*); the value buffers live in Lua userdata, so a memory error leaks
 * nothing. */
#include "l_report.h"

#include "file_io.h"

#include "report.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int report_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

static int report_use_color(lua_State *L) {
  int refused = lua_toboolean(L, 1);
  lua_pushboolean(
      L, rb_report_use_color(isatty(1), getenv("NO_COLOR"), getenv("TERM"), refused));
  return 1;
}

/* Values: a sequence of numbers; anything else (json.null, false) is a gap. Every Lua
 * allocation happens before or after the malloc'ed rb_buf lives, so nothing leaks on a
 * memory error. */
static int report_sparkline(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer width = luaL_optinteger(L, 2, 60);
  luaL_argcheck(L, width > 0 && width <= 4096, 2, "width must be 1..4096");
  size_t n = (size_t)luaL_len(L, 1);
  size_t glyphs = n < (size_t)width ? n : (size_t)width;
  if (n == 0) {
    lua_pushnil(L);
    return 1;
  }
  double *values = lua_newuserdatauv(L, n * sizeof *values, 0);
  unsigned char *present = lua_newuserdatauv(L, n, 0);
  char *line = lua_newuserdatauv(L, glyphs * 3, 0); /* a glyph is at most 3 bytes */
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, 1, (lua_Integer)i + 1);
    present[i] = (unsigned char)lua_isnumber(L, -1);
    values[i] = present[i] ? lua_tonumber(L, -1) : 0;
    lua_pop(L, 1);
  }
  rb_buf out = RB_BUF_INIT;
  double lo, hi;
  int rc = rb_report_sparkline(values, present, n, glyphs, &out, &lo, &hi);
  size_t len = rc > 0 && out.len <= glyphs * 3 ? out.len : 0;
  if (len)
    memcpy(line, out.data, len);
  rb_buf_free(&out);
  if (rc < 0)
    return luaL_error(L, "out of memory");
  if (len == 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, line, len);
  lua_pushnumber(L, lo);
  lua_pushnumber(L, hi);
  return 3;
}

/* write_file(path, text | {text, ...}) -> true | nil, "cannot write PATH: reason": the
 * parts are written in order into the temporary file, never joined in memory. */
static int report_write_file(lua_State *L) {
  size_t plen;
  const char *path = luaL_checklstring(L, 1, &plen);
  luaL_argcheck(L, plen > 0 && strlen(path) == plen, 1, "a file path");
  size_t n = 1;
  if (lua_istable(L, 2))
    n = (size_t)luaL_len(L, 2);
  else
    luaL_checkstring(L, 2);
  const void **parts = lua_newuserdatauv(L, (n ? n : 1) * sizeof *parts, 0);
  size_t *lens = lua_newuserdatauv(L, (n ? n : 1) * sizeof *lens, 0);
  if (lua_istable(L, 2)) {
    for (size_t i = 0; i < n; i++) {
      lua_geti(L, 2, (lua_Integer)i + 1);
      luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 2,
                    "a string or a list of strings");
      parts[i] = lua_tolstring(L, -1, &lens[i]);
      lua_pop(L, 1); /* the string stays alive in the table */
    }
  } else {
    parts[0] = lua_tolstring(L, 2, &lens[0]);
  }
  int err = rb_replace_file_parts(path, parts, lens, n, 0644);
  if (err) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot write %s: %s", path, strerror(err));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

int luaopen_runbook_report(lua_State *L) {
  static const luaL_Reg funcs[] = {{"isatty", report_isatty},
                                   {"use_color", report_use_color},
                                   {"sparkline", report_sparkline},
                                   {"write_file", report_write_file},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushstring(L, RB_VERSION);
  lua_setfield(L, -2, "version");
  return 1;
}
