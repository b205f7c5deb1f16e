--- cold_start: how often the function starts cold, how long init takes, and what would help.
--
-- Automates the field guide's "Cold start > timeout" row (large deployment package; fix
-- with SnapStart or provisioned concurrency) over the window's REPORT lines (Init
-- Duration marks a cold start, Restore Duration a SnapStart restore), the package and
-- layer sizes, the runtime, the provisioned concurrency configurations, the aliases and
-- the ConcurrentExecutions peak. The checks, in the guide's order:
--   1. cold start > timeout: an init at least as long as the timeout, or a timed-out cold
--      invocation whose init took a large share of it: fail;
--   2. frequent and slow cold starts: warn;
--   otherwise ok, with the numbers.
-- The fix (steps/cold_start/findings) is SnapStart when the runtime and configuration
-- allow it, else provisioned concurrency sized from the observed peak, plus trimming the
-- package; each is a plan of Lambda calls.
local findings = require("steps.cold_start.findings")
local logs = require("evidence.logs")
local stats = require("lib.stats")
local step = require("triage.step")
local xray = require("lib.xray")
local data = require("triage.evidence").data
local list_of = require("triage.evidence").list

local PEAK = "metric:ConcurrentExecutions:Maximum"
local checks = {} -- the named checks, defined below the manifest

local M = step.define{
  id = "cold_start",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Cold starts",
  description = "Init Duration count and percentiles against the timeout, package size, "
    .. "SnapStart eligibility and whether provisioned concurrency would help",
  tags = { "default", "execution", "logs", "performance" },
  fixes = {
    "lambda PutProvisionedConcurrencyConfig", "lambda UpdateFunctionConfiguration",
    "lambda PublishVersion", "lambda CreateAlias", "lambda UpdateAlias"
  },
  args = {
    frequent_share = { default = 0.1, help = "cold starts in this share of invocations are frequent" },
    slow_init_ms = { default = 1000, help = "an Init Duration p95 above this is slow" },
    init_share = { default = 0.5, help = "a timed-out cold start whose init took this share of the timeout" },
    large_package_mb = { default = 20, help = "code plus layers above this: advise trimming" },
    init_memory_mb = { default = 1024, help = "below this, mention that more memory speeds up init" },
    max_examples = { default = 3, help = "slowest cold starts quoted" },
  },
  needs = { "config", "reports", "events", "?provisioned", "?aliases", "?" .. PEAK, "?traces" },
  applies = function(ctx, ev)
    if ev.reports.absent then
      return false, ev.reports.absent .. ": Init Duration is only in the REPORT lines"
    end
    if #ev.reports == 0 then
      return false, ("no invocations (REPORT lines) in the last %s"):format(ctx.window.label)
    end
    return true
  end,
  run = function(ctx, ev)
    local f = checks.assess(ctx, ev, checks.cold_starts(ev))
    local over, frequent = checks.over_timeout(f), checks.frequent(ctx, f)
    if f.cold_n == 0 then return findings.no_cold_starts(ctx, f) end
    if over then return findings.over_timeout(ctx, f) end
    if frequent then return findings.frequent(ctx, f) end
    findings.rare(ctx, f)
  end,
}


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

--- SnapStart: possible? and why (not); a third value when it is already on.
function checks.snapstart(cfg, provisioned)
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

--- The alias to put SnapStart's version or provisioned concurrency behind: the one the
--- run names (as ListAliases returned it), else the function's first; nil when none.
function checks.alias(ctx, aliases)
  local q = ctx.qualifier
  if q and not q:match("^%d+$") and q ~= "$LATEST" then
    for _, a in ipairs(aliases) do
      if a.Name == q then return a end
    end
    return { Name = q }
  end
  return aliases[1]
end

-- The version a log stream belongs to: "2026/11/27/[12]abc..." -> "12".
local function stream_version(stream)
  return stream and stream:match("%[([^%]]+)%]") or nil
end

