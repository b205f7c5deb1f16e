--- throttle: 429 TooManyRequestsException — which concurrency limit the function hits.
--
-- The field guide's "Diagnosing Lambda Throttling": read the account limit and the
-- unreserved pool (get-account-settings), the function's reserved concurrency
-- (get-function-concurrency; 0 means every invoke is throttled), its provisioned
-- concurrency, the Throttles and ConcurrentExecutions metrics over the window and the
-- event source mappings that feed it; then say which limit the peak reached and give the
-- fixes in the guide's order: an SQS buffer with MaximumConcurrency, provisioned
-- concurrency, a limit increase. TooManyRequestsException lines in the function's own
-- logs are its calls to other services being throttled: a different problem, said so.
local runbook = require("runbook")
local logs = require("triage.logs")
local metrics = require("triage.metrics")
local stats = require("triage.stats")

-- Service Quotas code of Lambda's "Concurrent executions" quota.
local QUOTA_CODE = "L-B99A9384"
-- Lambda keeps at least this many executions unreserved in every account.
local MIN_UNRESERVED = 100
-- Bounds of an SQS event source mapping's ScalingConfig.MaximumConcurrency.
local SQS_MIN, SQS_MAX = 2, 1000

-- How the function's own SDK calls report being throttled by another service.
local DOWNSTREAM = { "TooManyRequestsException", "Rate exceeded", "Rate Exceeded",
                     "ThrottlingException", "ThrottledException", "SlowDown",
                     "ProvisionedThroughputExceededException", "RequestLimitExceeded",
                     "TransactionInProgressException" }

local fmt = stats.fmt_count

local function account_peak(ctx)
  -- The account-wide ConcurrentExecutions metric is the one without dimensions.
  local series, err = metrics.series(ctx, "ConcurrentExecutions", "Maximum", { dimensions = {} })
  if not series then return nil, err end
  return series.max
end

local function gather(ctx)
  local name = ctx.function_name
  local calls = {
    config = function() return ctx:config() end,
    account = function() return ctx.aws.lambda.GetAccountSettings{} end,
    reserved = function() return ctx.aws.lambda.GetFunctionConcurrency{ FunctionName = name } end,
    provisioned = function()
      return ctx.aws.collect("lambda", "ListProvisionedConcurrencyConfigs", { FunctionName = name })
    end,
    mappings = function()
      return ctx.aws.collect("lambda", "ListEventSourceMappings", { FunctionName = name })
    end,
    aliases = function()
      return ctx.aws.collect("lambda", "ListAliases", { FunctionName = name })
    end,
    throttles = function() return metrics.series(ctx, "Throttles", "Sum") end,
    concurrency = function() return metrics.series(ctx, "ConcurrentExecutions", "Maximum") end,
    invocations = function() return metrics.series(ctx, "Invocations", "Sum") end,
    duration = function() return metrics.series(ctx, "Duration", "Average") end,
    account_peak = function() return account_peak(ctx) end,
    events = function() return logs.events(ctx) end,
  }
  return runbook.gather(calls)
end

