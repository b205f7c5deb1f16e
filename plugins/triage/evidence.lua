--- triage.evidence: the evidence a step declares in `needs`, gathered once per run.
--
-- A step says what it needs (`needs = { "config", "reports", "metric:Duration:p99" }`);
-- the engine starts every declared read of every selected step at once, before any step
-- decides, and each step's `run(ctx, ev)` starts at the decision. Reads that depend on
-- others (the role's policies need the configuration's Role) wait for exactly what they
-- need, so each read starts as soon as its inputs are known.
--
-- An evidence value is always a table, in one of three shapes:
--   * the data itself (a list, a configuration, a parsed policy);
--   * { absent = "no log group /aws/lambda/my-fn" }: the thing does not exist, which is
--     an answer, not a failure;
--   * { failed = err }: the read failed (err as runbook.aws returns it, labelled with its
--     service and operation).
-- A step that lists a need plainly gets only the first two: when the read failed, the
-- engine reports it (naming the permission the operator lacks) and does not run the step.
-- A need written "?name" is optional: the step runs and decides what a failure means.
--
-- Providers are functions `provider(ctx, ev, param) -> value | absent(...) | nil, err`,
-- registered by name (the domain library registers the built-in ones in evidence/init.lua;
-- a team adds its own with provide()). A name "family:param" (metric:Duration:p99) calls
-- the family's provider with "Duration:p99".
local runbook = require("runbook")

local M = {}

local providers = {}
local docs = {}
local operations = {}
local loaded_catalog = false

--- Registers a provider under `name` with a one-line description (a team's evidence may
--- replace a built-in one) and the AWS operations it calls, each "service Operation" with
--- the AWS CLI's service name ("cloudwatch GetMetricStatistics"; `runbook show` lists them).
function M.provide(name, description, fn, reads)
  if type(name) ~= "string" or type(fn) ~= "function" then
    error("evidence.provide(name, description, fn): name a string, fn a function", 2)
  end
  if reads ~= nil and type(reads) ~= "table" then
    error("evidence.provide: reads is a list of \"service Operation\" names", 2)
  end
  providers[name] = fn
  docs[name] = description
  operations[name] = reads or {}
end

local function catalog()
  if not loaded_catalog then
    loaded_catalog = true
    require("evidence") -- plugins/evidence/init.lua registers the built-in providers
  end
  return providers
end

--- The registered names, their descriptions and the AWS operations they call, sorted:
--- { {name, description, reads = {"service Operation", ...}}, ... }.
function M.list()
  local out = {}
  for name in pairs(catalog()) do
    out[#out + 1] = { name = name, description = docs[name], reads = operations[name] }
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

--- Absence as data: return evidence.absent("no log group /aws/lambda/x") from a provider.
function M.absent(reason)
  return { absent = reason }
end

--- The data of an evidence value, or nil when it is absent or its read failed.
function M.data(value)
  if value == nil or value.absent or value.failed then return nil end
  return value
end

--- A list evidence (events, mappings, ...), or an empty list when it is absent or failed.
function M.list(value)
  return M.data(value) or {}
end

--- "?events" -> "events", true; "events" -> "events", false.
function M.parse_need(need)
  if need:sub(1, 1) == "?" then return need:sub(2), true end
  return need, false
end

local function split(name)
  local family, param = name:match("^([%w_]+):(.+)$")
  return family or name, param
end

--- Whether a provider exists for the name (used to check manifests before a run).
function M.known(name)
  local family = split(name)
  return catalog()[family] ~= nil
end

--- The AWS operations the provider of a name ("metric:Duration:p99") calls; {} if unknown.
function M.reads(name)
  local family = split(name)
  catalog()
  return operations[family] or {}
end

-- Calls the provider and gives its answer the evidence shape.
local function produce(ctx, ev, name)
  local family, param = split(name)
  local fn = catalog()[family]
  if not fn then
    return { failed = { code = "UnknownEvidence", kind = "usage",
                        message = ("no evidence provider named '%s'"):format(family) } }
  end
  local value, err = fn(ctx, ev, param)
  if value == nil then
    if type(err) ~= "table" then err = { code = "EvidenceFailed", message = tostring(err) } end
    return { failed = err }
  end
  if type(value) ~= "table" then
    error(("evidence provider '%s' returned a %s, not a table"):format(family, type(value)))
  end
  return value
end

--- The evidence of one run: ev[name] gathers `name` on first use (once per run, shared by
--- every step and provider) and returns its value. `ctx` is a run-wide context (its
--- findings are discarded).
--- Evidence the run was given instead of reading it (run.preset[name], set by a fleet
--- triage from its account-wide reads): a value in the evidence shape, or a function
--- (ev) -> value | nil, where nil means "read it as usual".
function M.for_run(ctx)
  local ev = {}
  return setmetatable(ev, {
    __index = function(_, name)
      if type(name) ~= "string" then return nil end
      return ctx:once("evidence:" .. name, function()
        local given = (ctx._run.preset or {})[name]
        if type(given) == "function" then given = given(ev) end
        if given ~= nil then return given end
        return produce(ctx, ev, name)
      end)
    end,
  })
end

--- Gathers every need at once; returns when all are in. needs: list of names ("?x" allowed).
function M.prefetch(ev, needs)
  local fns = {}
  for _, need in ipairs(needs) do
    local name = M.parse_need(need)
    fns[#fns + 1] = function() return ev[name] end
  end
  runbook.all(fns)
end

--- The first required need (not "?x") that failed: name, err | nil.
function M.first_failure(ev, needs)
  for _, need in ipairs(needs or {}) do
    local name, optional = M.parse_need(need)
    local value = ev[name]
    if not optional and value.failed then return name, value.failed end
  end
  return nil
end

return M
