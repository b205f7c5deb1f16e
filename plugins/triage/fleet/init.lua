--- triage.fleet: the triage of every selected function of one or many accounts and regions.
--
--   runbook triage.lua --all [--regions r1,r2 | --all-regions] [--match GLOB]
--     [--tag key=value] [--runtime GLOB] [--deep] [--accounts IDS --role-name NAME]
--     [--profiles a,b] [--shard K/N] [--parallel N]  (docs/fleet.md)
--
-- Per target (an identity in one region, triage.fleet.targets), all targets at once:
--   1. list the functions (ListFunctions, filtered) and the region's event source mappings;
--   2. read each function once with GetFunction (100 per second, its own quota: state,
--      concurrency and tags, which ListFunctions leaves out) and find the APIs that
--      integrate it (read once per target, shared);
--   3. sweep the metrics of every function and API with GetMetricData (triage.fleet.sweep);
--   4. triage each function, at most --parallel at a time: a function with a symptom in
--      the sweep (or every function with --deep) gets every step ("full"); the others get
--      the steps that configuration alone can answer ("config": state, resource policy
--      against the integrating APIs, VPC, event source mappings, reserved concurrency),
--      with logs, traces and CloudTrail left unread.
-- The evidence the fleet already holds (configuration, mappings, metric series) is given
-- to each function's run, so a full triage decides on the same data a single-function
-- triage reads. Every call goes through the core's per-target rate limiter.
local aws = require("runbook.aws")
local context = require("triage.context")
local enumerate = require("triage.fleet.enumerate")
local evidence = require("triage.evidence")
local exit = require("triage.exit")
local finding = require("triage.finding")
local fleet_report = require("triage.fleet.report")
local progress = require("triage.fleet.progress")
local report = require("triage.report")
local runbook = require("runbook")
local suppress = require("triage.suppress")
local sweep = require("triage.fleet.sweep")
local targets = require("triage.fleet.targets")
local arn = require("lib.arn")

local M = {}

