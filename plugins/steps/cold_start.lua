--- cold_start: how often the function starts cold, how long init takes, and what would help.
--
-- The field guide's "Cold start > timeout" row (large deployment package; fix with
-- SnapStart or provisioned concurrency). Gather the REPORT lines (Init Duration marks a
-- cold start, Restore Duration a SnapStart restore), the package and layer sizes, the
-- runtime, the provisioned concurrency configs, the aliases and the ConcurrentExecutions
-- peak; then decide:
--   * an init longer than the timeout, or a cold invocation that timed out with init
--     taking a large share of the timeout: fail (the guide's "cold start > timeout");
--   * frequent and slow cold starts: warn;
--   * otherwise: ok, with the numbers.
-- The fix is SnapStart when the runtime and configuration allow it, else provisioned
-- concurrency sized from the observed peak, plus trimming the package.
local logs = require("triage.logs")
local metrics = require("triage.metrics")
local runbook = require("runbook")
local stats = require("triage.stats")

local fmt_ms, fmt_count = stats.fmt_ms, stats.fmt_count

-- gather -----------------------------------------------------------------------------------

local function gather(ctx)
  local name = ctx.function_name
  local got, errs = runbook.gather {
    cfg = function() return ctx:config() end,
    reports = function() return logs.reports(ctx) end,
    timeout_lines = function() return logs.matching(ctx, "Task timed out after") end,
    provisioned = function()
      return ctx.aws.collect("lambda", "ListProvisionedConcurrencyConfigs", { FunctionName = name })
    end,
    aliases = function() return ctx.aws.collect("lambda", "ListAliases", { FunctionName = name }) end,
    concurrency = function() return metrics.series(ctx, "ConcurrentExecutions", "Maximum") end,
    events = function() return logs.events(ctx) end,
  }
  return {
    cfg = got.cfg, cfg_err = errs.cfg,
    reports = got.reports, reports_err = errs.reports,
    timeout_lines = got.timeout_lines or {},
    provisioned = got.provisioned or {},
    aliases = got.aliases or {},
    concurrency = got.concurrency,
    events = got.events or {},
  }
end

-- Which runtimes SnapStart supports: Java 11+, Python 3.12+, .NET 8+ (managed runtimes).
local function snapstart_runtime(runtime)
  if not runtime then return false end
  local java = runtime:match("^java(%d+)")
  if java then return tonumber(java) >= 11 end
  local py = runtime:match("^python3%.(%d+)")
  if py then return tonumber(py) >= 12 end
  local dotnet = runtime:match("^dotnet(%d+)$")
  if dotnet then return tonumber(dotnet) >= 8 end
  return false
end

-- SnapStart: possible? and if not, why not.
local function snapstart(cfg, provisioned)
  if cfg.SnapStart and cfg.SnapStart.ApplyOn == "PublishedVersions" then
    return false, "SnapStart is already on (ApplyOn PublishedVersions)", true
  end
  if (cfg.PackageType or "Zip") ~= "Zip" then return false, "container images cannot use SnapStart" end
  if not snapstart_runtime(cfg.Runtime) then
    return false, ("SnapStart does not support %s (Java 11+, Python 3.12+ and .NET 8+ only)")
      :format(tostring(cfg.Runtime))
  end
  if cfg.FileSystemConfigs and #cfg.FileSystemConfigs > 0 then
    return false, "SnapStart cannot be used with an EFS file system"
  end
  if cfg.EphemeralStorage and (cfg.EphemeralStorage.Size or 512) > 512 then
    return false, "SnapStart needs ephemeral storage of 512 MB or less"
  end
  if #provisioned > 0 then
    return false, "SnapStart cannot be combined with the existing provisioned concurrency"
  end
  return true, ("%s supports SnapStart"):format(cfg.Runtime)
end

-- The alias to put SnapStart's version or provisioned concurrency behind.
local function alias_for(ctx, aliases)
  local q = ctx.qualifier
  if q and not q:match("^%d+$") and q ~= "$LATEST" then return q end
  return aliases[1] and aliases[1].Name or nil
end

-- The version a log stream belongs to: "2026/11/27/[12]abc..." -> "12".
local function stream_version(stream)
  return stream and stream:match("%[([^%]]+)%]") or nil
end

local function cold_starts(g)
  local stream_of = {}
  for _, e in ipairs(g.events) do
    if e.message:find("^START RequestId: ") then
      stream_of[e.message:match("^START RequestId: (%S+)")] = e.stream
    end
  end
  local timed_out = {}
  for _, e in ipairs(g.timeout_lines) do
    local id = logs.request_id(e.message)
    if id then timed_out[id] = true end
  end
  local cold = {}
  for _, r in ipairs(g.reports) do
    local init = r.init_ms or r.restore_ms
    if init then
      cold[#cold + 1] = { report = r, init_ms = init, restore = r.init_ms == nil,
                          timed_out = timed_out[r.request_id] or r.status == "timeout",
                          version = stream_version(stream_of[r.request_id]) }
    end
  end
  return cold
end

-- decide and explain -----------------------------------------------------------------------

local function package_line(cfg)
  local layer_bytes, arns = 0, {}
  for _, l in ipairs(cfg.Layers or {}) do
    layer_bytes = layer_bytes + (l.CodeSize or 0)
    arns[#arns + 1] = l.Arn
  end
  local line = ("package %s (CodeSize %s)"):format(stats.fmt_bytes(cfg.CodeSize or 0),
    fmt_count(cfg.CodeSize or 0))
  if #arns > 0 then
    line = line .. ("; %d layer%s %s: %s"):format(#arns, #arns == 1 and "" or "s",
      stats.fmt_bytes(layer_bytes), table.concat(arns, ", "))
  end
  return line, (cfg.CodeSize or 0) + layer_bytes
end

local function fix_for(ctx, g, f)
  local name, cfg = ctx.function_name, g.cfg
  local explain, commands, changes = {}, {}, {}
  local alias = alias_for(ctx, g.aliases)
  local pc_cmd = alias and ("aws lambda put-provisioned-concurrency-config --function-name %s "
    .. "--qualifier %s --provisioned-concurrent-executions %d"):format(name, alias, f.pc_n)
  if f.snap_ok then
    commands[#commands + 1] = ("aws lambda update-function-configuration --function-name %s "
      .. "--snap-start ApplyOn=PublishedVersions"):format(name)
    commands[#commands + 1] = ("aws lambda wait function-updated-v2 --function-name %s"):format(name)
    commands[#commands + 1] = ("VERSION=$(aws lambda publish-version --function-name %s "
      .. "--query Version --output text)"):format(name)
    commands[#commands + 1] = alias
      and ("aws lambda update-alias --function-name %s --name %s --function-version \"$VERSION\"")
        :format(name, alias)
      or ("aws lambda create-alias --function-name %s --name live --function-version \"$VERSION\"")
        :format(name)
    changes[#changes + 1] = ("SnapStart None -> PublishedVersions; alias %s -> the new version")
      :format(alias or "live (new)")
    explain[#explain + 1] = ("turn on SnapStart (%s): Lambda runs init once when a version is "
      .. "published and restores new environments from its snapshot; callers must invoke the "
      .. "alias %s, not $LATEST"):format(f.snap_why, alias or "live")
    if f.frequent then
      explain[#explain + 1] = ("if restores are still too slow, use provisioned concurrency "
        .. "instead (the two cannot be combined): %d environments%s"):format(f.pc_n,
        pc_cmd and (", " .. pc_cmd) or "")
    end
  elseif f.frequent or f.fail then
    if pc_cmd then
      commands[#commands + 1] = pc_cmd
    else
      commands[#commands + 1] = ("VERSION=$(aws lambda publish-version --function-name %s "
        .. "--query Version --output text)"):format(name)
      commands[#commands + 1] = ("aws lambda create-alias --function-name %s --name live "
        .. "--function-version \"$VERSION\""):format(name)
      commands[#commands + 1] = ("aws lambda put-provisioned-concurrency-config --function-name "
        .. "%s --qualifier live --provisioned-concurrent-executions %d"):format(name, f.pc_n)
    end
    changes[#changes + 1] = ("provisioned concurrency %d on %s"):format(f.pc_n, alias or "live (new)")
    explain[#explain + 1] = ("keep %d environments initialized with provisioned concurrency "
      .. "(the peak ConcurrentExecutions in the window; %s)"):format(f.pc_n, f.snap_why)
  end
  if f.package_bytes >= ctx.args.large_package_mb * 1024 * 1024 then
    explain[#explain + 1] = ("shrink the %s package: drop unused dependencies and test "
      .. "files, load heavy modules lazily; init time grows with what is loaded")
      :format(stats.fmt_bytes(f.package_bytes))
  end
  if (cfg.MemorySize or 128) < ctx.args.init_memory_mb then
    explain[#explain + 1] = ("more memory gives init more CPU (%d MB now)"):format(cfg.MemorySize)
  end
  if f.fail and not f.snap_ok then
    explain[#explain + 1] = ("or raise the timeout above the slowest init (%s)"):format(fmt_ms(f.init.max))
  end
  return { explain = table.concat(explain, "; "), commands = commands,
           changes = #changes > 0 and table.concat(changes, "; ") or nil }
end

local function evidence_for(ctx, g, f)
  local cfg = g.cfg
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
  local pkg = package_line(cfg)
  ev[#ev + 1] = ("runtime %s, %d MB; %s"):format(tostring(cfg.Runtime or cfg.PackageType),
    cfg.MemorySize or 0, pkg)
  ev[#ev + 1] = f.snap_why
  if #g.provisioned > 0 then
    for _, p in ipairs(g.provisioned) do
      local q = p.FunctionArn and p.FunctionArn:match(":([^:]+)$") or "?"
      ev[#ev + 1] = ("provisioned concurrency on %s: %s of %s requested, %s"):format(q,
        tostring(p.AvailableProvisionedConcurrentExecutions or 0),
        tostring(p.RequestedProvisionedConcurrentExecutions or 0), tostring(p.Status))
    end
    local versions = {}
    for _, c in ipairs(f.cold) do
      if c.version then versions[c.version] = (versions[c.version] or 0) + 1 end
    end
    if versions["$LATEST"] then
      ev[#ev + 1] = ("%d cold starts ran $LATEST: callers bypass the alias that has "
        .. "provisioned concurrency"):format(versions["$LATEST"])
    end
  else
    ev[#ev + 1] = "no provisioned concurrency configured"
  end
  if g.concurrency and g.concurrency.max then
    ev[#ev + 1] = ("peak ConcurrentExecutions %s"):format(fmt_count(g.concurrency.max))
  end
  return ev
end

local function assess(ctx, g, cold)
  local cfg, a = g.cfg, ctx.args
  local timeout_ms = cfg.Timeout * 1000
  local inits, over, slow_timeouts = {}, 0, 0
  for i, c in ipairs(cold) do
    inits[i] = c.init_ms
    if c.init_ms >= timeout_ms then over = over + 1 end
    if c.timed_out and c.init_ms >= a.init_share * timeout_ms then slow_timeouts = slow_timeouts + 1 end
  end
  local slowest = {}
  for i, c in ipairs(cold) do slowest[i] = c end
  table.sort(slowest, function(x, y) return x.init_ms > y.init_ms end)
  local init = stats.summary(inits)
  local total = #g.reports
  local share = total > 0 and #cold / total or 0
  local peak = g.concurrency and g.concurrency.max or 0
  local snap_ok, snap_why = snapstart(cfg, g.provisioned)
  local _, package_bytes = package_line(cfg)
  local f = {
    cold = cold, cold_n = #cold, total = total, share = share, init = init, over = over,
    slow_timeouts = slow_timeouts, slowest = slowest, snap_ok = snap_ok, snap_why = snap_why,
    package_bytes = package_bytes,
    pc_n = math.max(1, math.ceil(peak > 0 and peak or #cold)),
  }
  f.fail = over > 0 or slow_timeouts > 0
  f.frequent = share >= a.frequent_share and (init.p95 or 0) >= a.slow_init_ms
  return f
end

return {
  id = "cold_start",
  title = "Cold starts",
  description = "Init Duration count and percentiles against the timeout, package size, "
    .. "SnapStart eligibility and whether provisioned concurrency would help",
  tags = { "execution", "logs", "performance" },
  args = {
    frequent_share = 0.1,  -- cold starts in at least this share of invocations are frequent
    slow_init_ms = 1000,   -- an Init Duration p95 above this is slow
    init_share = 0.5,      -- a timed-out cold start whose init took this share of the timeout
    large_package_mb = 20, -- code plus layers above this: advise trimming
    init_memory_mb = 1024, -- below this, mention that more memory speeds up init
    max_examples = 3,      -- slowest cold starts quoted
  },
  run = function(ctx)
    local g = gather(ctx)
    if not g.cfg then return ctx:error_from(g.cfg_err, "lambda GetFunctionConfiguration") end
    if not g.reports then
      if g.reports_err and g.reports_err.code == "ResourceNotFoundException" then
        return ctx:skip(("no log group %s: Init Duration is only in the REPORT lines")
          :format(logs.group(ctx)))
      end
      return ctx:error_from(g.reports_err, "logs FilterLogEvents")
    end
    if #g.reports == 0 then
      return ctx:skip(("no invocations (REPORT lines) in the last %s"):format(ctx.window.label))
    end
    local cold = cold_starts(g)
    local f = assess(ctx, g, cold)
    local data = {
      invocations = f.total, cold_starts = f.cold_n, cold_share = f.share,
      init_p50_ms = f.init.p50, init_p95_ms = f.init.p95, init_p99_ms = f.init.p99,
      init_max_ms = f.init.max, timeout_s = g.cfg.Timeout, over_timeout = f.over,
      code_size = g.cfg.CodeSize, package_bytes = f.package_bytes, runtime = g.cfg.Runtime,
      snapstart_eligible = f.snap_ok, provisioned_configs = #g.provisioned,
    }
    if f.cold_n == 0 then
      return ctx:finding{
        severity = "ok",
        title = ("no cold starts in %s invocations in the last %s"):format(fmt_count(f.total),
          ctx.window.label),
        evidence = { ("%s REPORT lines, none with Init Duration"):format(fmt_count(f.total)),
                     (package_line(g.cfg)) },
        confidence = "high", data = data,
      }
    end
    local evidence = evidence_for(ctx, g, f)
    if f.fail then
      data.recommended_provisioned = f.pc_n
      return ctx:finding{
        severity = "fail",
        title = ("cold starts exceed the %d s timeout: Init Duration max %s, %d of %d cold "
          .. "starts over it"):format(g.cfg.Timeout, fmt_ms(f.init.max), math.max(f.over,
          f.slow_timeouts), f.cold_n),
        evidence = evidence,
        why = "the guide's \"cold start > timeout\": a new environment spends most of the "
          .. "timeout initializing, so the first request it serves times out or is slow, "
          .. "and every scale-out repeats it",
        fix = fix_for(ctx, g, f), confidence = "high", data = data,
      }
    end
    if f.frequent then
      data.recommended_provisioned = f.pc_n
      return ctx:finding{
        severity = "warn",
        title = ("frequent slow cold starts: %s of invocations, Init Duration p95 %s")
          :format(stats.fmt_pct(f.cold_n, f.total), fmt_ms(f.init.p95)),
        evidence = evidence,
        why = "each cold start adds its init time to a request's latency; at this rate "
          .. "callers notice",
        fix = fix_for(ctx, g, f), confidence = "medium", data = data,
      }
    end
    ctx:finding{
      severity = "ok",
      title = ("%d cold start%s in %s invocation%s (%s), Init Duration p95 %s"):format(f.cold_n,
        f.cold_n == 1 and "" or "s", fmt_count(f.total), f.total == 1 and "" or "s",
        stats.fmt_pct(f.cold_n, f.total), fmt_ms(f.init.p95)),
      evidence = evidence,
      why = f.share < ctx.args.frequent_share
        and "cold starts are rare: provisioned concurrency would cost more than it saves"
        or ("cold starts are frequent but short (p95 %s): provisioned concurrency would "
          .. "save little"):format(fmt_ms(f.init.p95)),
      confidence = "high", data = data,
    }
  end,
}
