/* sandbox.c — the standard library as plugins and runbooks see it (see sandbox.h).
 *
 * Uses Lua's auxiliary library, realpath(3) and l_core.c (the secrets of the credential
 * sets in use, for redaction). The restricted functions are installed in place in the
 * global tables (so package.loaded.io is the restricted io too); the real ones stay
 * reachable only from the core environment, which the core's embedded chunks get as
 * their _ENV, and as upvalues of C closures (debug.getupvalue is refused, so a plugin
 * cannot fetch them). A refused call raises "<function>: plugins may not use it ...",
 * located at the plugin's line.
 *
 * It must never hand a plugin a real function, never let a path outside the read roots
 * be opened by its real path, and never print a secret it knows of. It is a sandbox for
 * honest mistakes and for code a team did not read closely, not a boundary against a
 * determined attacker with its own process: plugins share one Lua state with the
 * framework (see "Plugins and trust" in docs/architecture.md). */
#include "sandbox.h"

#include "l_core.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Registry slots: the embedded chunks' _ENV, the list of readable real paths, whether
 * warn("@on") was seen, and the AWS credential files no plugin may read. */
#define CORE_ENV_KEY "runbook.sandbox.core_env"
#define ROOTS_KEY "runbook.sandbox.roots"
#define WARN_KEY "runbook.sandbox.warn_on"
#define DENY_KEY "runbook.sandbox.deny"
#define CORE_MODULES_KEY "runbook.sandbox.core_modules"
#define REDACTED "[redacted]"
#define MIN_SECRET 8 /* shorter "secrets" (test stubs) would redact ordinary words */

#define SEE "runbook sandbox: see 'Plugins and trust' in docs/architecture.md"

/* ---- redaction ---- */

typedef struct secrets {
  const char *v[64];
  size_t n;
} secrets;

static void add_secret(void *ud, const char *s) {
  secrets *list = ud;
  if (s && strlen(s) >= MIN_SECRET && list->n < sizeof list->v / sizeof *list->v)
    list->v[list->n++] = s;
}

static void known_secrets(lua_State *L, secrets *out) {
  out->n = 0;
  static const char *const env[] = {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                    "AWS_SECURITY_TOKEN"};
  for (size_t i = 0; i < sizeof env / sizeof *env; i++)
    add_secret(out, getenv(env[i]));
  rb_lcore_each_secret(L, add_secret, out);
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t k) {
  for (const char *p = hay; k && (size_t)(hay + n - p) >= k; p++) {
    p = memchr(p, needle[0], (size_t)(hay + n - p) - k + 1);
    if (!p)
      return NULL;
    if (memcmp(p, needle, k) == 0)
      return p;
  }
  return NULL;
}

/* The first secret occurring at or after p, and where. */
static const char *next_secret(const secrets *s, const char *p, const char *end,
                               size_t *len) {
  const char *best = NULL;
  for (size_t i = 0; i < s->n; i++) {
    size_t n = strlen(s->v[i]);
    const char *hit = find_bytes(p, (size_t)(end - p), s->v[i], n);
    if (hit && (!best || hit < best || (hit == best && n > *len))) {
      best = hit;
      *len = n;
    }
  }
  return best;
}

int rb_sandbox_has_secret(lua_State *L, const char *s, size_t len) {
  secrets list;
  known_secrets(L, &list);
  size_t n = 0;
  return list.n && next_secret(&list, s, s + len, &n) != NULL;
}

void rb_sandbox_push_redacted(lua_State *L, const char *s, size_t len) {
  secrets list;
  known_secrets(L, &list);
  const char *p = s, *end = s + len;
  size_t n = 0;
  const char *hit = list.n ? next_secret(&list, p, end, &n) : NULL;
  if (!hit) {
    lua_pushlstring(L, s, len);
    return;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (hit) {
    luaL_addlstring(&b, p, (size_t)(hit - p));
    luaL_addstring(&b, REDACTED);
    p = hit + n;
    n = 0;
    hit = next_secret(&list, p, end, &n);
  }
  luaL_addlstring(&b, p, (size_t)(end - p));
  luaL_pushresult(&b);
}

/* Replaces the string at idx (absolute) by its redacted copy. */
static void redact_at(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING)
    return;
  size_t len;
  const char *s = lua_tolstring(L, idx, &len);
  rb_sandbox_push_redacted(L, s, len);
  lua_replace(L, idx);
}

