--- steps.timeout.findings: what the timeout step found, in words: titles, evidence lines,
--- why it matters and what the fix does (the field guide's "Diagnosing Lambda Timeout").
--
-- steps/timeout.lua decides (which check fired, the new timeout, the plan); this module
-- only explains, with the real values: durations, log lines with their times, the APIs in
-- front and their integration timeouts.
local evidence_metrics = require("evidence.metrics")
local plan_fix = require("steps.timeout.fix")
local stats = require("lib.stats")
local text = require("lib.text")
local trace = require("steps.timeout.trace")

local M = {}

local fmt_ms, fmt_count = stats.fmt_ms, stats.fmt_count

local function duration_line(s)
  return ("Duration p50 %s, p95 %s, p99 %s, max %s over %s %s (%s)"):format(
    fmt_ms(s.p50), fmt_ms(s.p95), fmt_ms(s.p99), fmt_ms(s.max), fmt_count(s.count),
    s.source == "REPORT lines" and "invocations" or "periods", s.source)
end

--- Does the CloudWatch Duration p99 agree with the REPORT lines? An evidence line (or nil)
--- and whether they agree.
function M.cross_check(ctx, s, p99)
  if not p99 or not p99.max then
    if s.count > 0 then
      return "CloudWatch Duration p99 has no datapoints in the window while the logs show "
        .. fmt_count(s.count) .. " REPORT lines", false
    end
    return nil, true
  end
  local line = ("CloudWatch Duration p99 per %d s: highest %s"):format(p99.period, fmt_ms(p99.max))
  if s.count == 0 then return line .. " (no REPORT lines to compare)", true end
  local d = ctx.args.disagree
  if p99.max < s.p99 * (1 - d) or p99.max > s.max * (1 + d) then
    return line .. (": disagrees with the REPORT lines (p99 %s, max %s); logs may be "
      .. "incomplete or the metric delayed"):format(fmt_ms(s.p99), fmt_ms(s.max)), false
  end
  return line .. ", consistent with the REPORT lines", true
end

-- The APIs in front as one evidence line (nil when none).
local function api_line(api)
  if api.unknown then
    return ("the APIs in front of the function could not be read (%s): API Gateway's "
      .. "integration timeout not checked"):format(api.unknown.code or "error")
  end
  if not api.ceiling_s then return nil end
  local names = {}
  for i, f in ipairs(api.fronts) do
    names[i] = ("%s API %s (%s) %s"):format(f.kind, tostring(f.name), f.id, f.route)
  end
  return ("invoked through API Gateway: %s; it stops waiting after %d s"):format(
    text.join(names, 3), api.ceiling_s)
end

-- `evidence` with the lines every duration-based finding ends with: the cross-check of
-- the metric, a missing log group, the APIs in front.
local function with_context(evidence, w, no_trace)
  if w.trace and not no_trace then
    for _, line in ipairs(trace.lines(w.trace)) do evidence[#evidence + 1] = line end
  elseif w.tracing_off and not no_trace then
    evidence[#evidence + 1] = w.tracing_off
  end
  for _, line in ipairs(w.extra) do evidence[#evidence + 1] = line end
  evidence[#evidence + 1] = api_line(w.api)
  return evidence
end

local function series_data(w)
  return w.p99 and { label = "Duration p99 (ms)", values = evidence_metrics.values(w.p99), unit = "ms" }
    or nil
end

-- Where the time goes: the guide's step 1 (X-Ray, or timing each call) and step 3.
local function guide_advice(cfg, fix)
  local tips = {}
  if fix.changes.TracingConfig then
    tips[#tips + 1] = "the plan turns on X-Ray active tracing: time each external call in "
      .. "the traces to find the slow one"
  else
    tips[#tips + 1] = "X-Ray is on: look at the slow traces' subsegments for the slow call"
  end
  tips[#tips + 1] = "reuse connections across invocations (create clients outside the "
    .. "handler); for RDS use RDS Proxy"
  local vpc = cfg.VpcConfig
  if vpc and vpc.SubnetIds and #vpc.SubnetIds > 0 then
    tips[#tips + 1] = ("the function is in VPC %s: check the vpc step for a missing NAT "
      .. "route or VPC endpoint, a common cause of hanging calls"):format(tostring(vpc.VpcId))
  end
  return table.concat(tips, "; ")
end

-- The fix of a timeout that is too short, as the finding's `fix`.
local function timeout_fix(ctx, w, fix)
  local cfg, explain = w.cfg, {}
  if fix.changes.Timeout and fix.capped then
    explain[#explain + 1] = ("raise the timeout to %d s, as far as it can go"):format(fix.timeout)
  elseif fix.changes.Timeout then
    explain[#explain + 1] = fix.timed_out
      and ("raise the timeout to %d s (at least %gx the current %d s: a timed-out call's real "
        .. "duration is unknown)"):format(fix.timeout, ctx.args.growth, cfg.Timeout)
      or ("raise the timeout to %d s (p99 %s x %g headroom)"):format(fix.timeout,
        fmt_ms(w.durations.p99), ctx.args.headroom)
  end
  if fix.capped then
    explain[#explain + 1] = (w.api.ceiling_s and fix.cap == w.api.ceiling_s)
      and ("the durations call for %d s but API Gateway stops waiting after %d s whatever the "
        .. "function's timeout, so a longer timeout cannot fix this: the real fix is "
        .. "asynchronous work (accept the request and return 202 at once, then process it via "
        .. "SQS or an asynchronous invoke, InvocationType Event, and let the caller fetch the "
        .. "result)"):format(fix.need, fix.cap)
      or ("the durations call for %d s, past Lambda's %d s maximum: split the work (Step "
        .. "Functions, SQS batches)"):format(fix.need, fix.cap)
  end
  if fix.changes.MemorySize then
    explain[#explain + 1] = ("CPU scales with memory (one full vCPU at 1,769 MB): %d MB -> %d MB "
      .. "makes CPU-bound work and TLS handshakes faster and often costs no more")
      :format(cfg.MemorySize or 128, fix.changes.MemorySize)
  end
  local named = trace.advice(w.trace)
  if named then
    explain[#explain + 1] = named
  else
    explain[#explain + 1] = "then find the slow dependency: " .. guide_advice(cfg, fix)
  end
  if fix.plan and fix.plan[1].operation == "AttachRolePolicy" then
    explain[#explain + 1] = "Lambda checks the role's X-Ray permission when tracing is turned "
      .. "on: if the update is refused right after the attach, retry it once IAM has propagated"
  end
  return { explain = table.concat(explain, "; "), plan = fix.plan, verify = fix.verify,
           changes = plan_fix.changes_text(cfg, fix.changes, fix.plan) }
end

-- The memory fix: the plan, or why there is none (already at Lambda's largest size).
local function memory_fix(w, fix, explain)
  local mem = w.cfg.MemorySize or 128
  if not fix.plan then
    return { explain = ("the function already has Lambda's largest memory, %d MB: reduce what "
      .. "it holds at once (process the input in chunks or stream it)"):format(mem) }
  end
  return { explain = explain, plan = fix.plan, verify = fix.verify,
           changes = ("MemorySize %d MB -> %d MB"):format(mem, fix.target) }
end

--- 1. Out of memory: `oom` are the REPORT lines at the limit, `killed` the log lines.
function M.out_of_memory(ctx, w, oom, killed, fix)
  local mem = oom[1] and oom[1].memory_mb or w.cfg.MemorySize or 128
  local evidence = {}
  if #oom > 0 then
    evidence[1] = ("%d invocations ended with Max Memory Used %d MB = Memory Size %d MB"):format(
      #oom, oom[1].max_memory_mb, mem)
  end
  for i = math.max(1, #killed - ctx.args.max_examples + 1), #killed do
    evidence[#evidence + 1] = text.quote(killed[i])
  end
  local last = oom[#oom]
  if last then evidence[#evidence + 1] = last.iso .. " " .. text.first_line(last.line) end
  local peaks = {}
  for _, r in ipairs(w.reports) do
    if r.max_memory_mb and r.max_memory_mb < r.memory_mb then peaks[#peaks + 1] = r.max_memory_mb end
  end
  if #peaks > 0 then
    local p95 = stats.percentile(peaks, 95)
    evidence[#evidence + 1] = ("the other invocations peak at %d MB (p95), %s of %d MB")
      :format(p95, stats.fmt_pct(p95, mem), mem)
  end
  local title = #oom > 0
    and ("out of memory, not a timeout: %d invocations killed at the %d MB limit"):format(#oom, mem)
    or ("out of memory: %s at the %d MB limit"):format(text.plural(#killed, "out-of-memory error"),
      mem)
  ctx:finding{
    severity = "fail",
    title = title,
    evidence = evidence,
    why = "the runtime process was killed when it used all its memory (signal: killed, "
      .. "Runtime.ExitError); the invocation fails like a crash or a timeout, but a longer "
      .. "timeout will not help",
    fix = memory_fix(w, fix, ("raise the memory to %d MB (at least %gx: the real peak is "
      .. "unknown once it hits the limit; CPU grows with it too), then check the peak in the "
      .. "REPORT lines; if it keeps growing with the input, process it in chunks or stream it")
      :format(fix.target, ctx.args.memory_growth)),
    confidence = #killed > 0 and "high" or "medium",
    data = { oom_invocations = #oom, oom_lines = #killed, memory_mb = mem,
             recommended_memory_mb = fix.plan and fix.target or nil },
  }
end

-- A size in MB as a whole number ("%d" refuses a float).
local function mb(x) return ("%d"):format(math.floor(x + 0.5)) end

--- 1b. No out-of-memory error yet, but Max Memory Used near Memory Size (`s`: summary of
--- the peaks of the invocations at the current size).
function M.memory_near_limit(ctx, w, s, fix)
  local mem = w.cfg.MemorySize or 128
  ctx:finding{
    severity = "warn",
    title = ("memory near the limit: Max Memory Used up to %s MB of %d MB (%s)"):format(mb(s.max), mem,
      stats.fmt_pct(s.max, mem)),
    evidence = {
      ("Max Memory Used p50 %s MB, p99 %s MB, max %s MB over %s invocations at Memory Size %d MB "
        .. "(REPORT lines)"):format(mb(s.p50), mb(s.p99), mb(s.max), fmt_count(s.count), mem),
    },
    why = ("at %s of its memory a somewhat larger input or a leak across warm invocations "
      .. "gets the runtime killed (signal: killed, Runtime.OutOfMemory)"):format(
      stats.fmt_pct(s.max, mem)),
    fix = memory_fix(w, fix, ("raise the memory to %d MB so the peak of %s MB is at most %s of "
      .. "it (CPU grows with it too)"):format(fix.target, mb(s.max),
      stats.fmt_pct(ctx.args.memory_share, 1))),
    confidence = "medium",
    data = { memory_mb = mem, max_memory_used_mb = s.max, p99_memory_used_mb = s.p99,
             invocations = s.count, recommended_memory_mb = fix.plan and fix.target or nil },
  }
end

--- 2. Timed-out invocations (`list` of {event, report, after_s}).
-- What witnessed the timeouts in the logs: "12 'Task timed out after 3.00 seconds' lines"
-- (text format), "12 JSON platform.report records with status \"timeout\"" (JSON format).
local function witnesses(lines, records, after_s)
  local parts = {}
  if lines > 0 or records == 0 then
    parts[1] = ("%d 'Task timed out after %.2f seconds' lines"):format(lines, after_s)
  end
  if records > 0 then
    parts[#parts + 1] = ("%d JSON platform.report records with status \"timeout\""):format(records)
  end
  return table.concat(parts, ", ")
end

function M.timed_out(ctx, w, list, fix)
  local cfg, s = w.cfg, w.durations
  local when = function(item) return item.event and item.event.iso or item.report.iso end
  local lines, records, cold, init = 0, 0, 0, {}
  for _, item in ipairs(list) do
    if item.event then
      lines = lines + 1
    elseif item.report and item.report.record then -- JSON logs: the report is the witness
      records = records + 1
    end
    if item.report and item.report.init_ms then
      cold = cold + 1
      init[#init + 1] = item.report.init_ms
    end
  end
  local evidence = {
    ("%d invocations timed out in the last %s (%s), first at %s, last at %s"):format(#list,
      ctx.window.label, witnesses(lines, records, list[1].after_s or cfg.Timeout),
      when(list[1]), when(list[#list])),
    duration_line(s),
  }
  for i = math.max(1, #list - ctx.args.max_examples + 1), #list do
    if list[i].event then
      evidence[#evidence + 1] = text.quote(list[i].event)
    elseif list[i].report and list[i].report.raw then
      evidence[#evidence + 1] = text.quote({ iso = list[i].report.iso, message = list[i].report.raw })
    end
  end
  evidence[#evidence + 1] = cold == 0
    and ("none of the %d timed-out invocations was a cold start"):format(#list)
    or ("%d of %d timed-out invocations %s (Init Duration up to %s)"):format(cold, #list,
      cold == 1 and "was a cold start" or "were cold starts", fmt_ms(stats.summary(init).max))
  with_context(evidence, w)
  local why = ("Lambda stops the invocation at %d s: the caller gets an error (API Gateway a "
    .. "504), and retries repeat the work"):format(cfg.Timeout)
  if cold * 2 >= #list then why = why .. "; most timeouts are cold starts, see the cold_start step" end
  ctx:finding{
    severity = "fail",
    title = ("%d invocations timed out at the %d s timeout (p99 %s)%s"):format(#list, cfg.Timeout,
      fmt_ms(s.p99), trace.title_clause(w.trace)),
    evidence = evidence, why = why, fix = timeout_fix(ctx, w, fix),
    confidence = (lines + records) > 0 and "high" or "medium",
    data = { timeouts = #list, timeout_s = cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95,
             p99_ms = s.p99, max_ms = s.max, invocations = s.count, cold_timeouts = cold,
             recommended_timeout_s = fix.timeout, series = series_data(w),
             trace = trace.data(w.trace), headline = trace.headline(w.trace) },
  }
end

--- 3. No timeouts, p99 close to the timeout.
function M.close(ctx, w, fix)
  local cfg, s = w.cfg, w.durations
  local evidence = with_context({ duration_line(s), ("configured Timeout %d s"):format(cfg.Timeout) }, w)
  ctx:finding{
    severity = "warn",
    title = ("p99 %s is %s of the %d s timeout%s"):format(fmt_ms(s.p99),
      stats.fmt_pct(s.p99 / (cfg.Timeout * 1000), 1), cfg.Timeout, trace.title_clause(w.trace)),
    evidence = evidence,
    why = "no invocation timed out yet, but the slowest ones are close: a little more load "
      .. "or a slower dependency turns them into timeouts",
    fix = timeout_fix(ctx, w, fix), confidence = "medium",
    data = { timeout_s = cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95, p99_ms = s.p99,
             max_ms = s.max, invocations = s.count, recommended_timeout_s = fix.timeout,
             series = series_data(w), trace = trace.data(w.trace) },
  }
end

--- 4. The API gives up first: `over` invocations ran past its integration timeout.
function M.api_ceiling(ctx, w, over, fix)
  local cfg, ceiling = w.cfg, w.api.ceiling_s
  local evidence = { api_line(w.api), ("configured Timeout %d s"):format(cfg.Timeout) }
  if w.durations.count > 0 then evidence[#evidence + 1] = duration_line(w.durations) end
  ctx:finding{
    severity = over > 0 and "fail" or "warn",
    title = over > 0
      and ("%d invocations ran past API Gateway's %d s limit: callers got 504"):format(over, ceiling)
      or ("timeout %d s exceeds API Gateway's %d s limit"):format(cfg.Timeout, ceiling),
    evidence = evidence,
    why = ("API Gateway answers 504 after %d s while the function keeps running (and "
      .. "billing) up to its own %d s timeout"):format(ceiling, cfg.Timeout),
    fix = {
      explain = ("cap the timeout at %d s so the function stops when the caller has given up; "
        .. "move work that needs longer to an asynchronous pattern (SQS, Step Functions) and "
        .. "return 202"):format(ceiling),
      plan = fix.plan, verify = fix.verify,
      changes = ("Timeout %d s -> %d s"):format(cfg.Timeout, ceiling),
    },
    confidence = "medium",
    data = { timeout_s = cfg.Timeout, api_ceiling_s = ceiling, over_ceiling = over },
  }
end

--- No timeouts, nothing close: ok with the numbers.
function M.all_clear(ctx, w)
  local cfg, s = w.cfg, w.durations
  local evidence = with_context({ duration_line(s), ("configured Timeout %d s"):format(cfg.Timeout) },
    w, true)
  ctx:finding{
    severity = "ok",
    title = ("no timeouts in the last %s (p99 %s of %d s)"):format(ctx.window.label,
      fmt_ms(s.p99), cfg.Timeout),
    evidence = evidence,
    confidence = w.agree and "high" or "medium",
    data = { timeout_s = cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95, p99_ms = s.p99,
             max_ms = s.max, invocations = s.count, series = series_data(w) },
  }
end

return M