-- A finding's evidence line about each event source mapping, and the SQS ones.
local function describe_mappings(mappings)
  local lines, sqs = {}, {}
  for _, m in ipairs(mappings or {}) do
    local arn = m.EventSourceArn or "?"
    if arn:find("^arn:aws[%w-]*:sqs:") then
      local max = m.ScalingConfig and m.ScalingConfig.MaximumConcurrency
      sqs[#sqs + 1] = m
      lines[#lines + 1] = ("SQS event source %s (mapping %s, %s): %s"):format(arn, m.UUID,
        m.State or "?", max and ("ScalingConfig.MaximumConcurrency " .. max)
        or "no ScalingConfig.MaximumConcurrency: pollers scale up to 1,000 concurrent invokes")
    elseif arn:find(":kinesis:") or arn:find(":dynamodb:") then
      lines[#lines + 1] = ("stream event source %s (mapping %s): ParallelizationFactor %s, "
        .. "BatchSize %s (concurrent invokes = shards x ParallelizationFactor)"):format(arn,
        m.UUID, tostring(m.ParallelizationFactor or 1), tostring(m.BatchSize or "?"))
    else
      lines[#lines + 1] = ("event source %s (mapping %s, %s)"):format(arn, m.UUID, m.State or "?")
    end
  end
  return lines, sqs
end

local function downstream_lines(events)
  local hits = {}
  for _, e in ipairs(events or {}) do
    for _, word in ipairs(DOWNSTREAM) do
      if e.message:find(word, 1, true) then
        hits[#hits + 1] = e
        break
      end
    end
  end
  return hits
end

-- A log line for evidence: its first line, prefixed with the event time unless the
-- runtime already wrote one.
local function quote(e)
  local line = e.message:match("^[^\n]*"):gsub("%s+$", "")
  if #line > 240 then line = line:sub(1, 237) .. "..." end
  if line:find("^%d%d%d%d%-%d%d%-%d%dT") or line:find("^%[%u+%]%s+%d%d%d%d%-") then
    return line
  end
  return e.iso .. " " .. line
end

-- The alias provisioned concurrency goes on: the one asked about, else an existing one.
local function alias_for(ctx, aliases)
  if ctx.qualifier and not ctx.qualifier:match("^%d+$") and ctx.qualifier ~= "$LATEST" then
    return ctx.qualifier
  end
  local first = aliases and aliases[1]
  return first and first.Name or nil
end

local function ceil_to(n, step)
  return math.ceil(n / step) * step
end

-- Fix commands in the guide's order: SQS buffer, provisioned concurrency, limit increase.
local function guide_fixes(ctx, f)
  local name, cmds = ctx.function_name, {}
  local explain = {}
  if #f.sqs > 0 then
    for _, m in ipairs(f.sqs) do
      cmds[#cmds + 1] = ("aws lambda update-event-source-mapping --uuid %s --scaling-config "
        .. "MaximumConcurrency=%d"):format(m.UUID, f.sqs_max)
    end
    explain[#explain + 1] = ("1) cap the SQS pollers at MaximumConcurrency %d so bursts wait "
      .. "in the queue instead of being throttled"):format(f.sqs_max)
  else
    local queue = name .. "-buffer"
    cmds[#cmds + 1] = ("aws sqs create-queue --queue-name %s"):format(queue)
    cmds[#cmds + 1] = ("aws lambda create-event-source-mapping --function-name %s "
      .. "--event-source-arn arn:aws:sqs:%s:%s:%s --scaling-config MaximumConcurrency=%d")
      :format(name, ctx.region, f.account, queue, f.sqs_max)
    explain[#explain + 1] = ("1) put an SQS queue in front (producers send to it instead of "
      .. "invoking) and let Lambda poll it at MaximumConcurrency %d"):format(f.sqs_max)
  end
  if f.pc_n and f.pc_n > 0 then
    if f.alias then
      cmds[#cmds + 1] = ("aws lambda put-provisioned-concurrency-config --function-name %s "
        .. "--qualifier %s --provisioned-concurrent-executions %d"):format(name, f.alias, f.pc_n)
    else
      cmds[#cmds + 1] = ("aws lambda publish-version --function-name %s"):format(name)
      cmds[#cmds + 1] = ("aws lambda create-alias --function-name %s --name live "
        .. "--function-version VERSION_FROM_PUBLISH"):format(name)
      cmds[#cmds + 1] = ("aws lambda put-provisioned-concurrency-config --function-name %s "
        .. "--qualifier live --provisioned-concurrent-executions %d"):format(name, f.pc_n)
    end
    explain[#explain + 1] = ("2) keep %d environments warm with provisioned concurrency on "
      .. "%s (the observed peak of %s, within the unreserved pool)"):format(f.pc_n,
      f.alias or "a new alias", fmt(f.peak or 0))
  end
  if f.quota then
    cmds[#cmds + 1] = ("aws service-quotas request-service-quota-increase --service-code lambda "
      .. "--quota-code %s --desired-value %d"):format(QUOTA_CODE, f.quota)
    explain[#explain + 1] = ("3) ask for a concurrency limit of %s (Service Quotas; allow "
      .. "48-72 hours)"):format(fmt(f.quota))
  end
  return cmds, "alternatives in the field guide's order of preference: "
    .. table.concat(explain, "; ")
end

return {
  id = "throttle",
  title = "Throttling",
  description = "Account and reserved concurrency against the Throttles and "
    .. "ConcurrentExecutions metrics, event sources, and what to change first",
  tags = { "capacity", "metrics", "concurrency" },
  args = {
    near_limit = 0.9,      -- a peak at this share of a limit has reached it
    warn_share = 0.8,      -- no throttles yet, but the peak is this close to a limit
    headroom = 1.5,        -- recommended capacity = observed need x headroom
    sqs_share = 0.5,       -- share of the unreserved pool an SQS buffer may use
    reserve_default = 10,  -- reservation to propose when nothing ran to size one from
    max_examples = 3,      -- log lines quoted per finding
  },
  run = function(ctx)
    local a = ctx.args
    local got, errs = gather(ctx)
    local cfg = got.config
    if not cfg then return ctx:error_from(errs.config, "GetFunctionConfiguration") end
    if not got.throttles then return ctx:error_from(errs.throttles, "GetMetricStatistics") end
    if not got.account then ctx:error_from(errs.account, "GetAccountSettings") end
    if not got.reserved then ctx:error_from(errs.reserved, "GetFunctionConcurrency") end

    local name, arn = ctx.function_name, cfg.FunctionArn
    local account = ctx.account or (arn or ""):match("^arn:[%w-]+:lambda:[%w-]+:(%d+):")
    local limit = got.account and got.account.AccountLimit or {}
    local account_limit = limit.ConcurrentExecutions
    local unreserved = limit.UnreservedConcurrentExecutions
    local reserved = got.reserved and got.reserved.ReservedConcurrentExecutions
    local throttled = got.throttles.total or 0
    local peak_throttles = got.throttles.max or 0
    local conc = got.concurrency
    local peak = conc and conc.max
    local invoked = got.invocations and got.invocations.total or 0
    local period = got.throttles.period
    local window = ctx.window.label or (ctx.window.seconds .. " s")
    local series = { label = "Throttles", values = metrics.values(got.throttles) }
    local map_lines, sqs = describe_mappings(got.mappings)
    local alias = alias_for(ctx, got.aliases)

    -- what was seen, common to every verdict
    local evidence = {}
    evidence[#evidence + 1] = ("Throttles (Sum) %s in the last %s, at most %s per %d s; "
      .. "Invocations %s (%s of attempts throttled)"):format(fmt(throttled), window,
      fmt(peak_throttles), period, fmt(invoked), stats.fmt_pct(throttled, throttled + invoked))
    evidence[#evidence + 1] = ("ConcurrentExecutions (Maximum) of %s: peak %s"):format(name,
      peak and fmt(peak) or "no datapoints")
    if account_limit then
      evidence[#evidence + 1] = ("GetAccountSettings: AccountLimit.ConcurrentExecutions %s, "
        .. "UnreservedConcurrentExecutions %s%s"):format(fmt(account_limit), fmt(unreserved or 0),
        got.account_peak and (", account-wide peak " .. fmt(got.account_peak)) or "")
    end
    evidence[#evidence + 1] = reserved and ("GetFunctionConcurrency %s: "
      .. "ReservedConcurrentExecutions %d"):format(arn, reserved)
      or ("GetFunctionConcurrency %s: no reserved concurrency (shares the unreserved pool)")
      :format(arn)
    for _, pc in ipairs(got.provisioned or {}) do
      evidence[#evidence + 1] = ("provisioned concurrency on %s: %s requested, %s available, "
        .. "status %s"):format(pc.FunctionArn or "?",
        tostring(pc.RequestedProvisionedConcurrentExecutions),
        tostring(pc.AvailableProvisionedConcurrentExecutions), pc.Status or "?")
    end
    for _, l in ipairs(map_lines) do evidence[#evidence + 1] = l end

    local data = {
      throttles = throttled, invocations = invoked, peak_concurrency = peak,
      account_limit = account_limit, unreserved = unreserved, reserved = reserved,
      account_peak = got.account_peak, series = series,
    }
    local room = (unreserved or 0) + (reserved or 0) - MIN_UNRESERVED
    local function clamp(n)
      n = math.max(1, math.ceil(n))
      if room > 0 then n = math.min(n, room) end
      return n
    end
    local fixes = {
      sqs = sqs, peak = peak, alias = alias, account = account,
      sqs_max = math.max(SQS_MIN, math.min(SQS_MAX, math.floor((unreserved or 200) * a.sqs_share))),
    }
    if reserved and reserved > 0 then
      -- pollers beyond the reservation only produce throttles
      fixes.sqs_max = math.max(SQS_MIN, math.min(fixes.sqs_max, reserved))
      for _, m in ipairs(sqs) do
        local max = m.ScalingConfig and m.ScalingConfig.MaximumConcurrency
        if max and max > reserved then
          evidence[#evidence + 1] = ("MaximumConcurrency %d of mapping %s exceeds the %d "
            .. "reserved: the pollers invoke more often than the function may run")
            :format(max, m.UUID, reserved)
        end
      end
    end

    if reserved == 0 then
      -- Little's law: needed concurrency = arrival rate x duration.
      local need, basis = a.reserve_default, "no invocation ran to size it from"
      local durations = metrics.values(got.duration)
      local avg_ms = #durations > 0 and stats.summary(durations).mean or nil
      if avg_ms and peak_throttles > 0 then
        need = math.ceil(peak_throttles / period * avg_ms / 1000 * a.headroom)
        basis = ("%s throttled requests per %d s x %s average duration x %.1f headroom")
          :format(fmt(peak_throttles), period, stats.fmt_ms(avg_ms), a.headroom)
      end
      need = clamp(need)
      for _, m in ipairs(sqs) do
        evidence[#evidence + 1] = ("messages from %s are received, throttled and returned to "
          .. "the queue until they expire or reach the dead-letter queue"):format(m.EventSourceArn)
      end
      ctx:finding{
        severity = "fail",
        title = ("reserved concurrency is 0: every invocation is throttled (%s throttles in "
          .. "the last %s)"):format(fmt(throttled), window),
        evidence = evidence,
        why = "a reserved concurrency of 0 stops the function: Lambda answers every synchronous "
          .. "invoke with 429 TooManyRequestsException, retries asynchronous events and then "
          .. "drops them, and event source mappings make no progress. It is often set on "
          .. "purpose to switch a function off during an incident; if nobody meant it, "
          .. "remove it",
        fix = {
          explain = ("remove the reservation so the function shares the account's unreserved "
            .. "pool, or reserve a real number (%d: %s)"):format(need, basis),
          commands = {
            ("aws lambda delete-function-concurrency --function-name %s"):format(name),
            ("aws lambda put-function-concurrency --function-name %s "
              .. "--reserved-concurrent-executions %d"):format(name, need),
          },
          changes = ("ReservedConcurrentExecutions 0 -> none (the %s unreserved executions), "
            .. "or 0 -> %d"):format(fmt(unreserved or 0), need),
        },
        confidence = "high",
        data = data,
      }
    elseif throttled > 0 then
      local cap, cap_name
      if reserved and reserved > 0 then
        cap, cap_name = reserved, "reserved concurrency"
      else
        cap, cap_name = unreserved or account_limit, "account's unreserved concurrency"
      end
      local seen = peak or 0
      if not reserved and got.account_peak then seen = math.max(seen, got.account_peak) end
      local at_limit = cap and seen >= cap * a.near_limit
      -- provisioned concurrency cannot exceed a reservation, so it adds nothing at one
      if not (reserved and reserved > 0) then fixes.pc_n = clamp(peak or 1) end
      if not reserved and account_limit then
        fixes.quota = ceil_to(math.max(account_limit * 2, seen * a.headroom), 100)
      end
      local cmds, explain = guide_fixes(ctx, fixes)
      local title, why, changes
      if at_limit and reserved then
        -- demand the reservation turned away: the peak scaled by attempts per served invoke
        local scale = invoked > 0 and (invoked + throttled) / invoked or 1
        local raise = clamp(seen * scale * a.headroom)
        table.insert(cmds, #sqs > 0 and 2 or 3, ("aws lambda put-function-concurrency "
          .. "--function-name %s --reserved-concurrent-executions %d"):format(name, raise))
        explain = explain .. ("; or raise the reservation to %d (peak %s x %.2f attempts per "
          .. "served invoke x %.1f headroom)"):format(raise, fmt(seen), scale, a.headroom)
        title = ("throttled at its reserved concurrency: peak %s of %d reserved, %s throttles "
          .. "in the last %s"):format(fmt(seen), reserved, fmt(throttled), window)
        why = "reserved concurrency is a ceiling as well as a guarantee: once the function "
          .. "runs that many environments, every further invoke is rejected with 429 even "
          .. "when the account has room. Provisioned concurrency cannot exceed it"
        changes = ("ReservedConcurrentExecutions %d -> %d, or the same peak served from a "
          .. "queue"):format(reserved, raise)
      elseif at_limit then
        title = ("account concurrency limit reached: peak %s of %s unreserved (limit %s), "
          .. "%s throttles in the last %s"):format(fmt(seen), fmt(cap), fmt(account_limit or 0),
          fmt(throttled), window)
        why = "every function without a reservation shares the account's unreserved "
          .. "concurrency in the region; when their sum reaches it, further invokes of any "
          .. "of them are rejected with 429 TooManyRequestsException"
        changes = ("bursts queue in SQS instead of failing; %d warm environments; account "
          .. "limit %s -> %s"):format(fixes.pc_n, fmt(account_limit or 0), fmt(fixes.quota or 0))
      else
        title = ("%s throttles in the last %s while peak concurrency %s stayed below the %s "
          .. "(%s)"):format(fmt(throttled), window, fmt(seen), cap_name, fmt(cap or 0))
        why = "throttles below the limit come from bursts faster than Lambda's scaling rate "
          .. "(1,000 new environments every 10 s per function) or spikes shorter than the "
          .. "metric period; callers still see 429"
        changes = "bursts are absorbed by a queue or by warm environments"
      end
      ctx:finding{
        severity = at_limit and "fail" or "warn",
        title = title,
        evidence = evidence,
        why = why,
        fix = { explain = explain, commands = cmds, changes = changes },
        confidence = at_limit and "high" or "medium",
        data = data,
      }
    else
      local cap = reserved or unreserved
      local seen = peak or 0
      if cap and cap > 0 and seen >= cap * a.warn_share then
        ctx:finding{
          severity = "warn",
          title = ("no throttles yet, but peak concurrency %s is %s of the %s %s")
            :format(fmt(seen), stats.fmt_pct(seen, cap), fmt(cap),
            reserved and "reserved" or "unreserved"),
          evidence = evidence,
          why = "the next burst above the limit is rejected with 429 TooManyRequestsException",
          fix = {
            explain = "add headroom before the next peak: queue bursts or raise the limit",
            commands = (guide_fixes(ctx, fixes)),
          },
          confidence = "medium",
          data = data,
        }
      else
        ctx:finding{
          severity = "ok",
          title = peak and ("no throttles in the last %s (peak concurrency %s of %s %s)"):format(
            window, fmt(seen), fmt(cap or 0), reserved and "reserved" or "unreserved")
            or ("no throttles in the last %s (%s %s executions available)"):format(window,
              fmt(cap or 0), reserved and "reserved" or "unreserved"),
          evidence = evidence,
          data = data,
        }
      end
    end

    for _, pc in ipairs(got.provisioned or {}) do
      if pc.Status == "FAILED" then
        ctx:finding{
          severity = "warn",
          title = ("provisioned concurrency on %s failed: %s"):format(pc.FunctionArn or name,
            pc.StatusReason or "no reason given"),
          evidence = { ("ListProvisionedConcurrencyConfigs: %s requested, %s allocated, "
            .. "status FAILED"):format(tostring(pc.RequestedProvisionedConcurrentExecutions),
            tostring(pc.AllocatedProvisionedConcurrentExecutions)) },
          why = "the warm capacity the configuration promises does not exist",
          confidence = "high",
        }
      end
    end

    local hits = downstream_lines(got.events)
    if #hits > 0 then
      local ev = { ("%d log lines show the function's own AWS calls throttled, first at %s, "
        .. "last at %s"):format(#hits, hits[1].iso, hits[#hits].iso) }
      for i = 1, math.min(a.max_examples, #hits) do
        ev[#ev + 1] = quote(hits[i])
      end
      ctx:finding{
        severity = "info",
        title = ("%d throttling errors from the function's own downstream calls (not Lambda "
          .. "throttling)"):format(#hits),
        evidence = ev,
        why = "these are other services (or another function) rejecting the function's "
          .. "requests; Lambda concurrency settings do not change them. The unavailable step "
          .. "groups them by service and covers retries with backoff",
        confidence = "high",
        data = { lines = #hits },
      }
    end
  end,
}
