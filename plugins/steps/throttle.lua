--- throttle: 429 TooManyRequestsException — which concurrency limit the function hits.
--
-- The field guide's "Diagnosing Lambda Throttling": read the account limit and the
-- unreserved pool (get-account-settings), the function's reserved concurrency
-- (get-function-concurrency; 0 means every invoke is throttled), its provisioned
-- concurrency, the Throttles and ConcurrentExecutions metrics over the window and the
-- event source mappings that feed it; then say which limit the peak reached, plan the one
-- remedy that fits it and name the guide's others (an SQS buffer with MaximumConcurrency,
-- provisioned concurrency, a limit increase) in words (steps/throttle/plans.lua).
-- Throttling codes in the function's own logs are its calls to other services being
-- throttled: the unavailable step owns that cause; this step only says, in its verdict's
-- evidence, that those lines are not Lambda throttling.
--
-- This file decides (which limit, how much to ask for); steps/throttle/findings.lua says
-- it and builds the fix plans.
local explain = require("steps.throttle.findings")
local lib_arn = require("lib.arn")
local metrics = require("evidence.metrics")
local services = require("lib.services")
local stats = require("lib.stats")
local evidence = require("triage.evidence")
local step = require("triage.step")

-- Lambda keeps at least this many executions unreserved in every account.
local MIN_UNRESERVED = 100
-- Bounds of an SQS event source mapping's ScalingConfig.MaximumConcurrency.
local SQS_MIN, SQS_MAX = 2, 1000

-- The checks run() names, defined below the manifest.
local checks = {}

local M = step.define{
  id = "throttle",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Throttling",
  description = "Account and reserved concurrency against the Throttles and "
    .. "ConcurrentExecutions metrics, event sources, and what to change first",
  tags = { "default", "capacity", "metrics", "concurrency", "config" },
  fixes = {
    "lambda PutFunctionConcurrency", "lambda DeleteFunctionConcurrency",
    "lambda PutProvisionedConcurrencyConfig", "lambda PublishVersion", "lambda CreateAlias",
    "service-quotas RequestServiceQuotaIncrease"
  },
  args = {
    near_limit = { default = 0.9, help = "a peak at this share of a limit has reached it" },
    warn_share = { default = 0.8, help = "no throttles yet, but a peak this close to a limit "
      .. "is a warning" },
    headroom = { default = 1.5, help = "recommended capacity = observed need x headroom" },
    sqs_share = { default = 0.5, help = "share of the unreserved pool an SQS buffer may use" },
    reserve_default = { default = 10, help = "reservation to propose when nothing ran to "
      .. "size one from" },
    max_examples = { default = 3, help = "log lines quoted per finding" },
  },
  needs = { "config", "metric:Throttles:Sum", "?account", "?concurrency", "?provisioned",
            "?mappings", "?aliases", "?metric:ConcurrentExecutions:Maximum",
            "?metric:Invocations:Sum", "?metric:Duration:Average",
            "?account_metric:ConcurrentExecutions:Maximum", "?events" },
  run = function(ctx, ev)
    local s = checks.picture(ctx, ev)
    if s.reserved == 0 then
      explain.reserved_zero(s, checks.size_reservation(s))
    elseif s.throttled > 0 then
      checks.throttled(s)
    elseif checks.near_limit(s) then
      explain.near_limit(s)
    else
      explain.all_clear(s)
    end
    for _, pc in ipairs(s.provisioned) do
      if pc.Status == "FAILED" then explain.provisioned_failed(s, pc) end
    end
  end,
}

-- Evidence that was read, or nil when it failed or is absent. A failed account or
-- reservation read is reported (as the step always did) and the step goes on without it.
local function read(ctx, ev, name, report)
  local v = ev[name]
  if v.failed and report then ctx:error_from(v.failed) end
  return evidence.data(v)
end

