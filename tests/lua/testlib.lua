--- testlib: a small test runner for pure-Lua modules, run by the runbook binary itself.
--
--   local t = require("testlib")
--   t.test("arn builds with the partition", function()
--     t.eq(arn.build{ partition = "aws-cn", ... }, "arn:aws-cn:...")
--   end)
--   return t.run()   -- exit code: 0 when every test passed, 1 otherwise
--
-- Each tests/lua/test_*.lua file is one ctest (tests/cmake/lua.cmake). An assertion that
-- fails prints both sides and the test's name; the run ends with "N passed, N failed".
local M = {}

local cases = {}

--- Registers a test: name says the behaviour, fn raises on failure.
function M.test(name, fn)
  cases[#cases + 1] = { name = name, fn = fn }
end

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) ~= "table" or depth > 3 then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = ("[%s]=%s"):format(show(k, depth + 1), show(v[k], depth + 1))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end
M.show = show

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_equal = deep_equal

--- Fails unless got equals want (deeply, for tables).
function M.eq(got, want, what)
  if not deep_equal(got, want) then
    error(("%sexpected %s\n       got %s"):format(what and (what .. ": ") or "", show(want),
      show(got)), 2)
  end
end

--- Fails unless v is truthy.
function M.ok(v, what)
  if not v then error(("expected a true value%s, got %s"):format(
    what and (" (" .. what .. ")") or "", show(v)), 2) end
  return v
end

--- Fails unless the string s contains needle (plain text).
function M.contains(s, needle)
  if type(s) ~= "string" or not s:find(needle, 1, true) then
    error(("expected %s to contain %s"):format(show(s), show(needle)), 2)
  end
end

--- Fails unless fn raises an error whose message contains needle.
function M.raises(fn, needle)
  local ok, err = pcall(fn)
  if ok then error("expected an error containing " .. show(needle) .. ", none raised", 2) end
  if needle and not tostring(err):find(needle, 1, true) then
    error(("expected an error containing %s, got %s"):format(show(needle), show(tostring(err))), 2)
  end
end

--- Runs every registered test (each in its own runbook task, so AWS calls may yield).
--- Returns the process exit code.
function M.run()
  local passed, failed = 0, 0
  for _, c in ipairs(cases) do
    local ok, err = xpcall(c.fn, debug.traceback)
    if ok then
      passed = passed + 1
      io.stdout:write("ok   ", c.name, "\n")
    else
      failed = failed + 1
      io.stdout:write("FAIL ", c.name, "\n  ", tostring(err):gsub("\n", "\n  "), "\n")
    end
  end
  io.stdout:write(("%d passed, %d failed\n"):format(passed, failed))
  return failed == 0 and 0 or 1
end

return M
