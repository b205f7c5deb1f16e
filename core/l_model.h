/* l_model.h — the model half of the `runbook.core` Lua module (l_model.c): operation,
 * operations, services, input_shape. l_core.c adds them to its module table. */
#ifndef RB_L_MODEL_H
#define RB_L_MODEL_H

#include <lua.h>

/* Adds the model functions to the table on top of the stack. */
void rb_lmodel_register(lua_State *L);

#endif
