/* test_l_json.c — the runbook.json module and the Lua <-> cJSON helpers, driven through
 * Lua snippets in a fresh lua_State per test. Each snippet uses eq(got, want) and raises
 * on the first mismatch; the C side fails the test with that message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_json.h"

static const char prelude[] =
    "json = require('runbook.json')\n"
    "function eq(got, want, what)\n"
    "  if got ~= want then\n"
    "    error(('%s: got %s, expected %s'):format(what or 'value', "
    "string.format('%q', tostring(got)), string.format('%q', tostring(want))), 2)\n"
    "  end\n"
    "end\n"
    "function fails(value, opts)\n"
    "  local text, err = json.encode(value, opts)\n"
    "  eq(text, nil, 'encode result')\n"
    "  eq(err.code, 'InvalidJSONValue', 'code')\n"
    "  return err.message\n"
    "end\n"
    "function bad(text)\n"
    "  local v, err = json.decode(text)\n"
    "  eq(v, nil, 'decode result')\n"
    "  eq(err.code, 'InvalidJSON', 'code')\n"
    "  return err.message\n"
    "end\n";

static int setup(void **state) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "runbook.json", luaopen_runbook_json, 0);
  lua_pop(L, 1);
  if (luaL_dostring(L, prelude) != LUA_OK)
    fail_msg("prelude: %s", lua_tostring(L, -1));
  *state = L;
  return 0;
}

static int teardown(void **state) {
  lua_close(*state);
  return 0;
}

static void run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  lua_settop(L, 0);
}

static void decode_maps_objects_arrays_and_scalars(void **state) {
  run(*state, "local v = json.decode('{\"a\": [1, \"two\", true, false], \"b\": {\"c\": "
              "\"d\"}}')\n"
              "eq(#v.a, 4) eq(v.a[1], 1) eq(v.a[2], 'two') eq(v.a[3], true)\n"
              "eq(v.a[4], false) eq(v.b.c, 'd')\n"
              "eq(json.decode('\"x\"'), 'x') eq(json.decode(' 42 '), 42)\n"
              "eq(json.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"'), '\\u{e9}\\u{1F600}')\n"
              "eq(json.decode('\"h\\u{e9}llo\"'), 'h\\u{e9}llo')\n");
}

static void decode_keeps_integers_and_floats_apart(void **state) {
  run(*state, "eq(math.type(json.decode('1')), 'integer')\n"
              "eq(math.type(json.decode('1.0')), 'integer')\n"
              "eq(math.type(json.decode('1e2')), 'integer') eq(json.decode('1e2'), 100)\n"
              "eq(math.type(json.decode('-9007199254740992')), 'integer')\n"
              "eq(json.decode('-9007199254740992'), -9007199254740992)\n"
              "eq(math.type(json.decode('9007199254740994')), 'float')\n"
              "eq(math.type(json.decode('1.5')), 'float') eq(json.decode('1.5'), 1.5)\n"
              "eq(json.decode('-0.25'), -0.25)\n"
              "eq(math.type(json.decode('1e300')), 'float')\n");
}

static void null_is_one_read_only_sentinel(void **state) {
  run(*state, "eq(json.decode('null'), json.null)\n"
              "local v = json.decode('{\"a\": null, \"b\": [null]}')\n"
              "eq(v.a, json.null) eq(v.b[1], json.null) eq(#v.b, 1)\n"
              "eq(tostring(json.null), 'null') eq(type(json.null), 'table')\n"
              "eq(getmetatable(json.null), false)\n"
              "eq(pcall(function() json.null.x = 1 end), false)\n"
              "eq(next(json.null), nil)\n"
              "eq(json.encode(json.null), 'null')\n"
              "eq(json.encode({a = json.null}), '{\"a\":null}')\n"
              "eq(json.encode(nil), 'null')\n");
}

static void decode_errors_name_line_and_column(void **state) {
  run(*state,
      "eq(bad('{\"a\": 1,\\n  \"b\": }'), 'invalid JSON at line 2 col 8: unexpected "
      "character \\'}\\'')\n"
      "eq(bad('[1, 2'), 'invalid JSON at line 1 col 6: unexpected end of input')\n"
      "eq(bad(''), 'invalid JSON at line 1 col 1: unexpected end of input')\n"
      "eq(bad('   '), 'invalid JSON at line 1 col 4: unexpected end of input')\n"
      "eq(bad('{\"a\" 1}'), 'invalid JSON at line 1 col 6: unexpected character "
      "\\'1\\'')\n"
      "eq(bad('[1] x'), 'invalid JSON at line 1 col 5: unexpected character \\'x\\'')\n"
      "eq(bad('tru'), 'invalid JSON at line 1 col 1: unexpected character \\'t\\'')\n"
      "eq(bad('\"\\u{e9}\" \\u{e9}'), 'invalid JSON at line 1 col 5: unexpected "
      "character \\'\\u{e9}\\'')\n"
      "eq(bad('\\n\\n  [\"a\\xff\"]'), 'invalid JSON at line 3 col 6: invalid UTF-8 byte "
      "0xff')\n"
      "eq(bad('[\"\\xc3\\xa9\\xed\\xa0\\x80\"]'), 'invalid JSON at line 1 col 4: invalid "
      "UTF-8 byte 0xed')\n"
      "eq(bad('[\"a\\tb\"]'), 'invalid JSON at line 1 col 4: control character 0x09 in "
      "string')\n"
      "eq(bad('[1]\\0'), 'invalid JSON at line 1 col 4: unexpected NUL byte')\n"
      "eq(bad('\"a\\\\u0000b\"'), 'invalid JSON at line 1 col 3: \\\\u0000 in strings is "
      "not supported')\n");
}

static void errors_have_the_shape_of_every_core_error(void **state) {
  run(*state, "local _, err = json.decode('[1')\n"
              "eq(getmetatable(err), debug.getregistry()['runbook.error'], 'metatable')\n"
              "eq(tostring(err), 'InvalidJSON: ' .. err.message, 'tostring')\n"
              "eq(err.status, 0, 'status')\n"
              "eq(err.request_id, '', 'request_id')\n"
              "eq(err.retryable, false, 'retryable')\n"
              "eq(err.kind, 'local', 'kind')\n"
              "local _, err2 = json.encode(print)\n"
              "eq(tostring(err2):sub(1, 18), 'InvalidJSONValue: ', 'encode error')\n");
}

static void decode_raises_only_on_a_wrong_argument_type(void **state) {
  run(*state, "local ok, msg = pcall(json.decode, {})\n"
              "eq(ok, false) assert(msg:find('string expected'), msg)\n"
              "eq(pcall(json.decode), false)\n"
              "eq(select('#', json.decode('[')), 2)\n");
}

static void encode_sorts_keys_and_writes_compact_text(void **state) {
  run(*state, "eq(json.encode({b = 1, a = {z = true, y = false}, c = 'x'}),\n"
              "   '{\"a\":{\"y\":false,\"z\":true},\"b\":1,\"c\":\"x\"}')\n"
              "eq(json.encode({'a', 'b', {1, 2}}), '[\"a\",\"b\",[1,2]]')\n"
              "eq(json.encode({B = 1, a = 2, ['_'] = 3, ['10'] = 4, ['9'] = 5}),\n"
              "   '{\"10\":4,\"9\":5,\"B\":1,\"_\":3,\"a\":2}')\n"
              "eq(json.encode({x = 1}, {sort_keys = false}), '{\"x\":1}')\n"
              "local t = json.decode(json.encode({k1 = 1, k2 = 2, k3 = 3}, {sort_keys = "
              "false}))\n"
              "eq(t.k1 + t.k2 + t.k3, 6)\n"
              "eq(json.encode('s'), '\"s\"') eq(json.encode(true), 'true')\n");
}

static void encode_pretty_indents_with_two_spaces(void **state) {
  run(*state, "local text = json.encode({name = 'fn', tags = {'a', 'b'}, env = {},\n"
              "  list = json.array(), nested = {deep = {1}}}, {pretty = true})\n"
              "eq(text, '{\\n'\n"
              "  .. '  \"env\": {},\\n'\n"
              "  .. '  \"list\": [],\\n'\n"
              "  .. '  \"name\": \"fn\",\\n'\n"
              "  .. '  \"nested\": {\\n'\n"
              "  .. '    \"deep\": [\\n'\n"
              "  .. '      1\\n'\n"
              "  .. '    ]\\n'\n"
              "  .. '  },\\n'\n"
              "  .. '  \"tags\": [\\n'\n"
              "  .. '    \"a\",\\n'\n"
              "  .. '    \"b\"\\n'\n"
              "  .. '  ]\\n'\n"
              "  .. '}')\n"
              "eq(json.encode({}, {pretty = true}), '{}')\n"
              "eq(json.encode(5, {pretty = true}), '5')\n");
}

static void empty_tables_are_objects_unless_marked_as_arrays(void **state) {
  run(*state, "eq(json.encode({}), '{}')\n"
              "eq(json.encode(json.array({})), '[]')\n"
              "eq(json.encode(json.array()), '[]')\n"
              "eq(json.encode({list = json.array({1, 2})}), '{\"list\":[1,2]}')\n"
              "eq(json.encode(json.object({'a', 'b'})), '{\"1\":\"a\",\"2\":\"b\"}')\n"
              "eq(json.encode(json.object()), '{}')\n"
              "local t = json.array({}) eq(json.array(t), t)\n"
              "eq(json.encode(json.object(t)), '{}')\n"
              "eq(json.encode({[1] = 'a', [3] = 'c'}), '{\"1\":\"a\",\"3\":\"c\"}')\n"
              "eq(json.encode({[1] = 'a', x = 'b'}), '{\"1\":\"a\",\"x\":\"b\"}')\n"
              "eq(json.encode(setmetatable({}, {__jsontype = 'array'})), '[]')\n"
              "local ok, msg = pcall(json.array, setmetatable({}, {}))\n"
              "eq(ok, false) assert(msg:find('already has a metatable'), msg)\n"
              "eq(pcall(json.array, 5), false)\n"
              "eq(fails(json.array({1, nil, 3})), \"cannot encode '$': a json.array "
              "table has keys other than 1..n\")\n"
              "eq(fails(json.array({x = 1})), \"cannot encode '$': a json.array table "
              "has keys other than 1..n\")\n");
}

static void decoded_empty_arrays_encode_back_as_arrays(void **state) {
  run(*state,
      "for _, text in ipairs({'[]', '{}', '{\"a\":[],\"b\":{},\"c\":[[]]}', "
      "'[{},[],null]',\n"
      "    '{\"n\":-12,\"f\":0.5,\"s\":\"\\\\u0001\\\\n\\\\\"\",\"t\":true}'}) do\n"
      "  local sorted = json.encode(json.decode(text))\n"
      "  eq(json.encode(json.decode(sorted)), sorted, text)\n"
      "end\n"
      "eq(json.encode(json.decode('{\"b\":[],\"a\":{}}')), '{\"a\":{},\"b\":[]}')\n");
}

static void integers_print_exactly_and_floats_round_trip(void **state) {
  run(*state,
      "eq(json.encode(1), '1') eq(json.encode(-42), '-42')\n"
      "eq(json.encode(math.maxinteger), '9223372036854775807')\n"
      "eq(json.encode(math.mininteger), '-9223372036854775808')\n"
      "eq(json.encode(9007199254740993), '9007199254740993')\n"
      "eq(json.encode(1.5), '1.5') eq(json.encode(0.1), '0.1')\n"
      "eq(json.encode(1/3), '0.3333333333333333')\n"
      "eq(json.encode(2/3), '0.6666666666666666')\n"
      "eq(json.encode(3.0), '3') eq(json.encode(-0.0), '-0')\n"
      "eq(json.encode(1e300), '1e+300') eq(json.encode(1.25e-7), '1.25e-07')\n"
      "eq(json.encode(2^63), '9.223372036854776e+18')\n"
      "for _, x in ipairs({0.1, 1/3, 2/3, 1e-300, 123456.789, math.pi, 2^-1074}) do\n"
      "  eq(json.decode(json.encode(x)), x, tostring(x))\n"
      "end\n"
      "eq(fails(0/0), \"cannot encode '$': NaN and infinity are not JSON\")\n"
      "eq(fails({x = {1/0}}), \"cannot encode '$.x[1]': NaN and infinity are not "
      "JSON\")\n");
}

static void strings_are_escaped_and_utf8_passes_through(void **state) {
  run(*state,
      "eq(json.encode('a\"b\\\\c/d'), '\"a\\\\\"b\\\\\\\\c/d\"')\n"
      "eq(json.encode('\\n\\r\\t\\b\\f'), '\"\\\\n\\\\r\\\\t\\\\b\\\\f\"')\n"
      "eq(json.encode('\\1\\31\\127'), '\"\\\\u0001\\\\u001f\\127\"')\n"
      "eq(json.encode('h\\u{e9}llo \\u{2713} \\u{1F600}'), '\"h\\u{e9}llo \\u{2713} "
      "\\u{1F600}\"')\n"
      "eq(json.decode(json.encode('\\1\\31 \\u{1F600}')), '\\1\\31 \\u{1F600}')\n");
}

static void invalid_utf8_is_an_error_not_garbage(void **state) {
  run(*state,
      "eq(fails('ab\\xff'), \"cannot encode '$': invalid UTF-8 in string at byte 3\")\n"
      "eq(fails({msg = 'ok\\xc3'}), \"cannot encode '$.msg': invalid UTF-8 in string at "
      "byte 3\")\n"
      "eq(fails('\\xc0\\xaf'), \"cannot encode '$': invalid UTF-8 in string at byte "
      "1\")\n"
      "eq(fails('\\xed\\xa0\\x80'), \"cannot encode '$': invalid UTF-8 in string at byte "
      "1\")\n"
      "eq(fails('\\xf4\\x90\\x80\\x80'), \"cannot encode '$': invalid UTF-8 in string at "
      "byte 1\")\n"
      "eq(fails({['k\\xff'] = 1}), \"cannot encode '$': invalid UTF-8 in key at byte "
      "2\")\n"
      "eq(fails('a\\0b'), \"cannot encode '$': string contains a NUL byte\")\n");
}

static void unencodable_values_return_nil_and_a_path(void **state) {
  run(*state,
      "local t = {} t.self = t\n"
      "eq(fails(t), \"cannot encode '$.self': the table contains itself (a cycle)\")\n"
      "local a = {} a[1] = {a}\n"
      "eq(fails(a), \"cannot encode '$[1][1]': the table contains itself (a cycle)\")\n"
      "eq(fails({f = print}), \"cannot encode '$.f': values of type 'function' are not "
      "JSON\")\n"
      "eq(fails({Tags = {{Key = io.stdout}}}),\n"
      "   \"cannot encode '$.Tags[1].Key': values of type 'userdata' are not JSON\")\n"
      "eq(fails({['a b'] = {coroutine.create(print)}}),\n"
      "   \"cannot encode '$[\\\"a b\\\"][1]': values of type 'thread' are not JSON\")\n"
      "eq(fails({[true] = 1}), \"cannot encode '$': keys must be strings or integers, "
      "got a boolean\")\n"
      "eq(fails({x = {[1.5] = 1}}), \"cannot encode '$.x': keys must be strings or "
      "integers, got 1.5\")\n"
      "eq(fails({[1] = 'a', ['1'] = 'b'}), \"cannot encode '$': keys 1 and \\\"1\\\" "
      "collide\")\n"
      "eq(fails({[1] = 'a', ['1'] = 'b'}, {sort_keys = false}),\n"
      "   \"cannot encode '$': keys 1 and \\\"1\\\" collide\")\n"
      "local shared = {1}\n"
      "eq(json.encode({a = shared, b = shared}), '{\"a\":[1],\"b\":[1]}')\n"
      "eq(pcall(json.encode), false)\n"
      "eq(pcall(json.encode, 1, 'pretty'), false)\n");
}

static void nesting_is_limited_both_ways(void **state) {
  run(*state,
      "local function nest(n) local t = {} for _ = 2, n do t = {t} end return t end\n"
      "local ok = json.encode(nest(512))\n"
      "eq(#ok, 1024)\n" /* 511 '[', then '{}', then 511 ']' */
      "eq(fails(nest(513)), \"cannot encode '\" .. ('$' .. ('[1]'):rep(512)):sub(1, "
      "255)\n"
      "   .. \"': nesting deeper than 512 levels\")\n"
      "eq(#json.encode(json.decode(('['):rep(512) .. (']'):rep(512))), 1024)\n"
      "eq(bad(('['):rep(513) .. (']'):rep(513)),\n"
      "   'invalid JSON at line 1 col 513: nesting deeper than 512 levels')\n");
}

