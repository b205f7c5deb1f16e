/* l_fix.c — `runbook.fix_scope`: approve a plan's exact writes, close the scope, ask the
 * operator.
 *
 *   fix_scope.approve(calls) -> scope_id | nil, err
 *     calls: a list of {service = "lambda", operation = "UpdateFunctionConfiguration",
 *     params = {...}}; a params.RevisionId equal to fix_scope.ANY_REVISION stands for
 *     "the RevisionId read just before sending" (client.h states the rule).
 *   fix_scope.close_scope(scope_id) -> true | nil, err
 *   fix_scope.confirm(text [, choices]) -> "yes" | "no" | "all" | "quit" | "no-terminal"
 *     asks on the controlling terminal (/dev/tty, never stdin or stdout); choices is a
 *     subset of "ynaq" holding y and n (default "yn"). Under --yes: "yes", unasked.
 *   fix_scope.ask(question) -> line | nil, "no-terminal" | "end-of-input"
 *     one free-form answer (a version to roll back to) from the controlling terminal.
 *   fix_scope.options() -> {yes = bool, dry_run = bool, journal = path}
 *   fix_scope.journal_check() -> true | nil, err: the run's journal can be appended to
 *     (checked, and created 0600 when missing, without writing a line).
 *   fix_scope.journal_path() -> the run's journal (--journal FILE, else the default) |
 *     nil, err
 *   fix_scope.forget_reads() -> true: later reads are sent again, never answered from
 *     an earlier identical read (what the fix path re-reads is the resource as it is
 * now). fix_scope.hash(value) -> the SHA-256 (hex) of value's canonical JSON: a plan's
 *     identity, the same for the same calls whatever order their keys were written in.
 *   fix_scope.journal_append(path, entry) -> true | nil, err
 *     appends json.encode(entry) as one line (journal.c: 0600, O_APPEND, fsync'd); path
 *     nil is the run's journal (--journal FILE, else the default, whose directories are
 *     created 0700). Refused before anything is written when the encoded entry contains
 *     a secret of the redaction list (sandbox.c): SecretInJournal, kind "safety".
 *
 * Uses client.c (rb_client_scope_open and _close, which enforce the scope on every
 * call), l_core.c (the run's client), l_json.c, prompt.c, journal.c and sandbox.c (the
 * secrets to keep out of the journal). Writes themselves still go
 * through core.submit. It must never be reachable from plugin code: lua_env.c registers
 * it as a core-only module (see l_fix.h), and it must never export a table or function
 * that leads back to the core environment. */
#include "l_fix.h"

#include "client.h"
#include "json_canon.h"
#include "l_core.h"
#include "l_json.h"
#include "journal.h"
#include "l_util.h"
#include "prompt.h"
#include "sandbox.h"
#include "sigv4.h"

#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPTIONS_KEY "runbook.fix.options" /* registry: {yes =, dry_run =, journal =} */

/* Reads calls[i] (the table at the top of the stack) into w and params[i]. */
static int read_call(lua_State *L, lua_Integer i, rb_write_call *w, cJSON **params,
                     rb_error *err) {
  if (!lua_istable(L, -1))
    return rb_error_set(
        err, "InvalidApproval",
        "approve: call %d must be a table {service=, operation=, params=}", (int)i);
  lua_getfield(L, -1, "service");
  lua_getfield(L, -2, "operation");
  w->service = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
  w->operation = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 2); /* the strings stay alive: the call table holds them */
  if (!w->service || !w->operation)
    return rb_error_set(err, "InvalidApproval",
                        "approve: call %d needs string fields service and operation",
                        (int)i);
  if (lua_getfield(L, -1, "params") == LUA_TNIL) {
    lua_pop(L, 1);
    *params = cJSON_CreateObject();
  } else {
    *params = lua_istable(L, -1) ? rb_lua_to_cjson(L, lua_gettop(L), err) : NULL;
    if (!*params && !err->code[0])
      rb_error_set(err, "InvalidApproval",
                   "approve: the params of call %d must be a table", (int)i);
    lua_pop(L, 1);
  }
  w->params = *params;
  return *params ? 0 : -1;
}

