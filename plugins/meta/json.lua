---@meta runbook.json
-- LuaCATS stub for the C module `runbook.json` (core/l_json.c): editors read it for
-- completion and type checks; it is never executed. Also available as the global `json`.
--
-- Mapping between JSON and Lua:
--   object  <-> table with string keys (integer keys are written as decimal strings)
--   array   <-> sequence 1..n; decoded arrays are marked with json.array, so an empty one
--               encodes back as `[]` (an unmarked empty table encodes as `{}`)
--   null    <-> json.null
--   number  <-> integer when integral and within ±2^53, float otherwise
--   string  <-> string (valid UTF-8, no NUL bytes)
-- A metatable field `__jsontype = "array"` or `"object"` forces a table's shape. Tables
-- are read raw (no __index / __pairs). Nesting is limited to 512 levels.

---@class runbook.json.error
---@field code string    "InvalidJSON" (decode), "InvalidJSONValue" (encode) or "OutOfMemory"
---@field message string  e.g. "invalid JSON at line 2 col 8: unexpected character '}'"

---@class runbook.json.null
---The JSON null sentinel: one read-only table per Lua state; `tostring(json.null)` is "null".

---@class runbook.json.encode_options
---@field pretty? boolean     indent with two spaces, one member or element per line (default false)
---@field sort_keys? boolean  write object members in byte-wise key order (default true)

-- luacheck: no unused args
local json = {}

---The value JSON null decodes to; encode it to write `null` (e.g. inside arrays).
---@type runbook.json.null
json.null = {}

---Parses JSON text. Bad input is an expected failure: returns nil and an error table whose
---message names the line and column. Raises only when `text` is not a string.
---Strings must be valid UTF-8 without `\u0000`.
---@param text string
---@return any|nil value  table, string, number, boolean or json.null
---@return runbook.json.error|nil err
function json.decode(text) end

---Writes a Lua value as JSON text: compact by default, keys sorted (deterministic output).
---Integers print without ".0"; floats print in the shortest form that reads back exactly.
---Functions, userdata, threads, NaN/infinity, invalid UTF-8, keys that are neither strings
---nor integers, cycles and too deep nesting return nil and an error whose message gives
---the path, e.g. "cannot encode '$.Tags[2]': values of type 'function' are not JSON".
---Raises only when `opts` is given and is not a table.
---@param value any
---@param opts? runbook.json.encode_options
---@return string|nil text
---@return runbook.json.error|nil err
function json.encode(value, opts) end

---Marks `t` (or a new empty table) to encode as a JSON array, so that an empty table
---writes `[]`. The table must have keys 1..n only and no metatable of its own (raises
---otherwise for the metatable). Returns `t`.
---@generic T: table
---@param t? T
---@return T
function json.array(t) end

---Marks `t` (or a new empty table) to encode as a JSON object even when its keys are
---1..n (they become "1".."n"). The table must have no metatable of its own. Returns `t`.
---@generic T: table
---@param t? T
---@return T
function json.object(t) end

return json