static void brackets_inside_strings_do_not_count_as_nesting(void **state) {
  run(*state, "local s = ('['):rep(600) .. '\\\\\"{'\n"
              "eq(json.decode(json.encode({s}))[1], s)\n");
}

/* ---- the C helpers ---- */

static void to_cjson_sorts_keys_and_keeps_big_integers_exact(void **state) {
  lua_State *L = *state;
  run(L, "V = {z = 1, a = {2.5, 'x', json.null, false}, big = math.maxinteger, e = {}}");
  lua_getglobal(L, "V");
  rb_error err;
  rb_error_clear(&err);
  cJSON *j = rb_lua_to_cjson(L, -1, &err);
  assert_non_null(j);
  assert_int_equal(lua_gettop(L), 1);
  char *text = cJSON_PrintUnformatted(j);
  assert_string_equal(text,
                      "{\"a\":[2.5,\"x\",null,false],\"big\":9.2233720368547758e+18,"
                      "\"e\":{},\"z\":1}");
  cJSON_free(text);
  /* cJSON prints the nearest double; the exact digits ride along for json.encode */
  const cJSON *big = cJSON_GetObjectItem(j, "big");
  assert_true(cJSON_IsNumber(big));
  assert_string_equal(big->valuestring, "9223372036854775807");
  /* and back: the exact digits win over the rounded double */
  rb_lua_push_cjson(L, big);
  assert_true(lua_isinteger(L, -1));
  assert_true(lua_tointeger(L, -1) == LUA_MAXINTEGER);
  lua_settop(L, 0);
  cJSON_Delete(j);
}