static int fix_approve(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  rb_error err;
  rb_error_clear(&err);
  rb_client *c = rb_lcore_client(L, &err);
  if (!c)
    return rb_lua_fail(L, &err);
  if (n < 1 || n > 1000) {
    rb_error_set(&err, "InvalidApproval", "approve: give a list of 1 to 1000 calls");
    return rb_lua_fail(L, &err);
  }
  rb_write_call *calls = calloc((size_t)n, sizeof *calls);
  cJSON **params = calloc((size_t)n, sizeof *params);
  int rc =
      calls && params ? 0 : rb_error_set(&err, "OutOfMemory", "approve: out of memory");
  for (lua_Integer i = 1; rc == 0 && i <= n; i++) {
    lua_geti(L, 1, i);
    rc = read_call(L, i, &calls[i - 1], &params[i - 1], &err);
    lua_pop(L, 1);
  }
  int id = rc == 0 ? rb_client_scope_open(c, calls, (size_t)n, &err) : -1;
  for (lua_Integer i = 0; params && i < n; i++)
    cJSON_Delete(params[i]);
  free(params);
  free(calls);
  if (id < 0) {
    if (!err.kind[0])
      snprintf(err.kind, sizeof err.kind, "usage");
    return rb_lua_fail(L, &err);
  }
  lua_pushinteger(L, id);
  return 1;
}

static int fix_close_scope(lua_State *L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  rb_error err;
  rb_error_clear(&err);
  rb_client *c = rb_lcore_client(L, &err);
  if (c && rb_client_scope_close(c, (int)id) == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (c)
    rb_error_set(&err, "NoSuchScope", "close_scope: %d is not the open write scope",
                 (int)id);
  return rb_lua_fail(L, &err);
}

void rb_lfix_configure(lua_State *L, const rb_lfix_options *o) {
  lua_createtable(L, 0, 2);
  lua_pushboolean(L, o->yes);
  lua_setfield(L, -2, "yes");
  lua_pushboolean(L, o->dry_run);
  lua_setfield(L, -2, "dry_run");
  lua_pushstring(L, o->journal);
  lua_setfield(L, -2, "journal");
  lua_setfield(L, LUA_REGISTRYINDEX, OPTIONS_KEY);
}

/* Pushes the --journal path (or nil). */
static void push_journal_option(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, OPTIONS_KEY) == LUA_TTABLE)
    lua_getfield(L, -1, "journal");
  else
    lua_pushnil(L);
  lua_remove(L, -2);
}

/* Pushes the run's journal path: --journal FILE, else the default. *make_dirs says
 * whether missing directories may be created (only the default's). 0, or -1 with err. */
static int push_run_journal(lua_State *L, int *make_dirs, rb_error *err) {
  push_journal_option(L);
  *make_dirs = 0;
  if (!lua_isnil(L, -1))
    return 0;
  lua_pop(L, 1);
  char *def = rb_journal_default_path(NULL, err);
  if (!def)
    return -1;
  lua_pushstring(L, def);
  free(def);
  *make_dirs = 1;
  return 0;
}