--- What was read, in one table: the limits, the metrics, the event sources, and the
--- function's own downstream throttling lines.
function checks.picture(ctx, ev)
  local cfg = ev.config
  local account = read(ctx, ev, "account", true)
  local reservation = read(ctx, ev, "concurrency", true)
  local limit = account and account.AccountLimit or {}
  local throttles = ev["metric:Throttles:Sum"]
  local conc = read(ctx, ev, "metric:ConcurrentExecutions:Maximum")
  local invocations = read(ctx, ev, "metric:Invocations:Sum")
  local account_peak = read(ctx, ev, "account_metric:ConcurrentExecutions:Maximum")
  local s = {
    ctx = ctx, a = ctx.args, name = ctx.function_name, arn = cfg.FunctionArn,
    account = ctx.account or lib_arn.account(cfg.FunctionArn),
    account_limit = limit.ConcurrentExecutions, unreserved = limit.UnreservedConcurrentExecutions,
    reserved = reservation and reservation.reserved,
    throttles = throttles, throttled = throttles.total or 0, peak_throttles = throttles.max or 0,
    period = throttles.period, peak = conc and conc.max,
    invoked = invocations and invocations.total or 0,
    account_peak = account_peak and account_peak.max,
    duration = read(ctx, ev, "metric:Duration:Average"),
    provisioned = read(ctx, ev, "provisioned") or {},
    mappings = read(ctx, ev, "mappings") or {},
    alias = checks.alias_for(ctx, read(ctx, ev, "aliases")),
    downstream = checks.downstream(read(ctx, ev, "events")),
  }
  s.sqs = {}
  for _, m in ipairs(s.mappings) do
    local source = lib_arn.parse(m.EventSourceArn)
    if source and source.service == "sqs" then s.sqs[#s.sqs + 1] = m end
  end
  s.evidence = explain.evidence(s)
  s.sizes = checks.guide_sizes(s)
  return s
end

--- The alias provisioned concurrency goes on: the one asked about, else an existing one.
function checks.alias_for(ctx, aliases)
  local q = ctx.qualifier
  if q and not q:match("^%d+$") and q ~= "$LATEST" then return q end
  local first = aliases and aliases[1]
  return first and first.Name or nil
end

--- The function's own calls that another service throttled (lib.services' family).
function checks.downstream(events)
  local hits = {}
  for _, e in ipairs(events or {}) do
    if services.throttling_in(e.message) then hits[#hits + 1] = e end
  end
  return hits
end

-- n rounded up to at least 1 and, when the pool is known, to what can be reserved
-- without going under the account's minimum unreserved executions.
local function clamp(s, n)
  local room = (s.unreserved or 0) + (s.reserved or 0) - MIN_UNRESERVED
  n = math.max(1, math.ceil(n))
  if room > 0 then n = math.min(n, room) end
  return n
end

--- Sizes for the guide's fixes: the SQS pollers' MaximumConcurrency (a share of the
--- unreserved pool, never above a reservation: pollers beyond it only produce throttles).
function checks.guide_sizes(s)
  local n = math.floor((s.unreserved or 200) * s.a.sqs_share)
  local sizes = { sqs_max = math.max(SQS_MIN, math.min(SQS_MAX, n)) }
  if s.reserved and s.reserved > 0 then
    sizes.sqs_max = math.max(SQS_MIN, math.min(sizes.sqs_max, s.reserved))
    for _, m in ipairs(s.sqs) do
      local max = m.ScalingConfig and m.ScalingConfig.MaximumConcurrency
      if max and max > s.reserved then explain.poller_over_reservation(s, m, max) end
    end
  end
  return sizes
end

--- A reservation to replace 0, by Little's law: needed concurrency = arrival rate x
--- duration (throttled requests per second x average duration x headroom): n, basis.
function checks.size_reservation(s)
  local durations = metrics.values(s.duration)
  local avg_ms = #durations > 0 and stats.summary(durations).mean or nil
  if not avg_ms or s.peak_throttles == 0 then
    return clamp(s, s.a.reserve_default), "no invocation ran to size it from"
  end
  local need = s.peak_throttles / s.period * avg_ms / 1000 * s.a.headroom
  return clamp(s, need), ("%s throttled requests per %d s x %s average duration x %.1f "
    .. "headroom"):format(stats.fmt_count(s.peak_throttles), s.period, stats.fmt_ms(avg_ms),
    s.a.headroom)
end

--- Throttles in the window: at the reservation, at the account's pool, or below both
--- (bursts faster than Lambda scales).
function checks.throttled(s)
  local a, sizes = s.a, s.sizes
  local reserved = s.reserved and s.reserved > 0 and s.reserved or nil
  local cap = reserved or s.unreserved or s.account_limit
  local seen = s.peak or 0
  if not s.reserved and s.account_peak then seen = math.max(seen, s.account_peak) end
  local at_limit = cap and seen >= cap * a.near_limit
  -- provisioned concurrency cannot exceed a reservation, so it adds nothing at one
  if not reserved then sizes.pc_n = clamp(s, s.peak or 1) end
  if not s.reserved and s.account_limit then
    sizes.quota = math.ceil(math.max(s.account_limit * 2, seen * a.headroom) / 100) * 100
  end
  if at_limit and reserved then
    -- demand the reservation turned away: the peak scaled by attempts per served invoke
    local scale = s.invoked > 0 and (s.invoked + s.throttled) / s.invoked or 1
    sizes.raise, sizes.scale = clamp(s, seen * scale * a.headroom), scale
    sizes.raise_need = math.max(1, math.ceil(seen * scale * a.headroom))
    return explain.at_reservation(s, seen, sizes)
  elseif at_limit then
    return explain.at_account_limit(s, seen, cap, sizes)
  end
  return explain.below_limit(s, seen, cap, reserved and "reserved concurrency"
    or "account's unreserved concurrency", sizes)
end

--- No throttles, but the peak is within warn_share of the limit that applies.
function checks.near_limit(s)
  local cap = s.reserved or s.unreserved
  return cap and cap > 0 and (s.peak or 0) >= cap * s.a.warn_share
end

return M
