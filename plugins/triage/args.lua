--- triage.args: step arguments from the runbook file and `--arg step.key=value`, typed by
--- the step's declared defaults.
--
--   local args = require("triage.args")
--   local sets, err = args.parse({ "timeout.margin=0.7" })   -- { {id, key, text, flag} }
--   local value, err = args.convert(sets[1], 0.8)             -- 0.7
--
-- A value takes the type of the argument's default: a number, a boolean (true or false),
-- a string, or a table (JSON on the command line). An argument whose default is nil takes
-- the text as it is. Errors are one line naming the flag as written:
-- `--arg timeout.margin=abc: margin of step 'timeout' is a number`. Pure: no I/O, no AWS.
local json = require("runbook.json")

local M = {}

local TYPES = {
  number = "a number", boolean = "a boolean (true or false)", string = "a string",
  table = "a table (JSON on the command line)",
}

--- What a default's type reads as in a message: "a number".
function M.type_name(default)
  return TYPES[type(default)] or ("a " .. type(default))
end

--- Parses the --arg values: { {id, key, text, flag}, ... } | nil, message.
function M.parse(list)
  local out = {}
  for _, raw in ipairs(list or {}) do
    local id, key, text = raw:match("^([%w_%-]+)%.([%w_]+)=(.*)$")
    if not id then
      return nil, ("--arg %s: give step.key=value (e.g. --arg timeout.margin=0.7)"):format(raw)
    end
    out[#out + 1] = { id = id, key = key, text = text, flag = "--arg " .. raw }
  end
  return out
end

--- The value of one --arg for an argument whose default is `default`: value | nil, message.
function M.convert(set, default)
  local kind, value = type(default), set.text
  if kind == "number" then
    value = tonumber(set.text)
  elseif kind == "boolean" then
    value = ({ ["true"] = true, ["false"] = false })[set.text]
  elseif kind == "table" then
    value = json.decode(set.text)
    if type(value) ~= "table" then value = nil end
  end
  if value == nil then
    return nil, ("%s: %s of step '%s' is %s"):format(set.flag, set.key, set.id,
      M.type_name(default))
  end
  return value
end

--- Whether a runbook's value fits the declared default: nil, or the problem in words.
function M.check(default, value)
  if default == nil or value == nil or type(default) == type(value) then return nil end
  return ("is %s, not %s"):format(M.type_name(default), TYPES[type(value)] or type(value))
end

--- The keys of a table, sorted as text (a runbook entry's overrides, in a stable order).
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

--- The sorted names of a step's arguments, "none" when it has none.
function M.names(step)
  local names = {}
  for k in pairs(step.args or {}) do names[#names + 1] = tostring(k) end
  table.sort(names)
  return #names > 0 and table.concat(names, ", ") or "none"
end

return M