static int is_std_stream(lua_State *L, int idx) {
  luaL_Stream *p = luaL_testudata(L, idx, LUA_FILEHANDLE);
  return p && p->closef && (p->f == stdout || p->f == stderr);
}

/* file:write for every file: upvalue 1 is the real method. Writes to stdout and stderr
 * are redacted. */
static int redacting_write(lua_State *L) {
  int n = lua_gettop(L);
  if (is_std_stream(L, 1))
    for (int i = 2; i <= n; i++)
      redact_at(L, i);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* io.write(...): file:write on the default output. Upvalue 1 is the real io.output. */
static int redacting_io_write(lua_State *L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_call(L, 0, 1); /* the default output file */
  lua_getfield(L, -1, "write");
  lua_insert(L, 1);
  lua_insert(L, 2);
  lua_call(L, n + 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* print, as luaB_print, through the redaction. */
static int redacting_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_addchar(&b, '\n');
  luaL_pushresult(&b);
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  rb_sandbox_push_redacted(L, s, len);
  s = lua_tolstring(L, -1, &len);
  fwrite(s, 1, len, stdout);
  fflush(stdout);
  return 0;
}

/* warn, as Lua's own (off until "@on"), through the redaction. */
static int redacting_warn(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checkstring(L, 1);
  for (int i = 2; i <= n; i++)
    luaL_checkstring(L, i);
  lua_concat(L, n);
  const char *msg = lua_tostring(L, -1);
  if (msg[0] == '@') {
    if (strcmp(msg, "@on") == 0 || strcmp(msg, "@off") == 0) {
      lua_pushboolean(L, msg[1] == 'o' && msg[2] == 'n');
      lua_setfield(L, LUA_REGISTRYINDEX, WARN_KEY);
    }
    return 0;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, WARN_KEY);
  int on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (!on)
    return 0;
  size_t len;
  msg = lua_tolstring(L, -1, &len);
  rb_sandbox_push_redacted(L, msg, len);
  fprintf(stderr, "Lua warning: %s\n", lua_tostring(L, -1));
  fflush(stderr);
  return 0;
}

static void install_redaction(lua_State *L) {
  lua_pushcfunction(L, redacting_print);
  lua_setglobal(L, "print");
  lua_pushcfunction(L, redacting_warn);
  lua_setglobal(L, "warn");
  luaL_getmetatable(L, LUA_FILEHANDLE);
  lua_getfield(L, -1, "__index");
  lua_getfield(L, -1, "write");
  lua_pushcclosure(L, redacting_write, 1);
  lua_setfield(L, -2, "write");
  lua_pop(L, 2);
  lua_getglobal(L, "io");
  lua_getfield(L, -1, "output");
  lua_pushcclosure(L, redacting_io_write, 1);
  lua_setfield(L, -2, "write");
  lua_pop(L, 1);
}

/* ---- refusals and checks ---- */

/* Upvalue 1: the function's name ("io.popen"). */
static int refuse(lua_State *L) {
  return luaL_error(L, "%s: plugins may not use it (" SEE ")",
                    lua_tostring(L, lua_upvalueindex(1)));
}

/* Whether real lies at or under one of the paths of the registry list `key`. */
static int under_any(lua_State *L, const char *key, const char *real) {
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  int hit = 0;
  lua_Integer n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
  for (lua_Integer i = 1; i <= n && !hit; i++) {
    lua_rawgeti(L, -1, i);
    size_t len;
    const char *root = lua_tolstring(L, -1, &len);
    hit = root && strncmp(real, root, len) == 0 &&
          (real[len] == '\0' || real[len] == '/' || (len == 1 && root[0] == '/'));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return hit;
}

/* Whether `path` lies under a read root and not in the AWS credential files: 1, with its
 * real path in `real`; 0 when not, with *missing set when the path does not exist at all
 * (the real function then reports it as usual). */
static int allowed_path(lua_State *L, const char *path, char real[PATH_MAX],
                        int *missing) {
  *missing = 0;
  if (!realpath(path, real)) {
    *missing = errno == ENOENT || errno == ENOTDIR;
    return 0;
  }
  return !under_any(L, DENY_KEY, real) && under_any(L, ROOTS_KEY, real);
}

/* The files that hold AWS secrets, refused even under a read root (a runbook kept in the
 * home directory makes all of it a plugin directory). */
static void deny_credential_files(lua_State *L) {
  char path[PATH_MAX], real[PATH_MAX];
  const char *home = getenv("HOME");
  lua_newtable(L);
  static const char *const vars[] = {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                                     "AWS_WEB_IDENTITY_TOKEN_FILE",
                                     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
    const char *p = vars[i] ? getenv(vars[i]) : NULL;
    if (!vars[i] && home &&
        (size_t)snprintf(path, sizeof path, "%s/.aws", home) < sizeof path)
      p = path;
    if (p && *p && realpath(p, real)) {
      lua_pushstring(L, real);
      lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
    }
  }
  lua_setfield(L, LUA_REGISTRYINDEX, DENY_KEY);
}

/* Raises unless `path` may be read; leaves the path to use (its real path, when it
 * exists) on top of the stack. */
static void push_readable(lua_State *L, const char *fname, const char *path) {
  char real[PATH_MAX];
  int missing;
  if (allowed_path(L, path, real, &missing)) {
    lua_pushstring(L, real);
    return;
  }
  if (missing) {
    lua_pushstring(L, path);
    return;
  }
  luaL_error(L,
             "%s: plugins may not read '%s' (only the built-ins, trusted plugin "
             "directories and files named on the command line)",
             fname, path);
}

static void check_readable(lua_State *L, const char *fname, const char *path) {
  push_readable(L, fname, path);
  lua_pop(L, 1);
}

/* io.open(path, mode): reads only. Upvalue 1: the real io.open. */
static int sandbox_io_open(lua_State *L) {
  int base = lua_gettop(L);
  const char *path = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  if (strpbrk(mode, "wa+"))
    return luaL_error(
        L, "io.open: plugins may not open files for writing (mode '%s'; " SEE ")", mode);
  push_readable(L, "io.open", path);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, -2);
  lua_pushstring(L, mode);
  lua_call(L, 2, LUA_MULTRET);
  return lua_gettop(L) - base;
}

/* A function whose first argument, when a string, names a file to read (io.lines,
 * io.input, loadfile, dofile). Upvalue 1: the real function; 2: its name. */
static int sandbox_reader(lua_State *L) {
  const char *fname = lua_tostring(L, lua_upvalueindex(2));
  if (lua_type(L, 1) == LUA_TSTRING)
    check_readable(L, fname, lua_tostring(L, 1));
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* The results of load/loadfile for a chunk just loaded (status): the function, with `env`
 * (a stack index, 0 for none) as its first upvalue, or fail and the message. */
static int loaded(lua_State *L, int status, int env) {
  if (status != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (env) {
    lua_pushvalue(L, env);
    if (!lua_setupvalue(L, -2, 1))
      lua_pop(L, 1);
  }
  return 1;
}

/* loadfile(path, mode, env): text chunks only (a mode without "t" is refused). */
static int sandbox_loadfile(lua_State *L) {
  const char *path = luaL_optstring(L, 1, NULL);
  const char *mode = luaL_optstring(L, 2, "bt");
  int env = !lua_isnone(L, 3) ? 3 : 0;
  if (!strchr(mode, 't'))
    return luaL_error(L, "loadfile: plugins may not load binary chunks (" SEE ")");
  if (path)
    check_readable(L, "loadfile", path);
  return loaded(L, luaL_loadfilex(L, path, "t"), env);
}

/* dofile(path): text chunks only. */
static int sandbox_dofile(lua_State *L) {
  const char *path = luaL_optstring(L, 1, NULL);
  lua_settop(L, 1);
  if (path)
    check_readable(L, "dofile", path);
  if (luaL_loadfilex(L, path, "t") != LUA_OK)
    return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

/* Where load's reader keeps the piece it returned (as lbaselib does). */
#define READER_SLOT 5

/* A function chunk's pieces, read here and not by the real load: a reader called from
 * inside the real load could reach it through debug.getinfo(2, "f"). */
static const char *chunk_reader(lua_State *L, void *ud, size_t *size) {
  (void)ud;
  luaL_checkstack(L, 2, "too many nested functions");
  lua_pushvalue(L, 1);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    *size = 0;
    return NULL;
  }
  if (!lua_isstring(L, -1))
    luaL_error(L, "reader function must return a string");
  lua_replace(L, READER_SLOT);
  return lua_tolstring(L, READER_SLOT, size);
}

/* load(chunk, name, mode, env), as lbaselib's, with text chunks only: a mode without
 * "t" is refused, any other is "t". */
static int sandbox_load(lua_State *L) {
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  const char *mode = luaL_optstring(L, 3, "bt");
  int env = !lua_isnone(L, 4) ? 4 : 0;
  if (!strchr(mode, 't'))
    return luaL_error(L, "load: plugins may not load binary chunks (" SEE ")");
  int status;
  if (s) {
    status = luaL_loadbufferx(L, s, len, luaL_optstring(L, 2, s), "t");
  } else {
    const char *name = luaL_optstring(L, 2, "=(load)");
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, READER_SLOT);
    status = lua_load(L, chunk_reader, NULL, name, "t");
  }
  return loaded(L, status, env);
}

/* io.input(x): a file name is read. io.output(x): a file name would be written. */
static int sandbox_io_output(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING)
    return luaL_error(L, "io.output: plugins may not open files for writing (" SEE ")");
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

/* require's file searcher: package.path, read roots, text chunks only. Upvalue 1: the
 * real package.searchpath; 2: the package table. */
static int sandbox_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushstring(L, name);
  lua_getfield(L, lua_upvalueindex(2), "path");
  if (!lua_isstring(L, -1))
    return luaL_error(L, "'package.path' must be a string");
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2))
    return 1; /* searchpath's message: where it looked */
  lua_pop(L, 1);
  const char *file = lua_tostring(L, -1);
  char real[PATH_MAX];
  int missing;
  if (!allowed_path(L, file, real, &missing))
    return luaL_error(L,
                      "require: plugins may not load module '%s' from '%s' (outside the "
                      "built-ins and trusted plugin directories)",
                      name, file);
  if (luaL_loadfilex(L, file, "t") != LUA_OK)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file,
                      lua_tostring(L, -1));
  lua_pushstring(L, file);
  return 2;
}

