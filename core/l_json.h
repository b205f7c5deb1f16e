/* l_json.h — the Lua module `runbook.json` and the Lua <-> cJSON conversions other
 * bindings share (aws.call parameters go Lua -> cJSON, results come back cJSON -> Lua).
 *
 * Mapping (both directions):
 *   JSON object  <-> table with string keys (integer keys are written as decimal strings)
 *   JSON array   <-> sequence 1..n; decoded arrays carry the json.array marker so an
 * empty one encodes back as [] (an unmarked empty table is {}) null         <->
 * json.null, one read-only sentinel per lua_State (tostring → "null") number       <->
 * integer when integral and within ±2^53, float otherwise string       <-> string; must
 * be valid UTF-8 without NUL bytes A table's metatable field __jsontype = "array" |
 * "object" (what json.array / json.object set) forces its shape. Tables are read raw:
 * __index and __pairs are not consulted. Nesting is limited to RB_JSON_MAX_DEPTH levels
 * both ways. */
#ifndef RB_L_JSON_H
#define RB_L_JSON_H

#include <cjson/cJSON.h>
#include <lua.h>

#include "error.h"

#define RB_JSON_MAX_DEPTH 512

/* Registers nothing globally; returns the module table
 * {decode, encode, null, array, object}. */
int luaopen_runbook_json(lua_State *L);

/* Pushes the Lua value of `item` (nil when item is NULL). Never raises except on memory
 * errors (the caller keeps ownership of item, so nothing leaks). A number node whose
 * valuestring holds decimal digits (see rb_lua_to_cjson) becomes that exact integer. */
void rb_lua_push_cjson(lua_State *L, const cJSON *item);

/* Converts the Lua value at `idx` to a new cJSON tree the caller owns (cJSON_Delete).
 * Object members come in sorted key order (byte-wise), so output is deterministic.
 * Integers beyond ±2^53 become number nodes whose valuedouble is the nearest double and
 * whose valuestring holds the exact decimal digits (json.encode prints those).
 * Returns NULL with err set (code "InvalidJSONValue", message naming the path, e.g.
 * "cannot encode '$.Tags[2]': values of type 'function' are not JSON") for functions,
 * userdata, threads, NaN/infinity, invalid UTF-8, keys that are neither strings nor
 * integers, cycles and nesting deeper than RB_JSON_MAX_DEPTH. Raises only on memory
 * errors, and leaks nothing then. */
cJSON *rb_lua_to_cjson(lua_State *L, int idx, rb_error *err);

/* json.encode of the value at idx (compact, sorted keys): pushes the text and returns 0,
 * or pushes the error table and returns -1. */
int rb_lua_json_encode(lua_State *L, int idx);

/* Pushes json.null; tells whether the value at idx is json.null. */
void rb_lua_push_json_null(lua_State *L);
int rb_lua_is_json_null(lua_State *L, int idx);

#endif
