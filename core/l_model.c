/* l_model.c — the model half of `runbook.core`: which services and operations exist,
 * which are writes, how each paginates, what an operation's input looks like. Lets Lua
 * helpers (aws.pages, aws.<svc>.<Op>, fix plans and their renderer) work from the
 * official models rather than hand-kept lists. Uses model.c and l_util.c (the error
 * table); raises only on misuse. */
#include "l_model.h"
#include "l_util.h"
#include "model.h"

#include <lauxlib.h>

static void set_string(lua_State *L, const char *key, const char *value) {
  if (!value)
    return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

static void push_operation(lua_State *L, const rb_model_meta *meta,
                           const rb_operation *op) {
  lua_createtable(L, 0, 6);
  set_string(L, "service", meta->service);
  set_string(L, "name", op->name);
  set_string(L, "method", op->method);
  set_string(L, "uri", op->uri);
  lua_pushboolean(L, op->write);
  lua_setfield(L, -2, "write");
  if (op->has_paginator) {
    lua_createtable(L, 0, 5);
    set_string(L, "input_token", op->paginator.input_token);
    set_string(L, "output_token", op->paginator.output_token);
    set_string(L, "limit_key", op->paginator.limit_key);
    set_string(L, "result_key", op->paginator.result_key);
    set_string(L, "more_results", op->paginator.more_results);
    lua_setfield(L, -2, "paginator");
  }
}

/* The operation named by arguments 1 and 2. Returns 0, or -1 with nil, err pushed. */
static int check_operation(lua_State *L, const rb_model **m, rb_operation *op) {
  const char *service = luaL_checkstring(L, 1), *name = luaL_checkstring(L, 2);
  rb_error err;
  rb_error_clear(&err);
  if (rb_model_find(service, name, m, op, &err) == 0)
    return 0;
  rb_lua_fail(L, &err);
  return -1;
}

/* core.operation(service, name) -> {name, method, uri, write, paginator} | nil, err */
static int core_operation(lua_State *L) {
  const rb_model *m;
  rb_operation op;
  if (check_operation(L, &m, &op) != 0)
    return 2;
  push_operation(L, rb_model_metadata(m), &op);
  return 1;
}

/* core.operations(service) -> sorted array of operation names | nil, err */
static int core_operations(lua_State *L) {
  rb_error err;
  rb_error_clear(&err);
  const rb_model *m = rb_model_load(luaL_checkstring(L, 1), &err);
  if (!m)
    return rb_lua_fail(L, &err);
  size_t n = rb_model_operation_count(m);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, rb_model_operation_name(m, i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.services() -> set {lambda = true, ...} (aliases such as cloudwatch included) */
static int core_services(lua_State *L) {
  lua_newtable(L);
  for (size_t i = 0; rb_model_service_name(i); i++) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, rb_model_service_name(i));
  }
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "cloudwatch");
  return 1;
}

static void push_shape(lua_State *L, const rb_model *m, const char *name,
                       const cJSON *ref, int seen);

/* Sets t[field] (t on top) to the tree of the shape `ref` points at, when present. */
static void push_ref_field(lua_State *L, const rb_model *m, const cJSON *shape,
                           const char *field, int seen) {
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(shape, field);
  if (!ref)
    return;
  push_shape(L, m, rb_model_str(ref, "shape"), ref, seen);
  lua_setfield(L, -2, field);
}

static void push_members(lua_State *L, const rb_model *m, const cJSON *shape, int seen) {
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(shape, "members");
  lua_createtable(L, 0, cJSON_GetArraySize(members));
  for (const cJSON *it = members ? members->child : NULL; it; it = it->next) {
    push_shape(L, m, rb_model_str(it, "shape"), it, seen);
    lua_setfield(L, -2, it->string);
  }
  lua_setfield(L, -2, "members");
  const cJSON *required = cJSON_GetObjectItemCaseSensitive(shape, "required");
  lua_createtable(L, cJSON_GetArraySize(required), 0);
  lua_Integer n = 0;
  for (const cJSON *it = required ? required->child : NULL; it; it = it->next)
    if (cJSON_IsString(it)) {
      lua_pushstring(L, it->valuestring);
      lua_rawseti(L, -2, ++n);
    }
  lua_setfield(L, -2, "required");
}

/* Pushes {type, shape, members/required | member | key/value, flags} for the shape
 * `name`, used through `ref` (NULL at the top; its traits add flags). `seen` (a stack
 * index) holds the shape names on the current path: a shape met again below itself is
 * pushed as {type, shape, cycle = true} without its children. */
static void push_shape(lua_State *L, const rb_model *m, const char *name,
                       const cJSON *ref, int seen) {
  luaL_checkstack(L, 8, "model shape too deep");
  const cJSON *shape = rb_model_shape(m, name);
  lua_createtable(L, 0, 6);
  set_string(L, "shape", name);
  set_string(L, "type", shape ? rb_model_str(shape, "type") : NULL);
  if (!shape)
    return;
  static const char *const flags[] = {"document", "sensitive", "jsonvalue"};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    if (rb_model_flag(shape, flags[i]) || rb_model_flag(ref, flags[i])) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, flags[i]);
    }
  if (lua_getfield(L, seen, name) != LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "cycle");
    return;
  }
  lua_pop(L, 1);
  lua_pushboolean(L, 1);
  lua_setfield(L, seen, name);
  if (cJSON_GetObjectItemCaseSensitive(shape, "members"))
    push_members(L, m, shape, seen);
  push_ref_field(L, m, shape, "member", seen);
  push_ref_field(L, m, shape, "key", seen);
  push_ref_field(L, m, shape, "value", seen);
  lua_pushnil(L);
  lua_setfield(L, seen, name);
}

/* core.input_shape(service, operation) -> {type = "structure", members = {Name = tree},
 * required = {...}} (lists: member; maps: key, value; the model's type names; recursion
 * stops at cycles) | nil, err. An operation without input gives an empty structure. */
static int core_input_shape(lua_State *L) {
  const rb_model *m;
  rb_operation op;
  if (check_operation(L, &m, &op) != 0)
    return 2;
  lua_newtable(L); /* shape names on the current path */
  int seen = lua_gettop(L);
  if (op.input_shape) {
    push_shape(L, m, op.input_shape, NULL, seen);
  } else {
    lua_createtable(L, 0, 3);
    set_string(L, "type", "structure");
    lua_newtable(L);
    lua_setfield(L, -2, "members");
    lua_newtable(L);
    lua_setfield(L, -2, "required");
  }
  return 1;
}

void rb_lmodel_register(lua_State *L) {
  static const luaL_Reg funcs[] = {{"operation", core_operation},
                                   {"operations", core_operations},
                                   {"services", core_services},
                                   {"input_shape", core_input_shape},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