static void wrap(lua_State *L, int table, const char *field, lua_CFunction f,
                 const char *name) {
  lua_getfield(L, table, field);
  int nup = 1;
  if (name) {
    lua_pushstring(L, name);
    nup = 2;
  }
  lua_pushcclosure(L, f, nup);
  lua_setfield(L, table, field);
}

static void refuse_field(lua_State *L, int table, const char *lib, const char *field) {
  lua_pushfstring(L, "%s.%s", lib, field);
  lua_pushcclosure(L, refuse, 1);
  lua_setfield(L, table, field);
}

/* core.<lib> = { the real versions of `fields` } with __index = the global lib. */
static void keep_real(lua_State *L, int core_env, const char *lib,
                      const char *const *fields) {
  lua_getglobal(L, lib);
  int global = lua_gettop(L);
  lua_newtable(L);
  for (const char *const *f = fields; *f; f++) {
    lua_getfield(L, global, *f);
    lua_setfield(L, -2, *f);
  }
  lua_newtable(L);
  lua_pushvalue(L, global);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setfield(L, core_env, lib);
  lua_pop(L, 1);
}

static const char *const io_fields[] = {"open",   "popen",   "lines", "input",
                                        "output", "tmpfile", NULL};
static const char *const os_fields[] = {"execute", "remove", "rename",
                                        "tmpname", "getenv", NULL};