static void to_cjson_reports_errors_without_raising(void **state) {
  lua_State *L = *state;
  run(L, "V = {ok = 1, Params = {Name = print}}");
  lua_getglobal(L, "V");
  rb_error err;
  rb_error_clear(&err);
  assert_null(rb_lua_to_cjson(L, 1, &err));
  assert_string_equal(err.code, "InvalidJSONValue");
  assert_string_equal(
      err.message,
      "cannot encode '$.Params.Name': values of type 'function' are not JSON");
  assert_int_equal(lua_gettop(L), 1);
  lua_settop(L, 0);
}

static void push_cjson_builds_tables_with_the_null_sentinel(void **state) {
  lua_State *L = *state;
  cJSON *j = cJSON_Parse("{\"Functions\":[{\"FunctionName\":\"f\",\"Timeout\":3,"
                         "\"MemorySize\":128.5,\"Layers\":[],\"Role\":null}]}");
  assert_non_null(j);
  rb_lua_push_cjson(L, j);
  lua_setglobal(L, "V");
  rb_lua_push_cjson(L, NULL);
  assert_true(lua_isnil(L, -1));
  lua_pop(L, 1);
  cJSON_Delete(j);
  run(L, "local f = V.Functions[1]\n"
         "eq(f.FunctionName, 'f') eq(math.type(f.Timeout), 'integer')\n"
         "eq(f.MemorySize, 128.5) eq(f.Role, json.null) eq(#f.Layers, 0)\n"
         "eq(json.encode(f), '{\"FunctionName\":\"f\",\"Layers\":[],\"MemorySize\":128.5,"
         "\"Role\":null,\"Timeout\":3}')\n");
  rb_lua_push_json_null(L);
  assert_true(rb_lua_is_json_null(L, -1));
  lua_newtable(L);
  assert_false(rb_lua_is_json_null(L, -1));
  lua_settop(L, 0);
}

