--- steps.throttle.findings: what the throttle step says about what it found.
--
-- The field guide's "Diagnosing Lambda Throttling": which limit the peak reached
-- (reserved concurrency, the account's unreserved pool, or neither: bursts), with the
-- numbers read (Throttles, ConcurrentExecutions, GetAccountSettings, the reservation, the
-- event source mappings). steps/throttle.lua decides; this module writes the findings;
-- steps/throttle/plans.lua builds their fixes.
local lib_arn = require("lib.arn")
local metrics = require("evidence.metrics")
local plans = require("steps.throttle.plans")
local stats = require("lib.stats")
local text = require("lib.text")

local M = {}

local fmt = stats.fmt_count

local function mapping_line(m)
  local source = lib_arn.parse(m.EventSourceArn)
  local kind = source and source.service
  if kind == "sqs" then
    local max = m.ScalingConfig and m.ScalingConfig.MaximumConcurrency
    return ("SQS event source %s (mapping %s, %s): %s"):format(m.EventSourceArn, m.UUID,
      m.State or "?", max and ("ScalingConfig.MaximumConcurrency " .. max)
      or "no ScalingConfig.MaximumConcurrency: pollers scale up to 1,000 concurrent invokes")
  elseif kind == "kinesis" or kind == "dynamodb" then
    return ("stream event source %s (mapping %s): ParallelizationFactor %s, BatchSize %s "
      .. "(concurrent invokes = shards x ParallelizationFactor)"):format(m.EventSourceArn,
      m.UUID, tostring(m.ParallelizationFactor or 1), tostring(m.BatchSize or "?"))
  end
  return ("event source %s (mapping %s, %s)"):format(m.EventSourceArn or "?", m.UUID,
    m.State or "?")
end

--- What was seen, common to every verdict.
function M.evidence(s)
  local ev = {}
  ev[#ev + 1] = ("Throttles (Sum) %s in the last %s, at most %s per %d s; Invocations %s "
    .. "(%s of attempts throttled)"):format(fmt(s.throttled), s.ctx.window.label,
    fmt(s.peak_throttles), s.period, fmt(s.invoked),
    stats.fmt_pct(s.throttled, s.throttled + s.invoked))
  ev[#ev + 1] = ("ConcurrentExecutions (Maximum) of %s: peak %s"):format(s.name,
    s.peak and fmt(s.peak) or "no datapoints")
  if s.account_limit then
    ev[#ev + 1] = ("GetAccountSettings: AccountLimit.ConcurrentExecutions %s, "
      .. "UnreservedConcurrentExecutions %s%s"):format(fmt(s.account_limit),
      fmt(s.unreserved or 0), s.account_peak and (", account-wide peak " .. fmt(s.account_peak))
      or "")
  end
  ev[#ev + 1] = s.reserved
    and ("GetFunctionConcurrency %s: ReservedConcurrentExecutions %d"):format(s.arn, s.reserved)
    or ("GetFunctionConcurrency %s: no reserved concurrency (shares the unreserved pool)")
      :format(s.arn)
  for _, pc in ipairs(s.provisioned) do
    ev[#ev + 1] = ("provisioned concurrency on %s: %s requested, %s available, status %s")
      :format(pc.FunctionArn or "?", tostring(pc.RequestedProvisionedConcurrentExecutions),
      tostring(pc.AvailableProvisionedConcurrentExecutions), pc.Status or "?")
  end
  for _, m in ipairs(s.mappings) do ev[#ev + 1] = mapping_line(m) end
  return ev
end

function M.poller_over_reservation(s, m, max)
  s.evidence[#s.evidence + 1] = ("MaximumConcurrency %d of mapping %s exceeds the %d reserved: "
    .. "the pollers invoke more often than the function may run"):format(max, m.UUID, s.reserved)
end

-- The verdict's evidence: what was seen, then the function's own throttled calls, which
-- are not Lambda throttling (the unavailable step owns them).
local function verdict_evidence(s, extra)
  local ev = {}
  for _, l in ipairs(s.evidence) do ev[#ev + 1] = l end
  for _, l in ipairs(extra or {}) do ev[#ev + 1] = l end
  local hits = s.downstream
  if #hits > 0 then
    ev[#ev + 1] = ("%s show the function's own AWS calls throttled by another service, first "
      .. "at %s, last at %s: not Lambda throttling, and Lambda concurrency settings do not "
      .. "change them (the unavailable step reports them by service)"):format(
      text.plural(#hits, "log line"), hits[1].iso, hits[#hits].iso)
    for i = 1, math.min(s.a.max_examples, #hits) do ev[#ev + 1] = text.quote(hits[i]) end
  end
  return ev
end

local function data(s)
  return { throttles = s.throttled, invocations = s.invoked, peak_concurrency = s.peak,
           account_limit = s.account_limit, unreserved = s.unreserved, reserved = s.reserved,
           account_peak = s.account_peak, downstream_lines = #s.downstream,
           series = { label = "Throttles", values = metrics.values(s.throttles) } }
end

function M.reserved_zero(s, need, basis)
  local extra = {}
  for _, m in ipairs(s.sqs) do
    extra[#extra + 1] = ("messages from %s are received, throttled and returned to the queue "
      .. "until they expire or reach the dead-letter queue"):format(m.EventSourceArn)
  end
  s.ctx:finding{
    severity = "fail",
    title = ("reserved concurrency is 0: every invocation is throttled (%s throttles in the "
      .. "last %s)"):format(fmt(s.throttled), s.ctx.window.label),
    evidence = verdict_evidence(s, extra),
    why = "a reserved concurrency of 0 stops the function: Lambda answers every synchronous "
      .. "invoke with 429 TooManyRequestsException, retries asynchronous events and then "
      .. "drops them, and event source mappings make no progress. It is often set on "
      .. "purpose to switch a function off during an incident; if nobody meant it, remove it",
    fix = {
      explain = ("remove the reservation so the function shares the account's unreserved "
        .. "pool again; if the 0 was meant as a cap rather than a switch-off, reserve a real "
        .. "number instead of removing it (%d: %s)"):format(need, basis),
      plan = plans.remove_zero(s),
      verify = { plans.concurrency_check(s, "absent", nil,
        "the function has no reserved concurrency (it shares the unreserved pool)") },
      changes = s.unreserved
        and ("ReservedConcurrentExecutions 0 -> none (shares the %s unreserved executions)")
          :format(fmt(s.unreserved))
        or "ReservedConcurrentExecutions 0 -> none (shares the unreserved pool)",
    },
    confidence = "high",
    data = data(s),
  }
end

local function throttled_finding(s, f)
  f.evidence = verdict_evidence(s)
  f.confidence = f.severity == "fail" and "high" or "medium"
  f.data = data(s)
  s.ctx:finding(f)
end

-- The reservation raised to `need`, within what the account can reserve: { plan, verify,
-- changes, explain }; without a plan when the account settings are unknown or leave no
-- room, saying so. `why` explains `need`.
local function raise_fix(s, need, why)
  local cap = plans.capacity(s)
  if not cap then
    return { explain = ("raise the reservation (to %d: %s) once you know the room: the account "
      .. "settings could not be read, and a reservation may not leave fewer than %d executions "
      .. "unreserved (aws lambda get-account-settings)"):format(need, why, plans.MIN_UNRESERVED) }
  end
  if cap <= s.reserved then
    return { explain = ("the account has no room to raise the reservation (%s unreserved, %d "
      .. "must stay unreserved): ask for a higher concurrency limit or lower another "
      .. "function's reservation"):format(fmt(s.unreserved), plans.MIN_UNRESERVED) }
  end
  local n = math.min(need, cap)
  local explain = ("raise the reservation to %d (%s)"):format(n, why)
  if n < need then
    explain = ("raise the reservation to %d, the most the account allows (%d reserved + %s "
      .. "unreserved - the %d that must stay unreserved), short of the %d needed (%s)"):format(n,
      s.reserved, fmt(s.unreserved), plans.MIN_UNRESERVED, need, why)
  end
  return { explain = explain, plan = plans.raise(s, n),
           verify = { plans.concurrency_check(s, ">=", n,
             ("ReservedConcurrentExecutions >= %d"):format(n)) },
           changes = ("ReservedConcurrentExecutions %d -> %d"):format(s.reserved, n) }
end

-- explain + "; " + the guide's other remedies.
local function with_alternatives(fix, s, sizes, except)
  local others = plans.alternatives(s, sizes, except)
  if others then fix.explain = fix.explain and (fix.explain .. "; " .. others) or others end
  return fix
end

function M.at_reservation(s, seen, sizes)
  local fix = raise_fix(s, sizes.raise_need, ("peak %s x %.2f attempts per served invoke x %.1f "
    .. "headroom"):format(fmt(seen), sizes.scale, s.a.headroom))
  throttled_finding(s, {
    severity = "fail",
    title = ("throttled at its reserved concurrency: peak %s of %d reserved, %s throttles in "
      .. "the last %s"):format(fmt(seen), s.reserved, fmt(s.throttled), s.ctx.window.label),
    why = "reserved concurrency is a ceiling as well as a guarantee: once the function runs "
      .. "that many environments, every further invoke is rejected with 429 even when the "
      .. "account has room. Provisioned concurrency cannot exceed it",
    fix = with_alternatives(fix, s, sizes, "raise"),
  })
end

function M.at_account_limit(s, seen, cap, sizes)
  local fix = { explain = ("every function without a reservation shares the %s unreserved "
    .. "executions, and together they used them all"):format(fmt(cap)) }
  if sizes.quota then
    fix.explain = ("ask for a concurrency limit of %s (Service Quotas, allow 48-72 hours): %s")
      :format(fmt(sizes.quota), fix.explain)
    fix.plan = plans.quota(s, sizes.quota)
    fix.manual = "a quota increase is a request to AWS that no call takes back: file it once "
      .. "the peak is known to be real demand"
    fix.changes = ("account concurrency limit %s -> %s (requested)"):format(fmt(s.account_limit),
      fmt(sizes.quota))
  end
  throttled_finding(s, {
    severity = "fail",
    title = ("account concurrency limit reached: peak %s of %s unreserved (limit %s), %s "
      .. "throttles in the last %s"):format(fmt(seen), fmt(cap), fmt(s.account_limit or 0),
      fmt(s.throttled), s.ctx.window.label),
    why = "every function without a reservation shares the account's unreserved concurrency "
      .. "in the region; when their sum reaches it, further invokes of any of them are "
      .. "rejected with 429 TooManyRequestsException",
    fix = with_alternatives(fix, s, sizes, "quota"),
  })
end

function M.below_limit(s, seen, cap, cap_name, sizes)
  local fix = {}
  if sizes.pc_n and sizes.pc_n > 0 then
    fix.explain = ("keep %d environments warm with provisioned concurrency on %s, so bursts "
      .. "find them ready"):format(sizes.pc_n, s.alias or "a new alias live (of a newly "
      .. "published version: callers must invoke the alias)")
    fix.plan = plans.warm(s, sizes.pc_n)
    fix.manual = "provisioned concurrency is billed by the hour whether used or not, and a new "
      .. "alias helps only once callers invoke it: decide, then run the commands"
    fix.verify = { plans.provisioned_check(s, sizes.pc_n) }
    fix.changes = ("provisioned concurrency %d on %s"):format(sizes.pc_n, s.alias or "alias live")
  end
  throttled_finding(s, {
    severity = "warn",
    title = ("%s throttles in the last %s while peak concurrency %s stayed below the %s (%s)")
      :format(fmt(s.throttled), s.ctx.window.label, fmt(seen), cap_name, fmt(cap or 0)),
    why = "throttles below the limit come from bursts faster than Lambda's scaling rate "
      .. "(1,000 new environments every 10 s per function) or spikes shorter than the metric "
      .. "period; callers still see 429",
    fix = with_alternatives(fix, s, sizes, "warm"),
  })
end

function M.near_limit(s)
  local cap, seen = s.reserved or s.unreserved, s.peak or 0
  local fix
  if s.reserved then
    fix = raise_fix(s, math.ceil(seen * s.a.headroom), ("peak %s x %.1f headroom"):format(
      fmt(seen), s.a.headroom))
  else
    fix = { explain = "add headroom before the next peak: ask for a higher concurrency limit "
      .. "(Service Quotas) if the demand is real" }
  end
  s.ctx:finding{
    severity = "warn",
    title = ("no throttles yet, but peak concurrency %s is %s of the %s %s"):format(fmt(seen),
      stats.fmt_pct(seen, cap), fmt(cap), s.reserved and "reserved" or "unreserved"),
    evidence = verdict_evidence(s),
    why = "the next burst above the limit is rejected with 429 TooManyRequestsException",
    fix = with_alternatives(fix, s, s.sizes, "raise"),
    confidence = "medium",
    data = data(s),
  }
end

function M.all_clear(s)
  local cap, kind = s.reserved or s.unreserved, s.reserved and "reserved" or "unreserved"
  local label = s.ctx.window.label
  local title
  if not cap then -- the account settings could not be read: no limit to compare with
    title = s.peak and ("no throttles in the last %s (peak concurrency %s)"):format(label,
      fmt(s.peak)) or ("no throttles in the last %s"):format(label)
  elseif s.peak then
    title = ("no throttles in the last %s (peak concurrency %s of %s %s)"):format(label,
      fmt(s.peak), fmt(cap), kind)
  else
    title = ("no throttles in the last %s (%s %s executions available)"):format(label,
      fmt(cap), kind)
  end
  s.ctx:finding{
    severity = "ok",
    title = title,
    evidence = verdict_evidence(s),
    data = data(s),
  }
end

function M.provisioned_failed(s, pc)
  s.ctx:finding{
    severity = "warn",
    title = ("provisioned concurrency on %s failed: %s"):format(pc.FunctionArn or s.name,
      pc.StatusReason or "no reason given"),
    evidence = { ("ListProvisionedConcurrencyConfigs: %s requested, %s allocated, status FAILED")
      :format(tostring(pc.RequestedProvisionedConcurrentExecutions),
      tostring(pc.AllocatedProvisionedConcurrentExecutions)) },
    why = "the warm capacity the configuration promises does not exist",
    confidence = "high",
  }
end

return M