--- The cold invocations: REPORT lines with an Init (or Restore) Duration, whether each
--- timed out, and the version its log stream ran.
function checks.cold_starts(ev)
  local stream_of, timed_out = {}, {}
  for _, e in ipairs(ev.events) do
    local started = e.message:match("^START RequestId: (%S+)")
    if started then stream_of[started] = e.stream end
    if e.message:find("Task timed out after", 1, true) then
      local id = logs.request_id(e.message)
      if id then timed_out[id] = true end
    end
  end
  local cold = {}
  for _, r in ipairs(ev.reports) do
    local init = r.init_ms or r.restore_ms
    if init then
      cold[#cold + 1] = { report = r, init_ms = init, restore = r.init_ms == nil,
                          timed_out = timed_out[r.request_id] or r.status == "timeout",
                          version = stream_version(stream_of[r.request_id]) }
    end
  end
  return cold
end

-- The code and layers, in bytes.
local function package_bytes(cfg)
  local n = cfg.CodeSize or 0
  for _, l in ipairs(cfg.Layers or {}) do n = n + (l.CodeSize or 0) end
  return n
end

--- The numbers every check and finding uses: shares, init percentiles, inits over the
--- timeout, SnapStart eligibility, the alias, the provisioned concurrency to propose.
function checks.assess(ctx, ev, cold)
  local cfg, a = ev.config, ctx.args
  local timeout_ms = cfg.Timeout * 1000
  local inits, over, slow_timeouts = {}, 0, 0
  for i, c in ipairs(cold) do
    inits[i] = c.init_ms
    if c.init_ms >= timeout_ms then over = over + 1 end
    if c.timed_out and c.init_ms >= a.init_share * timeout_ms then slow_timeouts = slow_timeouts + 1 end
  end
  local slowest = table.move(cold, 1, #cold, 1, {})
  table.sort(slowest, function(x, y) return x.init_ms > y.init_ms end)
  local provisioned, peak = list_of(ev.provisioned), ev[PEAK].max or 0
  local snap_ok, snap_why = checks.snapstart(cfg, provisioned)
  return {
    cfg = cfg, cold = cold, cold_n = #cold, total = #ev.reports, init = stats.summary(inits),
    share = #cold / #ev.reports, over = over, slow_timeouts = slow_timeouts, slowest = slowest,
    snap_ok = snap_ok, snap_why = snap_why, package_bytes = package_bytes(cfg),
    provisioned = provisioned, provisioned_err = ev.provisioned.failed,
    alias = checks.alias(ctx, list_of(ev.aliases)), peak = ev[PEAK].max,
    pc_n = math.max(1, math.ceil(peak > 0 and peak or #cold)),
    trace_lines = checks.traced_init(ev),
  }
end

--- With active tracing: what the traced cold starts spent their Initialization on (the
--- slowest calls made while initializing, lib.xray), as evidence lines ({} without).
function checks.traced_init(ev)
  local tr = data(ev.traces)
  if not tr then return {} end
  local inits = {}
  for _, inv in ipairs(tr.traces) do
    if inv.init_ms then inits[#inits + 1] = inv.init_ms end
  end
  if #inits == 0 then return {} end
  local s = stats.summary(inits)
  local lines = { ("X-Ray: %d of %d traces read were cold starts, Initialization p50 %s, p95 %s")
    :format(#inits, #tr.traces, stats.fmt_ms(s.p50), stats.fmt_ms(s.p95)) }
  for i, r in ipairs(xray.init_calls(tr.traces)) do
    if i > 3 then break end
    lines[#lines + 1] = ("  during Initialization: %s, %d %s, p95 %s"):format(r.label, r.calls,
      r.calls == 1 and "call" or "calls", stats.fmt_ms(r.p95_ms))
  end
  return lines
end

--- 1. The guide's "cold start > timeout": an init as long as the timeout, or a timed-out
--- cold start whose init took `init_share` of it.
function checks.over_timeout(f)
  f.fail = f.over > 0 or f.slow_timeouts > 0
  return f.fail
end

--- 2. Cold starts in `frequent_share` of invocations with an Init p95 over `slow_init_ms`.
function checks.frequent(ctx, f)
  f.frequent = f.share >= ctx.args.frequent_share and (f.init.p95 or 0) >= ctx.args.slow_init_ms
  return f.frequent
end

return M
