/* l_fix.h — `runbook.fix_scope`: the remediation primitives, for the core's own Lua only.
 *
 * The module is never in package.preload or package.loaded: lua_env.c hands it to
 * sandbox.c (rb_sandbox_core_module), which lets only the require of the embedded
 * chunks' environment find it, so a plugin's require "runbook.fix_scope" fails. */
#ifndef RB_L_FIX_H
#define RB_L_FIX_H

#include <lua.h>

int luaopen_runbook_fix_scope(lua_State *L);

/* The core options the fix path reads (main.c): --yes, --dry-run and --journal. */
typedef struct rb_lfix_options {
  int yes;
  int dry_run;
  const char *journal; /* --journal FILE, or NULL for the default (journal.h) */
} rb_lfix_options;
/* Copies `o` into the registry; without it, both are off. */
void rb_lfix_configure(lua_State *L, const rb_lfix_options *o);

#endif
