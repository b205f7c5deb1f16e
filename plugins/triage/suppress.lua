--- triage.suppress: known, accepted findings, read as data from a suppressions file
--- (docs/suppressions.md) and matched against findings.
--
-- A team that accepts a finding for a while (a batch job that is throttled on purpose)
-- says so in .runbook/suppressions.json, with a reason and an expiry date. A matching
-- finding is still reported, severity unchanged, but marked suppressed and left out of
-- the exit code. parse, split and match are pure (no I/O, the date is passed in), and a
-- subject is {step, function, account, region, title}, so a fleet triage can match each
-- function's findings with the same entries. read() is the one function that opens a file.
local json = require("runbook.json")
local lib_text = require("lib.text")

local M = {}

--- The file read when --suppressions is not given (relative to the current directory).
M.DEFAULT_FILE = ".runbook/suppressions.json"

-- field -> what it must be; every other key of an entry is an error
local FIELDS = {
  step = "string", ["function"] = "string", account = "string", region = "string",
  title = "string", reason = "string", expires = "string",
}
local REQUIRED = { "step", "function", "reason", "expires" }

--- A glob (* any run of characters, ? one character) -> an anchored Lua pattern.
M.glob_pattern = lib_text.glob_pattern

local function valid_date(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return false end
  m, d = tonumber(m), tonumber(d)
  return m >= 1 and m <= 12 and d >= 1 and d <= 31
end

-- What is wrong with one entry, or nil.
local function problem_of(e)
  if type(e) ~= "table" then return "is not an object" end
  local keys = {}
  for k in pairs(e) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for _, k in ipairs(keys) do
    if not FIELDS[k] then
      return ("has unknown field '%s' (known: step, function, account, region, title, "
        .. "reason, expires)"):format(k)
    end
    if type(e[k]) ~= FIELDS[k] then return ("field '%s' is not a string"):format(k) end
  end
  for _, k in ipairs(REQUIRED) do
    if e[k] == nil or e[k] == "" then return ("has no '%s'"):format(k) end
  end
  if not valid_date(e.expires) then
    return ("expires '%s' is not a date YYYY-MM-DD"):format(e.expires)
  end
  if e.account and not e.account:match("^%d%d%d%d%d%d%d%d%d%d%d%d$") then
    return ("account '%s' is not a 12-digit account id"):format(e.account)
  end
  if e.title and not pcall(string.find, "", e.title) then
    return ("title '%s' is not a valid Lua pattern (write a plain substring, or escape "
      .. "magic characters with %%)"):format(e.title)
  end
  return nil
end

--- Parses the file's text. source names it in messages.
--- -> entries | nil, "FILE: suppressions[N] (step S): what is wrong"
--- Each entry is the file's object plus index (1-based, its place in the file).
function M.parse(text, source)
  local ok, doc = pcall(json.decode, text)
  if not ok or type(doc) ~= "table" then
    return nil, ("%s: not valid JSON (expected {\"version\": 1, \"suppressions\": [...]})")
      :format(source)
  end
  if doc.version ~= 1 then
    return nil, ("%s: version must be 1 (got %s)"):format(source, tostring(doc.version))
  end
  if type(doc.suppressions) ~= "table" then
    return nil, ("%s: no \"suppressions\" list"):format(source)
  end
  for k in pairs(doc) do
    if k ~= "version" and k ~= "suppressions" then
      return nil, ("%s: unknown top-level field '%s' (known: version, suppressions)")
        :format(source, tostring(k))
    end
  end
  local entries = {}
  for i, e in ipairs(doc.suppressions) do
    local problem = problem_of(e)
    if problem then
      local step = type(e) == "table" and type(e.step) == "string" and (" (step " .. e.step .. ")") or ""
      return nil, ("%s: suppressions[%d]%s %s"):format(source, i, step, problem)
    end
    local entry = { index = i }
    for k in pairs(FIELDS) do entry[k] = e[k] end
    entries[#entries + 1] = entry
  end
  return entries
end

--- "suppressions[2] (step throttle, function batch-*)": an entry named for messages.
function M.name(entry)
  return ("suppressions[%d] (step %s, function %s)"):format(entry.index, entry.step,
    entry["function"])
end

--- Entries still in force on `today` ("YYYY-MM-DD"; an entry suppresses through its
--- expires date), and the expired ones. -> active, expired
function M.split(entries, today)
  local active, expired = {}, {}
  for _, e in ipairs(entries) do
    if e.expires < today then expired[#expired + 1] = e else active[#active + 1] = e end
  end
  return active, expired
end

local function title_matches(pattern, title)
  if title:find(pattern, 1, true) then return true end
  local ok, hit = pcall(string.find, title, pattern)
  return ok and hit ~= nil
end

--- The first entry that matches the subject {step, function, account, region, title},
--- or nil. An entry's account or region must equal the subject's (an unknown one does not
--- match); step and function are globs; title is a substring or a Lua pattern.
function M.match(entries, subject)
  for _, e in ipairs(entries) do
    if (subject.step or ""):match(M.glob_pattern(e.step))
      and (subject["function"] or ""):match(M.glob_pattern(e["function"]))
      and (e.account == nil or e.account == subject.account)
      and (e.region == nil or e.region == subject.region)
      and (e.title == nil or title_matches(e.title, subject.title or "")) then
      return e
    end
  end
  return nil
end

--- What a matching finding carries: {reason, expires, entry}.
function M.mark(entry)
  return { reason = entry.reason, expires = entry.expires, entry = entry.index }
end

--- Marks the matching findings of one function's steps (list of {id, findings}; a finding
--- of severity ok or skip is never marked). fn = {name, account, region}. -> how many
function M.apply(entries, fn, steps)
  local n = 0
  if #entries == 0 then return 0 end
  for _, s in ipairs(steps) do
    for _, f in ipairs(s.findings) do
      if f.severity ~= "ok" and f.severity ~= "skip" then
        local e = M.match(entries, { step = s.id, ["function"] = fn.name,
          account = fn.account, region = fn.region, title = f.title })
        if e then
          f.suppressed = M.mark(e)
          n = n + 1
        end
      end
    end
  end
  return n
end

--- Reads the suppressions: the given file (it must exist), else the default one when it
--- exists. -> entries (empty when there is no file), the file read | nil, message
function M.read(path)
  local file = path or M.DEFAULT_FILE
  -- the sandbox raises for a path not named on the command line (--suppressions=FILE)
  local ok, fh, err = pcall(io.open, file, "r")
  if not ok then
    return nil, ("--suppressions: cannot read '%s': give the file as its own argument "
      .. "(--suppressions FILE)"):format(file)
  end
  if not fh then
    if not path then return {}, nil end
    return nil, ("--suppressions: cannot read '%s': %s"):format(path, tostring(err))
  end
  local text = fh:read("a")
  fh:close()
  local entries, problem = M.parse(text or "", file)
  if not entries then return nil, problem end
  return entries, file
end

return M