static const char *const debug_fields[] = {"sethook",      "getregistry",  "setupvalue",
                                           "getupvalue",   "setmetatable", "upvaluejoin",
                                           "setlocal",     "getlocal",     "setuservalue",
                                           "getuservalue", "debug",        NULL};
static const char *const package_fields[] = {"loadlib", "searchpath", NULL};

/* The core environment's require: a core-only module (rb_sandbox_core_module) by name,
 * else the global require. Upvalue 1: the global require. */
static int core_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, CORE_MODULES_KEY);
  if (lua_istable(L, -1) && lua_getfield(L, -1, name) != LUA_TNIL)
    return 1;
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 1, LUA_MULTRET);
  return lua_gettop(L);
}

void rb_sandbox_core_module(lua_State *L, const char *name) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, CORE_MODULES_KEY);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

/* The embedded chunks' _ENV: the real functions, everything else from the globals. */
static void make_core_env(lua_State *L) {
  lua_newtable(L);
  int env = lua_gettop(L);
  keep_real(L, env, "io", io_fields);
  keep_real(L, env, "os", os_fields);
  keep_real(L, env, "debug", debug_fields);
  keep_real(L, env, "package", package_fields);
  static const char *const globals[] = {"load", "loadfile", "dofile", NULL};
  for (const char *const *g = globals; *g; g++) {
    lua_getglobal(L, *g);
    lua_setfield(L, env, *g);
  }
  lua_getglobal(L, "require");
  lua_pushcclosure(L, core_require, 1);
  lua_setfield(L, env, "require");
  lua_newtable(L);
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__index");
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, env);
  lua_setfield(L, LUA_REGISTRYINDEX, CORE_ENV_KEY);
}

