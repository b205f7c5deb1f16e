--- steps.cold_start.findings: what the cold_start step found, in words and as fix plans
--- (the field guide's "Cold start > timeout" row: SnapStart or provisioned concurrency).
--
-- steps/cold_start.lua decides; this module explains with the real values (Init Duration
-- percentiles, the slowest cold starts with their times, package and layer sizes, the
-- provisioned concurrency configurations) and builds the fix as a plan (fix.actions):
--   SnapStart: UpdateFunctionConfiguration SnapStart=PublishedVersions, PublishVersion,
--     then UpdateAlias (or CreateAlias "live") to the published Version (plan.ref);
--   provisioned concurrency: PutProvisionedConcurrencyConfig on the alias, after
--     PublishVersion and CreateAlias "live" when the function has no alias.
-- Both are `manual` (shown, never applied by --fix): SnapStart changes how the code starts
-- and the alias move shifts live traffic; provisioned concurrency costs money by the hour.
local actions = require("fix.actions")
local fix_plan = require("fix.plan")
local render = require("fix.render")
local stats = require("lib.stats")
local text = require("lib.text")

local M = {}

local fmt_ms, fmt_count = stats.fmt_ms, stats.fmt_count

-- The alias a new one is called when the function has none.
local NEW_ALIAS = "live"

local function package_line(cfg)
  local layer_bytes, arns = 0, {}
  for _, l in ipairs(cfg.Layers or {}) do
    layer_bytes = layer_bytes + (l.CodeSize or 0)
    arns[#arns + 1] = l.Arn
  end
  local line = ("package %s (CodeSize %s)"):format(stats.fmt_bytes(cfg.CodeSize or 0),
    fmt_count(cfg.CodeSize or 0))
  if #arns > 0 then
    line = line .. ("; %s %s: %s"):format(text.plural(#arns, "layer"), stats.fmt_bytes(layer_bytes),
      table.concat(arns, ", "))
  end
  return line
end

-- The provisioned concurrency configured on `qualifier` now (nil: none).
local function provisioned_on(f, qualifier)
  for _, p in ipairs(f.provisioned) do
    if p.FunctionArn and p.FunctionArn:match(":([^:]+)$") == qualifier then
      return p.RequestedProvisionedConcurrentExecutions
    end
  end
  return nil
end

-- PutProvisionedConcurrencyConfig of f.pc_n on `qualifier`, and its verify entry.
local function provision(ctx, f, qualifier)
  local fn = { name = ctx.function_name }
  local id = { FunctionName = fn.name, Qualifier = qualifier }
  return actions.put_provisioned_concurrency(fn, qualifier, f.pc_n, provisioned_on(f, qualifier)), {
    what = ("provisioned concurrency on %s: %d requested"):format(qualifier, f.pc_n),
    read = { service = "lambda", operation = "GetProvisionedConcurrencyConfig", params = id },
    path = "RequestedProvisionedConcurrentExecutions", op = ">=", value = f.pc_n,
  }
end

-- SnapStart on published versions, a new version, and the alias moved to it.
local function snapstart_plan(ctx, f)
  local fn, alias = { name = ctx.function_name }, f.alias
  local version = fix_plan.ref(2, "Version")
  return {
    actions.update_configuration(fn, f.cfg, { SnapStart = { ApplyOn = "PublishedVersions" } }),
    actions.publish_version(fn),
    alias and actions.update_alias(fn, alias.Name, version, alias)
      or actions.create_alias(fn, NEW_ALIAS, version),
  }, { actions.verify_field(fn, "SnapStart.ApplyOn", "==", "PublishedVersions") }
end

-- The fix: SnapStart when possible, else provisioned concurrency; package and memory advice.
local function fix_for(ctx, f)
  local cfg, a = f.cfg, ctx.args
  local alias = f.alias and f.alias.Name
  local plan, verify, explain, changes = {}, {}, {}, nil
  if f.snap_ok then
    plan, verify = snapstart_plan(ctx, f)
    changes = ("SnapStart None -> PublishedVersions; alias %s -> the new version")
      :format(alias or (NEW_ALIAS .. " (new)"))
    explain[#explain + 1] = ("turn on SnapStart (%s): Lambda runs init once when a version is "
      .. "published and restores new environments from its snapshot; wait for the update to "
      .. "finish (aws lambda wait function-updated-v2 --function-name %s) before publishing; "
      .. "callers must invoke the alias %s, not $LATEST"):format(f.snap_why, ctx.function_name,
      alias or NEW_ALIAS)
    if f.frequent then
      explain[#explain + 1] = ("if restores are still too slow, use provisioned concurrency "
        .. "instead (the two cannot be combined): %d environments, %s"):format(f.pc_n,
        render.command((provision(ctx, f, alias or NEW_ALIAS))))
    end
  elseif f.frequent or f.fail then
    local fn = { name = ctx.function_name }
    if not alias then
      plan[1] = actions.publish_version(fn)
      plan[2] = actions.create_alias(fn, NEW_ALIAS, fix_plan.ref(1, "Version"))
    end
    plan[#plan + 1], verify[1] = provision(ctx, f, alias or NEW_ALIAS)
    changes = ("provisioned concurrency %d on %s"):format(f.pc_n, alias or (NEW_ALIAS .. " (new)"))
    explain[#explain + 1] = ("keep %d environments initialized with provisioned concurrency "
      .. "(the peak ConcurrentExecutions in the window; %s)"):format(f.pc_n, f.snap_why)
  end
  if f.package_bytes >= a.large_package_mb * 1024 * 1024 then
    explain[#explain + 1] = ("shrink the %s package: drop unused dependencies and test "
      .. "files, load heavy modules lazily; init time grows with what is loaded")
      :format(stats.fmt_bytes(f.package_bytes))
  end
  if (cfg.MemorySize or 128) < a.init_memory_mb then
    explain[#explain + 1] = ("more memory gives init more CPU (%d MB now)"):format(cfg.MemorySize)
  end
  if f.fail and not f.snap_ok then
    explain[#explain + 1] = ("or raise the timeout above the slowest init (%s)"):format(fmt_ms(f.init.max))
  end
  local manual
  if #plan > 0 then
    manual = f.snap_ok and ("SnapStart restores new environments from a snapshot (unique ids, "
      .. "connections and secrets made at init are shared) and moving the alias shifts live "
      .. "traffic to a new version: test it, then run the commands")
      or ("provisioned concurrency is billed by the hour whether used or not, and a new alias "
      .. "helps only once callers invoke it: decide, then run the commands")
  end
  return { explain = table.concat(explain, "; "), plan = #plan > 0 and plan or nil,
           verify = #verify > 0 and verify or nil, changes = changes, manual = manual }
end

local function evidence_for(ctx, f)
  local cfg = f.cfg
  local ev = {
    ("%d of %d invocations started cold (%s) in the last %s"):format(f.cold_n, f.total,
      stats.fmt_pct(f.cold_n, f.total), ctx.window.label),
    ("Init Duration p50 %s, p95 %s, p99 %s, max %s; timeout %d s"):format(fmt_ms(f.init.p50),
      fmt_ms(f.init.p95), fmt_ms(f.init.p99), fmt_ms(f.init.max), cfg.Timeout),
  }
  for i = 1, math.min(ctx.args.max_examples, #f.slowest) do
    local c = f.slowest[i]
    ev[#ev + 1] = ("%s REPORT RequestId: %s Duration %s, Init Duration %s%s"):format(
      c.report.iso, c.report.request_id, fmt_ms(c.report.duration_ms), fmt_ms(c.init_ms),
      c.timed_out and ", timed out" or "")
  end
  ev[#ev + 1] = ("runtime %s, %d MB; %s"):format(tostring(cfg.Runtime or cfg.PackageType),
    cfg.MemorySize or 0, package_line(cfg))
  ev[#ev + 1] = f.snap_why
  for _, p in ipairs(f.provisioned) do
    ev[#ev + 1] = ("provisioned concurrency on %s: %s of %s requested, %s"):format(
      p.FunctionArn and p.FunctionArn:match(":([^:]+)$") or "?",
      tostring(p.AvailableProvisionedConcurrentExecutions or 0),
      tostring(p.RequestedProvisionedConcurrentExecutions or 0), tostring(p.Status))
  end
  local latest = 0
  for _, c in ipairs(f.cold) do
    if c.version == "$LATEST" then latest = latest + 1 end
  end
  if #f.provisioned > 0 and latest > 0 then
    ev[#ev + 1] = ("%d cold starts ran $LATEST: callers bypass the alias that has "
      .. "provisioned concurrency"):format(latest)
  elseif f.provisioned_err then
    ev[#ev + 1] = ("provisioned concurrency not readable (%s)"):format(f.provisioned_err.code or "error")
  elseif #f.provisioned == 0 then
    ev[#ev + 1] = "no provisioned concurrency configured"
  end
  if f.peak then ev[#ev + 1] = ("peak ConcurrentExecutions %s"):format(fmt_count(f.peak)) end
  for _, line in ipairs(f.trace_lines or {}) do ev[#ev + 1] = line end
  return ev
end

local function data_for(f)
  return {
    invocations = f.total, cold_starts = f.cold_n, cold_share = f.share,
    init_p50_ms = f.init.p50, init_p95_ms = f.init.p95, init_p99_ms = f.init.p99,
    init_max_ms = f.init.max, timeout_s = f.cfg.Timeout, over_timeout = f.over,
    code_size = f.cfg.CodeSize, package_bytes = f.package_bytes, runtime = f.cfg.Runtime,
    snapstart_eligible = f.snap_ok, provisioned_configs = #f.provisioned,
    recommended_provisioned = (f.fail or f.frequent) and f.pc_n or nil,
  }
end

--- No REPORT line has an Init Duration.
function M.no_cold_starts(ctx, f)
  ctx:finding{
    severity = "ok",
    title = ("no cold starts in %s invocations in the last %s"):format(fmt_count(f.total),
      ctx.window.label),
    evidence = { ("%s REPORT lines, none with Init Duration"):format(fmt_count(f.total)),
                 package_line(f.cfg) },
    confidence = "high", data = data_for(f),
  }
end

-- One finding over the cold starts: every outcome shows the same evidence and data.
local function report(ctx, f, o)
  ctx:finding{ severity = o.severity, title = o.title, evidence = evidence_for(ctx, f),
               why = o.why, fix = o.fix and fix_for(ctx, f) or nil,
               confidence = o.confidence, data = data_for(f) }
end

--- 1. The guide's "cold start > timeout".
function M.over_timeout(ctx, f)
  report(ctx, f, {
    severity = "fail", confidence = "high", fix = true,
    title = ("cold starts exceed the %d s timeout: Init Duration max %s, %d of %d cold "
      .. "starts over it"):format(f.cfg.Timeout, fmt_ms(f.init.max),
      math.max(f.over, f.slow_timeouts), f.cold_n),
    why = "the guide's \"cold start > timeout\": a new environment spends most of the "
      .. "timeout initializing, so the first request it serves times out or is slow, "
      .. "and every scale-out repeats it",
  })
end

--- 2. Frequent, slow cold starts.
function M.frequent(ctx, f)
  report(ctx, f, {
    severity = "warn", confidence = "medium", fix = true,
    title = ("frequent slow cold starts: %s of invocations, Init Duration p95 %s")
      :format(stats.fmt_pct(f.cold_n, f.total), fmt_ms(f.init.p95)),
    why = "each cold start adds its init time to a request's latency; at this rate "
      .. "callers notice",
  })
end

--- Cold starts that are rare or short: ok, with the numbers.
function M.rare(ctx, f)
  report(ctx, f, {
    severity = "ok", confidence = "high",
    title = ("%s in %s invocation%s (%s), Init Duration p95 %s"):format(
      text.plural(f.cold_n, "cold start"), fmt_count(f.total), text.s(f.total),
      stats.fmt_pct(f.cold_n, f.total), fmt_ms(f.init.p95)),
    why = f.share < ctx.args.frequent_share
      and "cold starts are rare: provisioned concurrency would cost more than it saves"
      or ("cold starts are frequent but short (p95 %s): provisioned concurrency would "
        .. "save little"):format(fmt_ms(f.init.p95)),
  })
end

return M
