--- triage.fleet: the triage of every selected function of one or many accounts and regions.
--
--   runbook triage.lua --all [--regions r1,r2 | --all-regions] [--match GLOB]
--     [--tag key=value] [--runtime GLOB] [--deep] [--accounts IDS --role-name NAME]
--     [--profiles a,b] [--shard K/N] [--parallel N]  (docs/fleet.md)
--
-- Per target (an identity in one region, triage.fleet.targets), all targets at once:
--   1. list the functions (ListFunctions, filtered) and the region's event source mappings;
--   2. then, a batch of functions at a time (as many as one GetMetricData call sweeps):
--      read each function once with GetFunction (100 per second, its own quota: state,
--      concurrency and tags, which ListFunctions leaves out), find the APIs that integrate
--      it (read once per target, shared), and sweep the batch's metrics and its APIs'
--      (triage.fleet.sweep);
--   3. meanwhile, --parallel workers triage the swept functions (triage.fleet.fn): a
--      function with a symptom (or every function with --deep) gets every step ("full");
--      the others the steps that configuration alone can answer ("config").
-- Batches keep memory flat (a function's run lives from its batch to its report) and let
-- the triage start after the first batch, so the slowest quotas (FilterLogEvents,
-- LookupEvents) are busy from early on. Every call goes through the core's per-target
-- rate limiter.
local aws = require("runbook.aws")
local context = require("triage.context")
local core = require("runbook.core")
local enumerate = require("triage.fleet.enumerate")
local exit = require("triage.exit")
local finding = require("triage.finding")
local fleet_fn = require("triage.fleet.fn")
local fleet_report = require("triage.fleet.report")
local progress = require("triage.fleet.progress")
local report = require("triage.report")
local runbook = require("runbook")
local sweep = require("triage.fleet.sweep")
local targets = require("triage.fleet.targets")
local arn = require("lib.arn")

local M = {}

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
          fn.run = fleet_fn.new_run(target, fn, env) -- its preset comes once the sweep decides
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

local function describe(err)
  if type(err) ~= "table" then return tostring(err) end
  return (err.code or "Error") .. ": " .. tostring(err.message)
end

-- Sweeps one batch: each function gets its series, symptoms and mode. The account-wide
-- series are the same for every batch: the first batch reads them, the others reuse them.
-- -> true | nil, err
local function sweep_batch(target, batch, plan, env)
  local list = {}
  for i, fn in ipairs(batch) do list[i] = { name = fn.config.FunctionName } end
  local by_fn, by_api, account = sweep.read(target.api, list, plan.names,
    plan.account_series and {} or plan.account_names, apis_of(batch), env.window)
  if not by_fn then return nil, by_api end
  plan.account_series = plan.account_series or account
  for _, fn in ipairs(batch) do
    fn.series = by_fn[fn.config.FunctionName] or {}
    for k, v in pairs(plan.account_series) do fn.series[k] = v end
    fn.symptoms = sweep.symptoms(fn.series, fn.config, api_errors_of(fn, by_api), plan)
    fn.mode = (env.fleet.deep or #fn.symptoms > 0) and "full" or "config"
  end
  return true
end

-- Reads, sweeps and triages the target's functions: a producer prepares batches (step 2)
-- while `parallel` workers triage what is ready (step 3); the producer stays at most two
-- batches ahead. Fills out.docs, out.errors, out.functions.
local function pipeline(target, fns, items, env, meter, out)
  local names, account_names = sweep.series_names(items)
  local plan = { names = names, account_names = account_names,
                 margin = step_arg(items, "timeout", "margin", 0.8),
                 iterator_age_s = step_arg(items, "event_sources", "iterator_age_s", 60) }
  local size = math.max(1, math.floor(sweep.batch / #names))
  local ready, taken, producing = {}, 0, true
  local skip = fleet_fn.config_skips(items)
  local function produce()
    for first = 1, #fns, size do
      local batch, failures = read_functions(target, { table.unpack(fns, first,
        math.min(#fns, first + size - 1)) }, env)
      meter:drop(math.min(size, #fns - first + 1) - #batch)
      for _, f in ipairs(failures) do
        out.errors = out.errors or {}
        out.errors[#out.errors + 1] = f.fn.config.FunctionName .. ": " .. describe(f.err)
      end
      local ok, err = sweep_batch(target, batch, plan, env)
      if not ok then
        out.status, out.error = "error", "cannot read the metrics (GetMetricData): " .. describe(err)
        break
      end
      for _, fn in ipairs(batch) do ready[#ready + 1] = fn end
      while #ready - taken > 2 * size and not runbook.interrupted() do runbook.sleep(0.05) end
    end
    producing = false
  end
  local function worker()
    while true do
      if taken < #ready then
        taken = taken + 1
        local fn = ready[taken]
        ready[taken] = false -- done with the queue's hold on it
        local entry = fleet_fn.triage(fn, items, env, skip) -- yields: index it after
        out.docs[#out.docs + 1] = entry
        -- its run, evidence and series can go: a fleet holds only the reports
        fn.run, fn.series, fn.get_function, fn.apis, fn.config, fn.mappings =
          nil, nil, nil, nil, nil, nil
        meter:done_one()
      elseif producing then
        runbook.sleep(0.02)
      else
        return
      end
    end
  end
  local tasks = { produce }
  for i = 1, env.fleet.parallel do tasks[i + 1] = worker end
  runbook.all(tasks)
  out.functions = #out.docs
end

-- Everything about one target: {account, region, status, functions, error?, docs = {...}}.
local function run_target(pair, items, env, meter)
  local out = { key = pair.key, region = pair.region, account = pair.identity.account,
                label = pair.identity.label, docs = {}, status = "ok", functions = 0 }
  local api = aws.scope(targets.scope_opts(pair))
  local function failed(what, err)
    out.status, out.error = "error", what .. ": " .. describe(err)
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
  meter:listed_target(#fns)
  pipeline(target, fns, items, env, meter, out)
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
        env.region_errors[#env.region_errors + 1] = ("%s: cannot list regions: %s")
          :format(who.label, describe(err))
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
  -- the published rates keep a fleet within its quotas; adaptive retries slow a target
  -- down further if AWS throttles it anyway (an operator's AWS_RETRY_MODE stands)
  core.set_retry_mode("adaptive")
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
  local failed = 0
  for _, t in ipairs(done) do
    if t.status == "error" then failed = failed + 1 end
  end
  if failed > 0 and failed == #done and not runbook.interrupted() then
    -- nothing could be read (no credentials, no account assumable): as for one function,
    -- the reason on stderr, one line per target, and no report
    for _, t in ipairs(done) do
      io.stderr:write(("runbook: %s %s: %s\n"):format(t.account or "-", t.region, t.error))
    end
    return exit.RUNTIME
  end
  local doc = fleet_report.build(done, { window = env.window, now = env.now,
    duration = runbook.clock() - t0, shard = opts.fleet.shard })
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
