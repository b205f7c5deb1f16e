--- `runbook journal [--run RUN] [--function FN] [--last N] [--format text|json]`: lists
--- the remediation journal, one line per write, grouped by run and by the finding fixed.
--
-- The journal (docs/journal.md) is what `runbook undo` works from, so an operator needs to
-- read it without opening JSON by hand: which entry changed what, from which value to
-- which, whether it was applied, and what undid it. Records come from runbook.journal
-- (one per write, its "send" and "result" lines folded together); a line that does not
-- parse is named in a one-line warning on stderr and skipped, never fatal. A journal that
-- does not exist yet is said so in one line (exit 0): nothing has been changed.
--
-- Text output (stdout):
--   run 20261206T092752Z-3921
--     [timeout] 12 invocations timed out at the 3 s timeout (p99 3 s)
--       20261206T092752Z-3921.2  2026-12-06T09:27:52Z  report-builder  lambda
--       UpdateFunctionConfiguration  Timeout: 3 -> 6  applied  undone by ...   (one line)
-- JSON output: the records as one array.
--
-- Exit codes: 0 listed (also an empty or missing journal), 2 usage or an unknown --run.
local fstate = require("fix.state")
local journal = require("runbook.journal")
local json = require("runbook.json")
local text = require("lib.text")

local usage = "usage: runbook journal [--run RUN] [--function FN] [--last N] [--format text|json]"
local help = usage .. [[


Lists the changes runbook made (--fix, remediation runbooks, undo), one line each: entry id,
time, function, call, change (before -> after), outcome (applied, failed, not_sent,
unknown) and what undid it; grouped by run and finding. Undo one with
`runbook undo ENTRY`, the latest with `runbook undo --last`, a run with `--run RUN`.

  --run RUN         only the entries of run RUN
  --function FN     only the changes to function FN
  --last N          only the last N entries (after the filters above)
  --format json     the records as one JSON array

The journal is --journal FILE, else $XDG_STATE_HOME/runbook/journal.jsonl.
exit codes: 0 listed, 2 usage or an unknown run]]

local VALUE_WIDTH = 48  -- one value of a change, cut to this many bytes
local CHANGE_WIDTH = 160 -- the whole change column

local function fail(fmt, ...)
  io.stderr:write("runbook journal: ", fmt:format(...), "\n")
  return 2
end

local function parse(args)
  local o = { format = "text" }
  local takes = { ["--run"] = "run", ["--function"] = "fn", ["--last"] = "last",
                  ["--format"] = "format" }
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, value = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if a == "--help" or a == "-h" then
      return nil, "help"
    elseif takes[name] then
      if value == nil then
        i = i + 1
        value = args[i]
        if value == nil then return nil, ("missing value for %s"):format(name) end
      end
      o[takes[name]] = value
    else
      return nil, ("unknown argument '%s'"):format(a)
    end
    i = i + 1
  end
  if o.format ~= "text" and o.format ~= "json" then
    return nil, ("--format must be text or json, not '%s'"):format(o.format)
  end
  if o.last then
    local n = math.tointeger(tonumber(o.last))
    if not n or n < 1 then return nil, ("--last needs a count >= 1, not '%s'"):format(o.last) end
    o.last = n
  end
  return o
end

local function is_set(v)
  return v ~= nil and v ~= json.null
end

local function function_of(r)
  local p = type(r.params) == "table" and r.params or {}
  local fn = r["function"]
  if not is_set(fn) then fn = p.FunctionName end
  return is_set(fn) and tostring(fn) or "-"
end

--- The change a record makes, short: "MemorySize: 256 -> 512, Timeout: 3 -> 6".
local function change_of(r)
  local before = type(r.before) == "table" and r.before or {}
  local after = type(r.after) == "table" and r.after or {}
  local names, seen = {}, {}
  for _, t in ipairs({ after, before }) do
    for _, k in ipairs(fstate.fields(t)) do
      if not seen[k] then
        seen[k] = true
        names[#names + 1] = k
      end
    end
  end
  table.sort(names)
  local parts = {}
  for _, k in ipairs(names) do
    parts[#parts + 1] = ("%s: %s -> %s"):format(k, text.clip(fstate.show(before[k]), VALUE_WIDTH),
      text.clip(fstate.show(after[k]), VALUE_WIDTH))
  end
  if #parts == 0 then return "-" end
  return text.clip(table.concat(parts, ", "), CHANGE_WIDTH)
end

local function outcome_of(r)
  local out = tostring(r.outcome)
  if type(r.error) == "table" and is_set(r.error.code) then
    out = out .. " (" .. tostring(r.error.code) .. ")"
  end
  if is_set(r.undoes) then out = out .. "  undoes " .. tostring(r.undoes) end
  if r.undone_by then out = out .. "  undone by " .. tostring(r.undone_by) end
  return out
end

local function finding_of(r)
  local f = type(r.finding) == "table" and r.finding or {}
  local title = is_set(f.title) and tostring(f.title) or "(no finding)"
  if is_set(f.step) then return ("[%s] %s"):format(tostring(f.step), title) end
  return title
end

--- One line per record: "ENTRY  TIME  FUNCTION  SERVICE OPERATION  CHANGE  OUTCOME".
local function line_of(r)
  return ("%s  %s  %s  %s %s  %s  %s"):format(tostring(r.entry), tostring(r.time or "-"),
    function_of(r), tostring(r.service or "?"), tostring(r.operation or "?"), change_of(r),
    outcome_of(r))
end

local function text_report(records)
  local out, run, finding = {}, nil, nil
  for _, r in ipairs(records) do
    if r.run ~= run then
      run, finding = r.run, nil
      out[#out + 1] = "run " .. tostring(run)
    end
    local f = finding_of(r)
    if f ~= finding then
      finding = f
      out[#out + 1] = "  " .. f
    end
    out[#out + 1] = "    " .. line_of(r)
  end
  return table.concat(out, "\n")
end

local function main(...)
  local o, err = parse({ ... })
  if not o then
    if err == "help" then
      io.stdout:write(help, "\n")
      return 0
    end
    io.stderr:write("runbook journal: ", err, "\n", usage, "\n")
    return 2
  end
  local records, problems, path, exists = journal.entries()
  if not records then return fail("%s", table.concat(problems or {}, "; ")) end
  if not exists then
    if o.format == "json" then io.stdout:write("[]\n") end
    io.stderr:write(("runbook journal: no journal at %s: nothing has been changed yet\n"):format(path))
    return 0
  end
  for _, p in ipairs(problems or {}) do io.stderr:write("runbook journal: warning: ", p, "\n") end
  local known_run = false
  local picked = {}
  for _, r in ipairs(records) do
    if o.run and r.run == o.run then known_run = true end
    if (not o.run or r.run == o.run) and (not o.fn or function_of(r) == o.fn) then
      picked[#picked + 1] = r
    end
  end
  if o.run and not known_run then
    return fail("no run '%s' in %s (`runbook journal` lists the runs)", o.run, path)
  end
  if o.last and #picked > o.last then
    picked = table.move(picked, #picked - o.last + 1, #picked, 1, {})
  end
  if o.format == "json" then
    io.stdout:write(json.encode(json.array(picked), { pretty = true }), "\n")
  elseif #picked == 0 then
    io.stdout:write(("no entries%s in %s\n"):format(o.fn and (" for function " .. o.fn) or "", path))
  else
    io.stdout:write(text_report(picked), "\n")
  end
  return 0
end

return main(...)