-- Evidence a config-only triage does not read: logs, traces, CloudTrail and the per-
-- function control-plane lists that only matter once there is a symptom.
M.NOT_READ = {
  events = true, reports = true, traces = true, trail = true, versions = true, url = true,
  provisioned = true, aliases = true, invoke_config = true, queue = true, sqs_metric = true,
  execution_log = true,
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

-- The skip findings of the steps a config-only triage leaves out: {id = finding}.
local function config_skips(items)
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

-- One function's run over the target's scope.
local function new_run(target, fn, env)
  local cfg = fn.config
  local parsed = arn.parse(cfg.FunctionArn) or {}
  local run = context.new_target_run({ name = cfg.FunctionName, account = parsed.account,
    partition = parsed.partition }, target.region, env.window, env.now, target.api, {})
  run.arn = cfg.FunctionArn
  return run
end

-- Reads GetFunction of each function (`parallel` at a time) and the APIs that integrate it.
local function read_functions(target, fns, env)
  local queue, next_i, failures = {}, 1, {}
  local function worker()
    while next_i <= #fns do
      local fn = fns[next_i]
      next_i = next_i + 1
      local got, err = target.api.lambda.GetFunction{ FunctionName = fn.config.FunctionArn }
      if got then
        fn.get_function, fn.config = got, got.Configuration or fn.config
        if enumerate.tagged(got.Tags, env.fleet.tags) then
          queue[#queue + 1] = fn
          fn.run = new_run(target, fn, env) -- its preset comes once the sweep decides
          fn.apis = context.evidence_of(fn.run).apis
        end
      else
        failures[#failures + 1] = { fn = fn, err = err }
      end
    end
  end
  local workers = {}
  for i = 1, math.min(env.fleet.parallel * 2, math.max(1, #fns)) do workers[i] = worker end
  runbook.all(workers)
  table.sort(queue, function(a, b) return a.config.FunctionName < b.config.FunctionName end)
  return queue, failures
end

-- The APIs of the functions, each once: list of {kind, id, name}.
local function apis_of(fns)
  local seen, out = {}, {}
  for _, fn in ipairs(fns) do
    local apis = fn.apis or {}
    for _, kind in ipairs({ "rest", "http" }) do
      for _, a in ipairs(apis[kind] or {}) do
        if not seen[a.id] then
          seen[a.id] = true
          out[#out + 1] = { kind = kind, id = a.id, name = a.name }
        end
      end
    end
  end
  return out
end

local function api_errors_of(fn, by_api)
  local out = {}
  for _, kind in ipairs({ "rest", "http" }) do
    for _, a in ipairs((fn.apis or {})[kind] or {}) do
      local e = by_api[a.id] or {}
      out[#out + 1] = { id = a.id, errors4 = e.errors4 or 0, errors5 = e.errors5 or 0 }
    end
  end
  return out
end

local function step_arg(items, id, key, default)
  for _, item in ipairs(items) do
    if item.id == id and item.args and item.args[key] ~= nil then return item.args[key] end
  end
  return default
end

-- Triages one function: its report document.
local function triage_one(fn, items, env, skip)
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
  return doc
end

-- Everything about one target: {account, region, status, functions, error?, docs = {...}}.
local function run_target(pair, items, env, meter)
  local out = { key = pair.key, region = pair.region, account = pair.identity.account,
                label = pair.identity.label, docs = {}, status = "ok", functions = 0 }
  local api = aws.scope(targets.scope_opts(pair))
  local function failed(what, err)
    out.status = "error"
    out.error = ("%s: %s: %s"):format(what, type(err) == "table" and (err.code or "Error")
      or "Error", type(err) == "table" and tostring(err.message) or tostring(err))
    return out
  end
  local who, err = api.sts.GetCallerIdentity{}
  if not who then
    local what = pair.identity.opts.role_arn and ("cannot assume " .. pair.identity.opts.role_arn)
      or ("cannot use " .. pair.identity.label)
    return failed(what, err)
  end
  out.account = who.Account
  local target = { region = pair.region, api = api }
  local fns_cfg, list_err = enumerate.functions(api, env.fleet)
  if not fns_cfg then return failed("cannot list functions", list_err) end
  local mappings, map_err = enumerate.mappings(api)
  if not mappings then return failed("cannot list event source mappings", map_err) end
  local fns = {}
  for i, cfg in ipairs(fns_cfg) do
    fns[i] = { config = cfg, mappings = mappings[cfg.FunctionArn] or {} }
  end
  meter:add_total(#fns)
  local chosen, failures = read_functions(target, fns, env)
  meter:add_total(#chosen - #fns)
  for _, f in ipairs(failures) do
    out.errors = out.errors or {}
    out.errors[#out.errors + 1] = ("%s: %s"):format(f.fn.config.FunctionName,
      type(f.err) == "table" and (f.err.code or "Error") .. ": " .. tostring(f.err.message)
      or tostring(f.err))
  end
  local names, account_names = sweep.series_names(items)
  local list = {}
  for i, fn in ipairs(chosen) do list[i] = { name = fn.config.FunctionName } end
  local by_fn, by_api = sweep.read(api, list, names, account_names, apis_of(chosen), env.window)
  if not by_fn then return failed("cannot read the metrics (GetMetricData)", by_api) end
  local opts = { margin = step_arg(items, "timeout", "margin", 0.8),
                 iterator_age_s = step_arg(items, "event_sources", "iterator_age_s", 60) }
  for _, fn in ipairs(chosen) do
    fn.series = by_fn[fn.config.FunctionName] or {}
    fn.symptoms = sweep.symptoms(fn.series, fn.config, api_errors_of(fn, by_api), opts)
    fn.mode = (env.fleet.deep or #fn.symptoms > 0) and "full" or "config"
  end
  out.functions = #chosen
  local skip, next_i = config_skips(items), 1
  local function worker()
    while next_i <= #chosen do
      local i = next_i
      next_i = next_i + 1
      local fn = chosen[i]
      out.docs[i] = triage_one(fn, items, env, skip)
      -- done: its run, evidence and series can go (a fleet holds only the reports)
      fn.run, fn.series, fn.get_function, fn.apis, fn.config, fn.mappings = nil, nil, nil, nil, nil, nil
      chosen[i] = false
      meter:done_one()
    end
  end
  local workers = {}
  for i = 1, math.min(env.fleet.parallel, math.max(1, #chosen)) do workers[i] = worker end
  runbook.all(workers)
  return out
end

-- The regions of each identity: --regions, the regions enabled for it, or the run's.
local function regions_for(env)
  local fleet, cache = env.fleet, {}
  return function(who)
    if #fleet.regions > 0 then return fleet.regions end
    if not fleet.all_regions then return { env.region } end
    if not cache[who.key] then
      local opts = { region = env.region or "us-east-1" }
      for k, v in pairs(who.opts) do opts[k] = v end
      local list, err = enumerate.regions(aws.scope(opts))
      cache[who.key] = list or {}
      if not list then
        env.region_errors[#env.region_errors + 1] = ("%s: cannot list regions: %s: %s")
          :format(who.label, tostring(err and err.code), tostring(err and err.message))
      end
    end
    return cache[who.key]
  end
end

--- Runs the fleet triage; returns the exit code. items: the engine's planned steps; env:
--- {window, now, region, suppressions, run_steps}.
function M.main(items, opts, env)
  env.fleet, env.timeout, env.region_errors = opts.fleet, opts.step_timeout, {}
  local partition = arn.partition_of(env.region or opts.fleet.regions[1] or "us-east-1")
  local identities, problem = targets.identities(opts.fleet, partition)
  if not identities then
    io.stderr:write("runbook: ", problem, "\n")
    return exit.USAGE
  end
  local all_pairs = targets.pairs(identities, regions_for(env))
  local mine = targets.shard(all_pairs, opts.fleet.shard)
  runbook.catch_interrupt()
  local meter = progress.new(#mine)
  local t0 = runbook.clock()
  local fns = {}
  for i, pair in ipairs(mine) do
    fns[i] = function() return run_target(pair, items, env, meter) end
  end
  local results = runbook.all(fns)
  meter:finish()
  local done = {}
  for i, r in ipairs(results) do
    if r[1] then
      done[i] = r[2]
    else
      done[i] = { key = mine[i].key, region = mine[i].region, account = mine[i].identity.account,
        status = "error", error = "the triage of this target failed: " .. tostring(r[2]),
        docs = {}, functions = 0 }
    end
  end
  for _, e in ipairs(env.region_errors) do
    done[#done + 1] = { key = e, region = "*", status = "error", error = e, docs = {},
                        functions = 0 }
  end
  local doc = fleet_report.build(done, { window = env.window, now = env.now,
    duration = runbook.clock() - t0, shard = opts.fleet.shard, throttles = meter:throttles() })
  local written, unwritten = report.emit(fleet_report.render(doc, opts), opts)
  if not written then
    io.stderr:write("runbook: ", unwritten, "\n")
    return exit.RUNTIME
  end
  local signal = runbook.interrupted()
  if signal then return 128 + signal end
  return fleet_report.exit_code(doc, opts.fail_on, finding.RANK)
end

return M
