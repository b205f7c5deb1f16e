--- triage.fleet.fn: one function of a fleet: its run, the evidence it is given, its triage.
--
-- A fleet hands each function's run what it already read (the configuration and state
-- from GetFunction, the region's event source mappings, the swept metric series) as preset
-- evidence, so the steps decide on the same data a single-function triage would read. A
-- function without a symptom gets a config-only triage: the steps tagged "config" (see
-- config_only), with logs, traces, CloudTrail and the per-function control-plane lists
-- unread and marked so, the resource policy read only when an API integrates the function
-- and the role only for a function in a VPC.
local arn = require("lib.arn")
local context = require("triage.context")
local evidence = require("triage.evidence")
local report = require("triage.report")
local runbook = require("runbook")
local store = require("triage.fleet.store")
local suppress = require("triage.suppress")

local M = {}

-- Evidence a config-only triage does not read: logs, traces, CloudTrail and the per-
-- function control-plane lists that only matter once there is a symptom.
M.NOT_READ = {
  events = true, reports = true, traces = true, trail = true, versions = true, url = true,
  provisioned = true, aliases = true, invoke_config = true, execution_log = true,
}

local NOT_READ_MESSAGE = "not read in a fleet triage: the metrics show no symptom "
  .. "(--deep reads it)"

local function family(need)
  local name = evidence.parse_need(tostring(need))
  return name:match("^([%w_]+)") or name
end

--- Whether a step runs in a config-only triage: it is tagged "config" (it decides from the
--- configuration and the metrics, and says nothing it did not read when its optional log
--- or trace evidence is unread), and none of its required needs is one the config-only
--- triage leaves unread.
function M.config_only(step)
  local tagged = false
  for _, t in ipairs(step and step.tags or {}) do
    if t == "config" then tagged = true end
  end
  if not tagged then return false end
  for _, need in ipairs(step.needs or {}) do
    local _, optional = evidence.parse_need(tostring(need))
    if not optional and M.NOT_READ[family(need)] then return false end
  end
  return true
end

--- The skip findings of the steps a config-only triage leaves out: {id = finding}.
function M.config_skips(items)
  local skip = {}
  for _, item in ipairs(items) do
    if item.step and not M.config_only(item.step) then
      skip[item.id] = context.normalize{ severity = "skip",
        title = "not run in a fleet triage: the metrics show no symptom (--deep runs it)" }
    end
  end
  return skip
end

local function not_read(name)
  if name == "url" then -- read when the URL metrics show requests (a symptom)
    return evidence.absent("no function URL read: the URL metrics show no requests")
  end
  return { failed = { code = "NotRead", kind = "fleet", message = NOT_READ_MESSAGE } }
end

-- The evidence a function's run is given: what the fleet read, and in config mode the
-- unread evidence as such. A table whose missing names are looked up by family.
local function preset_of(fn, mode)
  local given = {
    config = fn.config, ["function"] = fn.get_function,
    concurrency = { reserved = fn.get_function.Concurrency
      and fn.get_function.Concurrency.ReservedConcurrentExecutions },
    mappings = fn.mappings,
  }
  for k, v in pairs(fn.series or {}) do given[k] = v end
  if mode == "config" then
    given.role = function(ev) -- the role matters to a config-only triage in a VPC only
      local vpc = ev.config.VpcConfig
      if vpc and vpc.SubnetIds and #vpc.SubnetIds > 0 then return nil end
      return not_read("role")
    end
    given.policy = function(ev) -- read when an API integrates the function
      local apis = ev.apis
      if apis.failed or #apis.rest + #apis.http + #apis.errors > 0 then return nil end
      return evidence.absent("not read: no API Gateway API integrates the function")
    end
  end
  return setmetatable(given, { __index = function(_, name)
    if mode == "config" and M.NOT_READ[family(name)] then return not_read(family(name)) end
    return nil
  end })
end

--- One function's run over the target's scope (target = {region, api}); fn.config is its
--- configuration.
function M.new_run(target, fn, env)
  local cfg = fn.config
  local parsed = arn.parse(cfg.FunctionArn) or {}
  local run = context.new_target_run({ name = cfg.FunctionName, account = parsed.account,
    partition = parsed.partition }, target.region, env.window, env.now, target.api, {})
  run.arn = cfg.FunctionArn
  return run
end

--- Triages one function (fn.run, fn.mode, fn.series...): its report, as a store entry.
--- skip: config_skips(items), for a config-only triage.
function M.triage(fn, items, env, skip)
  local run = fn.run
  run.preset = preset_of(fn, fn.mode)
  local t0 = runbook.clock()
  local done = env.run_steps(items, run, env.timeout, fn.mode == "config" and skip or nil)
  local steps = {}
  for i, item in ipairs(done) do steps[i] = { id = item.id, findings = item.record.findings } end
  suppress.apply(env.suppressions, { name = run.function_name, region = run.region,
    account = run.account }, steps)
  local doc = report.build(run, done, { duration = runbook.clock() - t0 })
  doc.api = nil -- the calls are the fleet's (fleet doc `api`)
  doc.mode, doc.symptoms = fn.mode, fn.symptoms
  return store.entry(doc)
end

return M
