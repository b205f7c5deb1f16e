--- triage.catalog: every step discovery finds, for `runbook list`, `runbook show` and
--- `--steps` expressions that name steps a runbook does not list.
--
--   local catalog = require("triage.catalog")
--   local cat = catalog.scan()            -- every steps/*.lua of every package.path dir
--   for _, e in ipairs(cat.entries) do print(e.id, e.file, e.wins) end
--   local e = cat.by_id.timeout           -- the file `require("steps.timeout")` loads
--
-- The search order is package.path's, which the core's discovery builds (--plugins,
-- RUNBOOK_PATH, the runbook's own directory, a trusted ./.runbook, the XDG directory, then
-- the built-ins; each entry's `origin` says which, from package.loaded["runbook.discovery"]);
-- within a directory, file names sort.
-- A step id found in several directories is one step: the first file wins (the one
-- `require` loads, so the engine runs exactly what is listed) and the others are marked
-- overridden. The winner is loaded with `require`, so a run that goes on to use it
-- loads it once; an overridden file is loaded from its path. A file that fails to load or
-- is not a step is listed with its problem, never raised. The scan is `scan_dirs`: one
-- function, so discovery with trust can change where it looks in one place.
local fs = require("runbook.fs")
local evidence = require("triage.evidence")

local unique = require("lib.text").unique

local M = {}

--- The directories of a package.path, in search order, each once: "A/?.lua;B/?.lua" -> {A, B}.
function M.dirs(path)
  local out, seen = {}, {}
  for template in (path or package.path):gmatch("[^;]+") do
    local dir = template:match("^(.*)/%?%.lua$")
    if dir and not seen[dir] then
      seen[dir] = true
      out[#out + 1] = dir
    end
  end
  return out
end

-- dir -> how discovery found it ("--plugins", "builtin", ...), when the core says.
local function origins()
  local found = package.loaded["runbook.discovery"]
  local out = {}
  for _, d in ipairs(type(found) == "table" and found.dirs or {}) do out[d.path] = d.origin end
  return out
end

--- Every steps/*.lua of the directories, in search order: { {id, file, dir, origin}, ... }.
function M.scan_dirs(dirs)
  local out, origin = {}, origins()
  for _, dir in ipairs(dirs) do
    local names = fs.files(dir .. "/steps") or {}
    table.sort(names)
    for _, name in ipairs(names) do
      local id = name:match("^(.+)%.lua$")
      if id and not id:find(".", 1, true) then
        out[#out + 1] = { id = id, file = dir .. "/steps/" .. name, dir = dir,
                          origin = origin[dir] }
      end
    end
  end
  return out
end

-- What is wrong with a loaded step table, or nil.
local function problem_of(entry, step)
  if type(step) ~= "table" then return "it returned " .. type(step) .. ", not a table" end
  if step.id ~= entry.id then
    return ("its id is '%s', not '%s' (the file name)"):format(tostring(step.id), entry.id)
  end
  if type(step.title) ~= "string" then return "it has no title" end
  if type(step.run) ~= "function" then return "it has no run function" end
  return nil
end

-- "error loading module 'x' from file 'f':\n\tf:3: boom" -> "f:3: boom"
local function one_line(msg)
  msg = tostring(msg)
  return msg:match("\n%s*([^\n]+)$") or msg
end

local function load_entry(entry)
  local ok, step
  if entry.wins then
    ok, step = pcall(require, "steps." .. entry.id)
  else
    local chunk, err = loadfile(entry.file, "t")
    if not chunk then
      ok, step = false, err
    else
      ok, step = pcall(chunk, "steps." .. entry.id, entry.file)
    end
  end
  if not ok then
    entry.problem = "failed to load: " .. one_line(step)
    return
  end
  entry.problem = problem_of(entry, step)
  if not entry.problem then entry.step = step end
end

--- Scans and loads every discoverable step. -> {
---   entries = { {id, file, dir, origin, wins, overridden_by, overrides = {file...}, step,
---                problem} },
---   by_id = { id -> the winning entry }, order = { ids in discovery order } }
function M.scan(path)
  path = path or package.path
  local entries = M.scan_dirs(M.dirs(path))
  local by_id, order = {}, {}
  for _, e in ipairs(entries) do
    local winner = by_id[e.id]
    if not winner then
      local found = package.searchpath("steps." .. e.id, path)
      e.wins = found == e.file
      e.overrides = {}
      if e.wins then
        by_id[e.id] = e
        order[#order + 1] = e.id
      else
        e.overridden_by = found
      end
    else
      e.wins = false
      e.overridden_by = winner.file
      winner.overrides[#winner.overrides + 1] = e.file
    end
    load_entry(e)
  end
  return { entries = entries, by_id = by_id, order = order }
end


--- The AWS operations a step reads ("lambda GetFunctionConfiguration", ...): those of the
--- evidence its needs name, then any it declares itself in `reads`.
function M.reads(step)
  local out = {}
  for _, need in ipairs(step.needs or {}) do
    for _, op in ipairs(evidence.reads((evidence.parse_need(tostring(need))))) do
      out[#out + 1] = op
    end
  end
  for _, op in ipairs(type(step.reads) == "table" and step.reads or {}) do
    out[#out + 1] = op
  end
  return unique(out)
end

--- A step's arguments, sorted by name: { {name, default, type, help}, ... }.
function M.arguments(step)
  local out = {}
  for name, default in pairs(step.args or {}) do
    out[#out + 1] = { name = tostring(name), default = default, type = type(default),
                      help = step.arg_help and step.arg_help[name] }
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

--- One entry as plain data, for `runbook list` (brief) and `runbook show` (full):
--- { id, title, tags, source, origin, wins, overrides, overridden_by, error, and when full:
---   description, needs, arguments, reads, fixes (nil when the step declares none) }.
function M.describe(entry, full)
  local step = entry.step or {}
  local doc = {
    id = entry.id, title = step.title, source = entry.file, origin = entry.origin,
    wins = entry.wins == true,
    tags = type(step.tags) == "table" and step.tags or {}, overrides = entry.overrides or {},
    overridden_by = entry.overridden_by, error = entry.problem,
  }
  if full and entry.step then
    doc.description = step.description
    doc.needs = step.needs or {}
    doc.arguments = M.arguments(step)
    doc.reads = M.reads(step)
    doc.fixes = type(step.fixes) == "table" and step.fixes or nil
  end
  return doc
end

return M