/* ---- memory errors ---- */

static long lua_budget = -1, cjson_budget = -1; /* allocations left; -1 = unlimited */

static void *limited_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if ((!ptr || nsize > osize) && lua_budget >= 0) {
    if (lua_budget == 0)
      return NULL; /* stays exhausted, even for Lua's retry after an emergency GC */
    lua_budget--;
  }
  return realloc(ptr, nsize);
}

static void *limited_cjson_malloc(size_t n) {
  if (cjson_budget >= 0) {
    if (cjson_budget == 0)
      return NULL;
    cjson_budget--;
  }
  return malloc(n);
}

static const char roundtrip_chunk[] =
    "local doc = {Functions = {}, Marker = json.null, Big = 1 << 53}\n"
    "for i = 1, 20 do\n"
    "  doc.Functions[i] = {FunctionName = 'fn-' .. i, Timeout = i, Ratio = i / 7,\n"
    "    Layers = json.array(), Tags = {team = 'sre', ['k' .. i] = 'v'}}\n"
    "end\n"
    "local text, err = json.encode(doc, {pretty = true})\n"
    "if not text then return err.code end\n"
    "local back, derr = json.decode(text)\n"
    "if not back then return derr.code end\n"
    "local again, aerr = json.encode(back, {pretty = true})\n"
    "if not again then return aerr.code end\n"
    "return again == text and 'same' or 'differs'\n";