static int fix_journal_append(lua_State *L) {
  luaL_checktype(L, 2, LUA_TTABLE);
  int make_dirs = 0;
  rb_error err;
  rb_error_clear(&err);
  if (lua_isnoneornil(L, 1)) {
    if (push_run_journal(L, &make_dirs, &err) != 0)
      return rb_lua_fail(L, &err);
    lua_replace(L, 1);
  }
  const char *path = luaL_checkstring(L, 1);
  if (rb_lua_json_encode(L, 2) != 0)
    return 2; /* nil, err from json.encode */
  size_t len;
  const char *line = lua_tolstring(L, -1, &len);
  if (rb_sandbox_has_secret(L, line, len)) {
    rb_error_set(&err, "SecretInJournal",
                 "journal: refusing an entry that holds a credential secret (nothing was "
                 "written to %s)",
                 path);
    snprintf(err.kind, sizeof err.kind, "safety");
    return rb_lua_fail(L, &err);
  }
  if (rb_journal_append(path, line, make_dirs, NULL, &err) != 0) {
    snprintf(err.kind, sizeof err.kind, "setup");
    return rb_lua_fail(L, &err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* fix_scope.journal_check() -> true | nil, err: the run's journal can be appended to. */
static int fix_journal_check(lua_State *L) {
  rb_error err;
  rb_error_clear(&err);
  int make_dirs;
  if (push_run_journal(L, &make_dirs, &err) != 0)
    return rb_lua_fail(L, &err);
  if (rb_journal_check(lua_tostring(L, -1), make_dirs, &err) != 0) {
    snprintf(err.kind, sizeof err.kind, "setup");
    return rb_lua_fail(L, &err);
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int option(lua_State *L, const char *name) {
  int on = 0;
  if (lua_getfield(L, LUA_REGISTRYINDEX, OPTIONS_KEY) == LUA_TTABLE) {
    lua_getfield(L, -1, name);
    on = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return on;
}

static int fix_options(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushboolean(L, option(L, "yes"));
  lua_setfield(L, -2, "yes");
  lua_pushboolean(L, option(L, "dry_run"));
  lua_setfield(L, -2, "dry_run");
  push_journal_option(L);
  lua_setfield(L, -2, "journal");
  return 1;
}

static int fix_confirm(lua_State *L) {
  const char *text = luaL_checkstring(L, 1);
  const char *choices = luaL_optstring(L, 2, "yn");
  int ok = strchr(choices, 'y') && strchr(choices, 'n');
  for (const char *c = choices; ok && *c; c++)
    ok = strchr("ynaq", *c) && !strchr(c + 1, *c) &&
         (c == choices || strchr("ynaq", *c) > strchr("ynaq", c[-1]));
  if (!ok)
    return luaL_argerror(L, 2,
                         "choices must be y and n, maybe a and q, in the order ynaq");
  if (option(L, "yes")) {
    lua_pushliteral(L, "yes");
    return 1;
  }
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    lua_pushliteral(L, "no-terminal");
    return 1;
  }
  rb_answer a = rb_prompt_ask(fd, fd, text, choices);
  close(fd);
  lua_pushstring(L, a == RB_ANSWER_YES    ? "yes"
                    : a == RB_ANSWER_ALL  ? "all"
                    : a == RB_ANSWER_QUIT ? "quit"
                                          : "no");
  return 1;
}

static int fix_forget_reads(lua_State *L) {
  rb_error err;
  rb_error_clear(&err);
  rb_client *c = rb_lcore_client(L, &err);
  if (!c)
    return rb_lua_fail(L, &err);
  rb_client_forget_reads(c);
  lua_pushboolean(L, 1);
  return 1;
}

static int fix_ask(lua_State *L) {
  const char *question = luaL_checkstring(L, 1);
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    luaL_pushfail(L);
    lua_pushliteral(L, "no-terminal");
    return 2;
  }
  char line[256];
  int rc = rb_prompt_line(fd, fd, question, line, sizeof line);
  close(fd);
  if (rc != 0) {
    luaL_pushfail(L);
    lua_pushliteral(L, "end-of-input");
    return 2;
  }
  lua_pushstring(L, line);
  return 1;
}

static int fix_journal_path(lua_State *L) {
  rb_error err;
  rb_error_clear(&err);
  int make_dirs;
  if (push_run_journal(L, &make_dirs, &err) != 0)
    return rb_lua_fail(L, &err);
  return 1;
}

static int fix_hash(lua_State *L) {
  luaL_checkany(L, 1);
  rb_error err;
  rb_error_clear(&err);
  cJSON *v = rb_lua_to_cjson(L, 1, &err);
  if (!v)
    return rb_lua_fail(L, &err);
  char *canon = rb_json_canonical(v);
  cJSON_Delete(v);
  if (!canon)
    return luaL_error(L, "hash: out of memory");
  char hex[65];
  rb_sigv4_sha256_hex(canon, strlen(canon), hex);
  free(canon);
  lua_pushstring(L, hex);
  return 1;
}

int luaopen_runbook_fix_scope(lua_State *L) {
  static const luaL_Reg funcs[] = {{"approve", fix_approve},
                                   {"close_scope", fix_close_scope},
                                   {"confirm", fix_confirm},
                                   {"options", fix_options},
                                   {"journal_append", fix_journal_append},
                                   {"journal_path", fix_journal_path},
                                   {"journal_check", fix_journal_check},
                                   {"ask", fix_ask},
                                   {"hash", fix_hash},
                                   {"forget_reads", fix_forget_reads},
                                   {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushliteral(L, RB_ANY_REVISION);
  lua_setfield(L, -2, "ANY_REVISION");
  return 1;
}
