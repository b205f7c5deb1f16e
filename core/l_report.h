/* l_report.h — the Lua module `runbook.report`: terminal facts, sparklines and the
 * version for the triage report renderer (plugins/triage/report.lua). */
#ifndef RB_L_REPORT_H
#define RB_L_REPORT_H

#include <lua.h>

/* Returns the module table {isatty, use_color, sparkline, version}. */
int luaopen_runbook_report(lua_State *L);

#endif