/* Runs the chunk with allocations failing after `n` of them; returns its result or "". */
static const char *run_with_budget(lua_State *L, long n, long *lua_left, char *out,
                                   size_t size) {
  lua_settop(L, 0);
  if (luaL_loadstring(L, roundtrip_chunk) != LUA_OK)
    fail_msg("%s", lua_tostring(L, -1));
  *lua_left = n;
  int rc = lua_pcall(L, 0, 1, 0);
  lua_budget = cjson_budget = -1;
  snprintf(out, size, "%s",
           rc == LUA_OK && lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT);
  return out;
}

static lua_State *limited_state(void) {
  lua_State *L = lua_newstate(limited_lua_alloc, NULL);
  luaL_openlibs(L);
  luaL_requiref(L, "runbook.json", luaopen_runbook_json, 0);
  lua_setglobal(L, "json");
  return L;
}

/* Every allocation that can fail does, one at a time: Lua raises a memory error (the
 * sanitizer/valgrind runs prove nothing leaks) until the budget suffices. */
static void lua_memory_errors_leak_nothing(void **state) {
  (void)state;
  lua_State *L = limited_state();
  char out[32] = "";
  long n = 0;
  for (; n < 100000; n++)
    if (strcmp(run_with_budget(L, n, &lua_budget, out, sizeof out), "") != 0)
      break;
  assert_string_equal(out, "same");
  assert_true(n > 50); /* the failures did happen along the way */
  lua_close(L);
}

