/* l_fs.h — the Lua module `runbook.fs`: what a directory holds, for step discovery
 * (plugins/triage/catalog.lua lists every steps/NAME.lua of every plugin directory). */
#ifndef RB_L_FS_H
#define RB_L_FS_H

#include <lua.h>

/* Returns the module table {files}. */
int luaopen_runbook_fs(lua_State *L);

#endif