/* os.getenv without the variables that hold AWS secrets. Upvalue 1: the real getenv. */
static int sandbox_getenv(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  static const char *const hidden[] = {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                       "AWS_SECURITY_TOKEN",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN"};
  for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
    if (strcmp(name, hidden[i]) == 0) {
      luaL_pushfail(L);
      return 1;
    }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

static void restrict_io_os(lua_State *L) {
  lua_getglobal(L, "io");
  int io = lua_gettop(L);
  wrap(L, io, "open", sandbox_io_open, NULL);
  wrap(L, io, "lines", sandbox_reader, "io.lines");
  wrap(L, io, "input", sandbox_reader, "io.input");
  wrap(L, io, "output", sandbox_io_output, NULL);
  refuse_field(L, io, "io", "popen");
  refuse_field(L, io, "io", "tmpfile");
  lua_getglobal(L, "os");
  int os = lua_gettop(L);
  refuse_field(L, os, "os", "execute");
  refuse_field(L, os, "os", "remove");
  refuse_field(L, os, "os", "rename");
  refuse_field(L, os, "os", "tmpname");
  wrap(L, os, "getenv", sandbox_getenv, NULL);
  lua_pop(L, 2);
}

static void restrict_code(lua_State *L) {
  lua_getglobal(L, "debug");
  int debug = lua_gettop(L);
  for (const char *const *f = debug_fields; *f; f++)
    refuse_field(L, debug, "debug", *f);
  lua_getglobal(L, "string");
  refuse_field(L, lua_gettop(L), "string", "dump");
  lua_pop(L, 2);
  lua_pushglobaltable(L);
  int g = lua_gettop(L);
  lua_pushcfunction(L, sandbox_load);
  lua_setfield(L, g, "load");
  lua_pushcfunction(L, sandbox_loadfile);
  lua_setfield(L, g, "loadfile");
  lua_pushcfunction(L, sandbox_dofile);
  lua_setfield(L, g, "dofile");
  lua_getglobal(L, "package");
  int pkg = lua_gettop(L);
  refuse_field(L, pkg, "package", "loadlib");
  lua_pushliteral(L, "");
  lua_setfield(L, pkg, "cpath");
  lua_createtable(L, 2, 0); /* searchers: preload, then the file searcher above */
  lua_getfield(L, pkg, "searchers");
  lua_rawgeti(L, -1, 1);
  lua_rawseti(L, -3, 1);
  lua_pop(L, 1);
  lua_getfield(L, pkg, "searchpath");
  lua_pushvalue(L, pkg);
  lua_pushcclosure(L, sandbox_searcher, 2);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, pkg, "searchers");
  lua_pop(L, 2);
}

void rb_sandbox_install(lua_State *L, int read_roots, int restrict_lib) {
  lua_pushvalue(L, read_roots);
  lua_setfield(L, LUA_REGISTRYINDEX, ROOTS_KEY);
  deny_credential_files(L);
  install_redaction(L);
  make_core_env(L); /* also without the sandbox: it holds the core-only modules */
  if (!restrict_lib)
    return;
  restrict_io_os(L);
  restrict_code(L);
}

void rb_sandbox_use_core_env(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, CORE_ENV_KEY);
  if (!lua_istable(L, -1) || !lua_setupvalue(L, -2, 1))
    lua_pop(L, 1);
}
