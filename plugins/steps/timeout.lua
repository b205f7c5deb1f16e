--- timeout: "Task timed out after X seconds" — is the timeout too short, and by how much.
--
-- The field guide's most common Lambda error. Gather the configured Timeout, every REPORT
-- line of the window (Duration, Init Duration, Max Memory Used, Status), the "Task timed
-- out" lines and the CloudWatch Duration p99 series; then decide:
--   * "signal: killed" / Runtime.ExitError with Max Memory Used = Memory Size is the
--     runtime running out of memory, not a timeout: fail with a memory fix;
--   * timed-out invocations: fail with a timeout computed from the observed p99 with
--     headroom (at least doubled, since a timed-out call's real duration is unknown),
--     capped at API Gateway's 29 s for API-backed functions and at Lambda's 900 s;
--   * no timeouts but p99 close to the timeout: warn;
--   * an API-backed function whose timeout exceeds 29 s: warn (callers get a 504 first).
-- Memory advice rides along: CPU scales with memory, so a slow function often needs both.
local json = require("runbook.json")
local logs = require("triage.logs")
local metrics = require("triage.metrics")
local runbook = require("runbook")
local stats = require("triage.stats")

local fmt_ms, fmt_count = stats.fmt_ms, stats.fmt_count

-- Lambda's largest memory size (MB).
local MAX_MEMORY_MB = 10240

-- gather -----------------------------------------------------------------------------------

-- Is the function invoked by API Gateway? Read its resource policy (one cheap call that
-- the forbidden step makes too): true/false, the matching statements, and an error when
-- the policy could not be read (then the answer is nil: unknown).
local function api_backed(ctx)
  local params = { FunctionName = ctx.function_name, Qualifier = ctx.qualifier }
  local reply, err = ctx.aws.call("lambda", "GetPolicy", params)
  if not reply then
    if type(err) == "table" and err.code == "ResourceNotFoundException" then return false, {} end
    return nil, {}, err
  end
  local doc = json.decode(reply.Policy or "") or {}
  local statements = doc.Statement or {}
  if statements.Effect then statements = { statements } end
  local found = {}
  for _, s in ipairs(statements) do
    local principal = type(s.Principal) == "table" and s.Principal.Service or s.Principal
    local services = type(principal) == "table" and principal or { principal }
    for _, service in ipairs(services) do
      if service == "apigateway.amazonaws.com" and s.Effect ~= "Deny" then
        local cond = s.Condition or {}
        local source = (cond.ArnLike or {})["AWS:SourceArn"] or (cond.StringEquals or {})["AWS:SourceArn"]
        found[#found + 1] = { sid = s.Sid, source = source }
      end
    end
  end
  return #found > 0, found
end

local function gather(ctx)
  local fns = {
    function() return ctx:config() end,
    function() return logs.events(ctx) end,
    function() return logs.reports(ctx) end,
    function() return metrics.series(ctx, "Duration", "p99") end,
    function() return api_backed(ctx) end,
  }
  local r = runbook.all(fns)
  for _, x in ipairs(r) do
    if not x[1] then error(x[2], 0) end
  end
  return {
    cfg = r[1][2], cfg_err = r[1][3],
    events = r[2][2], events_err = r[2][3],
    reports = r[3][2] or {},
    p99 = r[4][2], p99_err = r[4][3],
    api = r[5][2], api_statements = r[5][3] or {}, api_err = r[5][4],
  }
end

-- Timed-out invocations: "Task timed out after X seconds" lines and REPORT Status: timeout,
-- one entry per request id (lines without an id count on their own).
local function timeouts_of(g)
  local by_id, list = {}, {}
  for _, e in ipairs(g.events or {}) do
    local after = e.message:match("Task timed out after ([%d.]+) seconds")
    if after then
      local id = logs.request_id(e.message)
      local item = { id = id, event = e, after_s = tonumber(after) }
      if id then by_id[id] = item end
      list[#list + 1] = item
    end
  end
  for _, r in ipairs(g.reports) do
    local item = by_id[r.request_id]
    if item then
      item.report = r
    elseif r.status == "timeout" then
      item = { id = r.request_id, report = r }
      by_id[r.request_id] = item
      list[#list + 1] = item
    end
  end
  return list
end

-- Killed runtimes: "signal: killed" / Runtime.OutOfMemory, joined with their REPORT line.
local function out_of_memory(g)
  local killed, lines = {}, {}
  for _, e in ipairs(g.events or {}) do
    if e.message:find("signal: killed", 1, true) then
      lines[#lines + 1] = e
      local id = logs.request_id(e.message)
      if id then killed[id] = e end
    end
  end
  local oom = {}
  for _, r in ipairs(g.reports) do
    local at_limit = r.max_memory_mb and r.memory_mb and r.max_memory_mb >= r.memory_mb
    if at_limit and (killed[r.request_id] or r.error_type == "Runtime.OutOfMemory"
        or (#lines > 0 and next(killed) == nil)) then
      oom[#oom + 1] = { report = r, line = killed[r.request_id] }
    end
  end
  return oom, lines
end

-- decide and explain -----------------------------------------------------------------------

local function durations(reports)
  local values = {}
  for i, r in ipairs(reports) do values[i] = r.duration_ms end
  local s = stats.summary(values)
  s.source = "REPORT lines"
  return s
end

local function duration_line(s, source)
  return ("Duration p50 %s, p95 %s, p99 %s, max %s over %s %s (%s)"):format(
    fmt_ms(s.p50), fmt_ms(s.p95), fmt_ms(s.p99), fmt_ms(s.max), fmt_count(s.count),
    source == "REPORT lines" and "invocations" or "periods", source)
end

-- Does the CloudWatch Duration p99 agree with the REPORT lines? An evidence line either way.
local function cross_check(ctx, s, p99)
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

local function api_line(g)
  if g.api == nil then
    return ("resource policy not readable (%s): API Gateway's 29 s limit not checked")
      :format(g.api_err and g.api_err.code or "error")
  end
  if not g.api then return nil end
  local s = g.api_statements[1]
  return ("invoked by API Gateway (policy statement %s%s): API Gateway stops waiting after "
    .. "29 s"):format(tostring(s.sid or "?"), s.source and (", source " .. s.source) or "")
end

-- The new timeout (seconds) and whether it can be raised at all.
local function new_timeout(ctx, timeout_s, p99_ms, timed_out, api)
  local a = ctx.args
  local need_ms = (p99_ms or 0) * a.headroom
  if timed_out then need_ms = math.max(need_ms, timeout_s * 1000 * a.growth) end
  local n = math.max(1, math.ceil(need_ms / 1000))
  local cap = api and a.api_ceiling_s or a.max_timeout_s
  local capped = n > cap
  if capped then n = cap end
  return n, capped, cap
end

local function memory_advice(ctx, cfg)
  local mem = cfg.MemorySize or 128
  if mem >= ctx.args.low_memory_mb then return nil end
  local target = math.min(MAX_MEMORY_MB, math.max(ctx.args.low_memory_mb, mem * 2))
  return target, ("CPU scales with memory (one full vCPU at 1,769 MB): %d MB -> %d MB makes "
    .. "CPU-bound work and TLS handshakes faster and often costs no more"):format(mem, target)
end

local function guide_advice(cfg)
  local tips = {}
  if not (cfg.TracingConfig and cfg.TracingConfig.Mode == "Active") then
    tips[#tips + 1] = "enable X-Ray (--tracing-config Mode=Active) and time each external "
      .. "call to find the slow one"
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

local function timeout_fix(ctx, g, s, timed_out)
  local cfg, name = g.cfg, ctx.function_name
  local n, capped, cap = new_timeout(ctx, cfg.Timeout, s.p99, timed_out, g.api)
  local mem, mem_why = memory_advice(ctx, cfg)
  local explain, commands, changes = {}, {}, {}
  if n > cfg.Timeout then
    local cmd = ("aws lambda update-function-configuration --function-name %s --timeout %d")
      :format(name, n)
    changes[#changes + 1] = ("Timeout %d s -> %d s"):format(cfg.Timeout, n)
    if mem then
      cmd = cmd .. (" --memory-size %d"):format(mem)
      changes[#changes + 1] = ("MemorySize %d MB -> %d MB"):format(cfg.MemorySize, mem)
    end
    commands[1] = cmd
    explain[#explain + 1] = timed_out
      and ("raise the timeout to %d s (at least %gx the current %d s: a timed-out call's real "
        .. "duration is unknown)"):format(n, ctx.args.growth, cfg.Timeout)
      or ("raise the timeout to %d s (p99 %s x %g headroom)"):format(n, fmt_ms(s.p99),
        ctx.args.headroom)
  end
  if capped then
    explain[#explain + 1] = g.api
      and ("API Gateway gives up at %d s whatever the function's timeout: return 202 at once "
        .. "and do the work asynchronously (SQS, Step Functions)"):format(cap)
      or ("the work does not fit in Lambda's %d s maximum: split it (Step Functions, SQS "
        .. "batches)"):format(cap)
  end
  if mem_why then explain[#explain + 1] = mem_why end
  explain[#explain + 1] = "then find the slow dependency: " .. guide_advice(cfg)
  return {
    explain = table.concat(explain, "; "),
    commands = commands,
    changes = #changes > 0 and table.concat(changes, ", ") or nil,
  }, n
end

-- A REPORT line as evidence: its time, then the line with tabs as spaces.
local function report_line(r)
  return r.iso .. " " .. r.line:gsub("%s+$", ""):gsub("\t", " ")
end

local function series_data(g)
  return g.p99 and { label = "Duration p99 (ms)", values = metrics.values(g.p99), unit = "ms" }
    or nil
end

local function report_oom(ctx, g, oom, killed_lines)
  local first = oom[1].report
  local mem = first.memory_mb
  local target = math.min(MAX_MEMORY_MB, mem * ctx.args.memory_growth)
  local evidence = {
    ("%d invocations ended with Max Memory Used %d MB = Memory Size %d MB"):format(#oom,
      first.max_memory_mb, mem),
  }
  for i = math.max(1, #killed_lines - ctx.args.max_examples + 1), #killed_lines do
    evidence[#evidence + 1] = logs.quote(killed_lines[i])
  end
  evidence[#evidence + 1] = report_line(oom[#oom].report)
  local peaks = {}
  for _, r in ipairs(g.reports) do
    if r.max_memory_mb and r.max_memory_mb < r.memory_mb then peaks[#peaks + 1] = r.max_memory_mb end
  end
  if #peaks > 0 then
    local p95 = stats.percentile(peaks, 95)
    evidence[#evidence + 1] = ("the other invocations peak at %d MB (p95), %s of %d MB")
      :format(p95, stats.fmt_pct(p95, mem), mem)
  end
  ctx:finding{
    severity = "fail",
    title = ("out of memory, not a timeout: %d invocations killed at the %d MB limit"):format(#oom, mem),
    evidence = evidence,
    why = "the runtime process was killed when it used all its memory (signal: killed, "
      .. "Runtime.ExitError); the invocation fails like a crash or a timeout, but a longer "
      .. "timeout will not help",
    fix = {
      explain = ("raise the memory to %d MB (CPU grows with it too), then check the peak in "
        .. "the REPORT lines; if it keeps growing with the input, process it in chunks or "
        .. "stream it"):format(target),
      commands = { ("aws lambda update-function-configuration --function-name %s --memory-size %d")
        :format(ctx.function_name, target) },
      changes = ("MemorySize %d MB -> %d MB"):format(mem, target),
    },
    confidence = #killed_lines > 0 and "high" or "medium",
    data = { oom_invocations = #oom, memory_mb = mem, recommended_memory_mb = target },
  }
end

local function report_timeouts(ctx, g, s, list, extra)
  local cfg = g.cfg
  local first, last = list[1], list[#list]
  local when = function(item) return item.event and item.event.iso or item.report.iso end
  local lines = 0
  for _, item in ipairs(list) do if item.event then lines = lines + 1 end end
  local evidence = {
    ("%d invocations timed out in the last %s (%d 'Task timed out after %s seconds' lines), "
      .. "first at %s, last at %s"):format(#list, ctx.window.label, lines,
      string.format("%.2f", first.after_s or cfg.Timeout), when(first), when(last)),
    duration_line(s, s.source),
  }
  for i = math.max(1, #list - ctx.args.max_examples + 1), #list do
    local item = list[i]
    if item.event then evidence[#evidence + 1] = logs.quote(item.event) end
  end
  local cold, init = 0, {}
  for _, item in ipairs(list) do
    if item.report and item.report.init_ms then
      cold = cold + 1
      init[#init + 1] = item.report.init_ms
    end
  end
  if cold == 0 then
    evidence[#evidence + 1] = ("none of the %d timed-out invocations was a cold start"):format(#list)
  else
    evidence[#evidence + 1] = ("%d of %d timed-out invocations %s (Init Duration up to %s)")
      :format(cold, #list, cold == 1 and "was a cold start" or "were cold starts",
        fmt_ms(stats.summary(init).max))
  end
  for _, line in ipairs(extra) do evidence[#evidence + 1] = line end
  local api = api_line(g)
  if api then evidence[#evidence + 1] = api end
  local fix, n = timeout_fix(ctx, g, s, true)
  local why = ("Lambda stops the invocation at %d s: the caller gets an error (API Gateway a "
    .. "504), and retries repeat the work"):format(cfg.Timeout)
  if cold * 2 >= #list then
    why = why .. "; most timeouts are cold starts, see the cold_start step"
  end
  ctx:finding{
    severity = "fail",
    title = ("%d invocations timed out at the %d s timeout (p99 %s)"):format(#list, cfg.Timeout,
      fmt_ms(s.p99)),
    evidence = evidence, why = why, fix = fix,
    confidence = lines > 0 and "high" or "medium",
    data = { timeouts = #list, timeout_s = cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95,
             p99_ms = s.p99, max_ms = s.max, invocations = s.count, cold_timeouts = cold,
             recommended_timeout_s = n, series = series_data(g) },
  }
end

local function report_api_ceiling(ctx, g, s)
  local cfg = g.cfg
  local ceiling = ctx.args.api_ceiling_s
  local over = 0
  for _, r in ipairs(g.reports) do
    if r.duration_ms > ceiling * 1000 then over = over + 1 end
  end
  if cfg.Timeout <= ceiling and over == 0 then return end
  local evidence = { api_line(g), ("configured Timeout %d s"):format(cfg.Timeout) }
  if s.count > 0 then evidence[#evidence + 1] = duration_line(s, s.source) end
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
      commands = { ("aws lambda update-function-configuration --function-name %s --timeout %d")
        :format(ctx.function_name, ceiling) },
      changes = ("Timeout %d s -> %d s"):format(cfg.Timeout, ceiling),
    },
    confidence = "medium",
    data = { timeout_s = cfg.Timeout, api_ceiling_s = ceiling, over_ceiling = over },
  }
end

local function report_close(ctx, g, s, extra)
  local cfg = g.cfg
  local share = s.p99 / (cfg.Timeout * 1000)
  local fix, n = timeout_fix(ctx, g, s, false)
  local evidence = { duration_line(s, s.source), ("configured Timeout %d s"):format(cfg.Timeout) }
  for _, line in ipairs(extra) do evidence[#evidence + 1] = line end
  ctx:finding{
    severity = "warn",
    title = ("p99 %s is %s of the %d s timeout"):format(fmt_ms(s.p99), stats.fmt_pct(share, 1),
      cfg.Timeout),
    evidence = evidence,
    why = "no invocation timed out yet, but the slowest ones are close: a little more load "
      .. "or a slower dependency turns them into timeouts",
    fix = fix, confidence = "medium",
    data = { timeout_s = cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95, p99_ms = s.p99,
             max_ms = s.max, invocations = s.count, recommended_timeout_s = n,
             series = series_data(g) },
  }
end

return {
  id = "timeout",
  title = "Timeouts",
  description = "Configured timeout against observed durations, timeout and out-of-memory "
    .. "log lines, and API Gateway's 29 s limit",
  tags = { "execution", "logs", "metrics" },
  args = {
    margin = 0.8,         -- p99 at this share of the timeout is too close
    headroom = 1.5,       -- new timeout = p99 x headroom
    growth = 2,           -- after timeouts, at least this multiple of the current timeout
    api_ceiling_s = 29,   -- API Gateway's integration timeout
    max_timeout_s = 900,  -- Lambda's maximum timeout
    low_memory_mb = 512,  -- below this, propose more memory with a new timeout
    memory_growth = 2,    -- out of memory: multiply the memory by this
    disagree = 0.25,      -- REPORT lines and the Duration metric disagree beyond this share
    max_examples = 3,     -- log lines quoted per finding
  },
  run = function(ctx)
    local g = gather(ctx)
    if not g.cfg then return ctx:error_from(g.cfg_err, "lambda GetFunctionConfiguration") end
    if not g.events and not (g.p99 and g.p99.max) then
      if g.events_err and g.events_err.code ~= "ResourceNotFoundException" then
        return ctx:error_from(g.events_err, "logs FilterLogEvents")
      end
      if g.p99_err then return ctx:error_from(g.p99_err, "monitoring GetMetricStatistics") end
    end
    local s = durations(g.reports)
    local extra = {}
    local check, agree = cross_check(ctx, s, g.p99)
    if check then extra[#extra + 1] = check end
    if not g.events then
      extra[#extra + 1] = ("no log group %s: durations come from the metric only")
        :format(logs.group(ctx))
    end
    if s.count == 0 and g.p99 and g.p99.max then
      -- No REPORT lines: judge the metric's p99 instead.
      local values = metrics.values(g.p99)
      s = { count = #g.p99.points, p50 = stats.percentile(values, 50),
            p95 = stats.percentile(values, 95), p99 = g.p99.max, max = g.p99.max,
            source = ("Duration metric p99 per %d s, no REPORT lines"):format(g.p99.period) }
    end
    local oom, killed = out_of_memory(g)
    if #oom > 0 then report_oom(ctx, g, oom, killed) end
    local list = timeouts_of(g)
    if #list > 0 then
      report_timeouts(ctx, g, s, list, extra)
    elseif s.count > 0 and s.p99 >= ctx.args.margin * g.cfg.Timeout * 1000 and #oom == 0 then
      report_close(ctx, g, s, extra)
    end
    if g.api then report_api_ceiling(ctx, g, s) end
    if #oom > 0 or #list > 0 or (s.count > 0 and s.p99 >= ctx.args.margin * g.cfg.Timeout * 1000) then
      return
    end
    if s.count == 0 then
      return ctx:skip(("no invocations in the last %s to compare with the %d s timeout")
        :format(ctx.window.label, g.cfg.Timeout))
    end
    local evidence = { duration_line(s, s.source), ("configured Timeout %d s"):format(g.cfg.Timeout) }
    for _, line in ipairs(extra) do evidence[#evidence + 1] = line end
    local api = api_line(g)
    if api then evidence[#evidence + 1] = api end
    ctx:finding{
      severity = "ok",
      title = ("no timeouts in the last %s (p99 %s of %d s)"):format(ctx.window.label,
        fmt_ms(s.p99), g.cfg.Timeout),
      evidence = evidence,
      confidence = agree and "high" or "medium",
      data = { timeout_s = g.cfg.Timeout, p50_ms = s.p50, p95_ms = s.p95, p99_ms = s.p99,
               max_ms = s.max, invocations = s.count, series = series_data(g) },
    }
  end,
}
