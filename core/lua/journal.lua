--- runbook.journal: the remediation journal, read back (docs/journal.md).
--
--   local journal = require("runbook.journal")
--   local entries, problems = journal.entries()        -- every write, oldest first
--   local last = journal.last_undoable()                -- what `runbook undo --last` takes
--
-- Writing is the apply path's alone (runbook.remedy, through runbook.fix_scope, which
-- checks the file's mode and keeps secrets out); this module only reads the run's journal
-- (--journal FILE or the default) and folds its lines into one record per write. It never
-- takes a path from its caller, so plugin code cannot use it to read other files.
local fix_scope = require("runbook.fix_scope")
local json = require("runbook.json")

local M = {}

M.VERSION = 1

--- The run's journal path, or nil, err.
function M.path()
  return fix_scope.journal_path()
end

--- Every line of the journal, decoded, oldest first: lines, problems, path, exists. A
--- missing journal is empty (exists false); a line that does not parse is skipped and
--- counted in problems (one line each, naming the line number), so one torn line never
--- hides the rest.
function M.lines()
  local path, err = M.path()
  if not path then return nil, { err.message } end
  local f = io.open(path, "r")
  if not f then return {}, {}, path, false end
  local out, problems, n = {}, {}, 0
  for line in f:lines() do
    n = n + 1
    local e = line ~= "" and json.decode(line)
    if type(e) == "table" and e.entry then
      out[#out + 1] = e
    elseif line ~= "" then
      problems[#problems + 1] = ("%s:%d: not a journal entry, skipped"):format(path, n)
    end
  end
  f:close()
  return out, problems, path, true
end

-- The outcome a later line gives wins; "sending" alone means the run never wrote back
-- (killed while the call was in flight): "unknown".
local FINAL = { applied = true, failed = true, not_sent = true, unknown = true, stale = true }

--- One record per write, oldest first: { entry, run, time, step, steps, outcome, service,
--- operation, params, before, after, read, undo, request_id, error, function, finding,
--- identity, account, region, plan_hash, undoes, undone_by }.
--- -> records, problems, path, exists (false: there is no journal yet)
function M.entries()
  local lines, problems, path, exists = M.lines()
  if not lines then return nil, problems end
  local by_id, order = {}, {}
  for _, e in ipairs(lines) do
    local r = by_id[e.entry]
    if not r then
      r = {}
      by_id[e.entry] = r
      order[#order + 1] = r
    end
    -- the "result" line completes the "send" line: its outcome, request id, error and
    -- resolved after/undo win; the send time stays the entry's time
    for k, v in pairs(e) do
      if k ~= "event" and (r[k] == nil or (e.event == "result" and k ~= "time")) then
        r[k] = v
      end
    end
    if e.event == "result" then r.time_done = e.time end
  end
  for _, r in ipairs(order) do
    if not FINAL[r.outcome] then r.outcome = "unknown" end
  end
  for _, r in ipairs(order) do
    local target = r.undoes and by_id[r.undoes]
    if target and r.outcome == "applied" then
      target.undone_by = r.entry
      -- undoing an undo re-applies the change that undo reversed: it is live again
      local first = target.undoes and by_id[target.undoes]
      if first and first.undone_by == target.entry then first.undone_by = nil end
    end
  end
  return order, problems, path, exists
end

--- The record of entry `id` (or nil).
function M.find(id)
  local entries, problems = M.entries()
  if not entries then return nil, problems end
  for _, r in ipairs(entries) do
    if r.entry == id then return r end
  end
  return nil
end

local function undoable(r)
  return r.outcome == "applied" and not r.undoes and not r.undone_by
end

--- The most recent applied change that is not an undo and not yet undone (`undo --last`),
--- or nil.
function M.last_undoable(entries)
  for i = #entries, 1, -1 do
    if undoable(entries[i]) then return entries[i] end
  end
  return nil
end

--- Every applied, not yet undone change of run `run`, newest first.
function M.of_run(entries, run)
  local out = {}
  for i = #entries, 1, -1 do
    local r = entries[i]
    if r.run == run and undoable(r) then out[#out + 1] = r end
  end
  return out
end

--- The journal's changes to one function (and alias) for scripts such as rollback:
--- applied records whose params name `fn` (and Name `alias` when given), newest first.
function M.history(fn, alias)
  local entries = M.entries() or {}
  local out = {}
  for i = #entries, 1, -1 do
    local r = entries[i]
    local p = r.params or {}
    if r.outcome == "applied" and (r["function"] == fn or p.FunctionName == fn)
        and (not alias or p.Name == alias) then
      out[#out + 1] = r
    end
  end
  return out
end

--- A copy of `params` fit for the journal: environment variable values and anything the
--- model marks secret are replaced by a marker ({"$secret": NAME} stays as the plan had it).
function M.scrub(params)
  if type(params) ~= "table" or params == json.null then return params end
  local out = {}
  for k, v in pairs(params) do
    if k == "Environment" and type(v) == "table" and type(v.Variables) == "table" then
      local vars = {}
      for name in pairs(v.Variables) do vars[name] = { ["$secret"] = name } end
      out[k] = { Variables = vars }
    else
      out[k] = M.scrub(v)
    end
  end
  return setmetatable(out, getmetatable(params))
end

--- True when a journaled value holds a secret marker (its real value was never written).
function M.has_secret(v)
  if type(v) ~= "table" or v == json.null then return false end
  if v["$secret"] ~= nil then return true end
  for _, x in pairs(v) do
    if M.has_secret(x) then return true end
  end
  return false
end

return M