/* cJSON running out of memory is an expected failure: nil, err, never a raise. */
static void cjson_memory_errors_return_errors(void **state) {
  (void)state;
  cJSON_Hooks hooks = {limited_cjson_malloc, free};
  cJSON_InitHooks(&hooks);
  lua_State *L = limited_state();
  char out[32] = "";
  long n = 0;
  for (; n < 100000; n++) {
    run_with_budget(L, n, &cjson_budget, out, sizeof out);
    if (strcmp(out, "same") == 0)
      break;
    if (strcmp(out, "OutOfMemory") != 0 && strcmp(out, "InvalidJSON") != 0)
      fail_msg("budget %ld: got '%s'", n, out);
  }
  cJSON_InitHooks(NULL);
  assert_string_equal(out, "same");
  assert_true(n > 50);
  lua_close(L);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(decode_maps_objects_arrays_and_scalars, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(decode_keeps_integers_and_floats_apart, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(null_is_one_read_only_sentinel, setup, teardown),
      cmocka_unit_test_setup_teardown(errors_have_the_shape_of_every_core_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(decode_errors_name_line_and_column, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(decode_raises_only_on_a_wrong_argument_type, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(encode_sorts_keys_and_writes_compact_text, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(encode_pretty_indents_with_two_spaces, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(empty_tables_are_objects_unless_marked_as_arrays,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(decoded_empty_arrays_encode_back_as_arrays, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(integers_print_exactly_and_floats_round_trip, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(strings_are_escaped_and_utf8_passes_through, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(invalid_utf8_is_an_error_not_garbage, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(unencodable_values_return_nil_and_a_path, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(nesting_is_limited_both_ways, setup, teardown),
      cmocka_unit_test_setup_teardown(brackets_inside_strings_do_not_count_as_nesting,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(to_cjson_sorts_keys_and_keeps_big_integers_exact,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(to_cjson_reports_errors_without_raising, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(push_cjson_builds_tables_with_the_null_sentinel,
                                      setup, teardown),
      cmocka_unit_test(lua_memory_errors_leak_nothing),
      cmocka_unit_test(cjson_memory_errors_return_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
