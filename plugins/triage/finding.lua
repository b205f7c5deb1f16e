--- triage.finding: the finding vocabulary (severities, ranks, labels, confidence) and the
--- one shape every finding is given before it is recorded.
--
-- The engine, the report and the command line all rank severities; they ask this module,
-- so the vocabulary lives in one place. normalize() checks a step's finding and raises at
-- the step's own line on misuse (a wrong severity, no title), which is how a step author
-- learns the contract.
local text = require("lib.text")

local M = {}

--- Severity -> rank: ok = skip = 0, info 1, warn 2, fail 3, error 4.
M.RANK = { ok = 0, skip = 0, info = 1, warn = 2, fail = 3, error = 4 }
--- Severities worst first (verdict counts).
M.ORDER = { "error", "fail", "warn", "info", "ok", "skip" }
--- How a severity is printed.
M.LABEL = { ok = "OK", skip = "SKIP", info = "INFO", warn = "WARN", fail = "FAIL",
            error = "ERROR" }
M.CONFIDENCE = { high = true, medium = true, low = true }

--- The rank of a severity (nil for an unknown one).
function M.rank(severity)
  return M.RANK[severity]
end

local function str(v)
  if v == nil then return nil end
  return text.utf8_clean(tostring(v))
end

local function list(v)
  if v == nil then return {} end
  if type(v) ~= "table" then return { str(v) } end
  local out = {}
  for i, item in ipairs(v) do out[i] = str(item) end
  return out
end

-- The fix plan module is optional at load time so that the vocabulary stays usable on its
-- own (the report and CLI need only the ranks).
local function plan_module()
  local ok, plan = pcall(require, "fix.plan")
  return ok and type(plan) == "table" and plan.normalize and plan or nil
end

local function normalize_fix(fix, level)
  if fix == nil then return nil end
  if type(fix) == "string" then return { explain = str(fix), commands = {} } end
  if type(fix) ~= "table" then error("finding fix must be a table or a string", level + 1) end
  local plan = (fix.plan ~= nil or fix.verify ~= nil) and plan_module()
  if plan then
    local ok, out = pcall(plan.normalize, fix)
    if not ok then error(tostring(out):gsub("^[^:]+:%d+: ", ""), level + 1) end
    out.explain, out.changes = str(out.explain), str(out.changes)
    out.commands = list(out.commands)
    return out
  end
  return { explain = str(fix.explain), commands = list(fix.commands), changes = str(fix.changes),
           manual = str(fix.manual) }
end

--- Checks a finding and gives it one shape; a misuse raises at `level` (default: the
--- caller of the caller, i.e. the step that called ctx:finding).
function M.normalize(f, level)
  level = level or 3
  if type(f) ~= "table" then error("a finding must be a table", level) end
  local sev = f.severity
  if M.RANK[sev] == nil then
    error(("finding severity must be ok, info, skip, warn, fail or error, not '%s'")
      :format(tostring(sev)), level)
  end
  if type(f.title) ~= "string" or f.title == "" then
    error("a finding needs a title (a non-empty string)", level)
  end
  if f.confidence ~= nil and not M.CONFIDENCE[f.confidence] then
    error(("finding confidence must be high, medium or low, not '%s'")
      :format(tostring(f.confidence)), level)
  end
  return {
    severity = sev, title = str(f.title), evidence = list(f.evidence),
    why = str(f.why), fix = normalize_fix(f.fix, level),
    confidence = f.confidence, data = type(f.data) == "table" and f.data or nil,
    key = f.key ~= nil and str(f.key) or nil,
  }
end

--- The worst severity among findings ("ok" when there are none).
function M.worst(findings)
  local worst = "ok"
  for _, f in ipairs(findings) do
    if M.RANK[f.severity] > M.RANK[worst] then worst = f.severity end
  end
  return worst
end

return M
