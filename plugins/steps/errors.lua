--- errors: the field guide's "recent errors", grouped and counted instead of dumped.
--
-- The guide's triage tails /aws/lambda/<name> with the filter pattern
-- "?ERROR ?error ?Exception ?Timeout ?throttl" and leaves the reading to you. This step
-- takes the window's events (read once for all steps), keeps the error lines, groups
-- them by a normalized signature (request ids, numbers, times and hex stripped; the
-- errorType/errorMessage of a Node.js or Python JSON error), and reports the most frequent
-- signatures with counts, first and last time, where in the code, and one example line
-- each, next to the CloudWatch Errors and Invocations totals.
local logs = require("triage.logs")
local metrics = require("triage.metrics")
local runbook = require("runbook")
local stats = require("triage.stats")

local fmt_count = stats.fmt_count

-- The guide's filter terms, plus what the runtimes print for crashes and timeouts.
local TERMS = { "ERROR", "error", "Error", "Exception", "Timeout", "timed out", "throttl",
                "Throttl", "signal: killed" }

-- Lines Lambda itself writes around every invocation: never errors of the code.
local PLATFORM = { "^START RequestId:", "^END RequestId:", "^REPORT RequestId:", "^INIT_START ",
                   "^INIT_REPORT ", "^EXTENSION\t", "^TELEMETRY\t", "^XRAY TraceId:" }

local function is_platform(message)
  for _, p in ipairs(PLATFORM) do
    if message:find(p) then return true end
  end
  return false
end

local function is_error(message)
  for _, term in ipairs(TERMS) do
    if message:find(term, 1, true) then return true end
  end
  return false
end

-- gather -----------------------------------------------------------------------------------

local function gather(ctx)
  local got, errs = runbook.gather {
    events = function() return logs.events(ctx) end,
    errors = function() return metrics.series(ctx, "Errors", "Sum") end,
    invocations = function() return metrics.series(ctx, "Invocations", "Sum") end,
    cfg = function() return ctx:config() end,
  }
  return { events = got.events, events_err = errs.events, errors = got.errors,
           errors_err = errs.errors, invocations = got.invocations, cfg = got.cfg }
end

-- decide -----------------------------------------------------------------------------------

local function unescape(s)
  return (s:gsub('\\"', '"'):gsub("\\n", " "))
end

-- The line a signature is made from: a JSON error's "errorType: errorMessage", else the
-- event's first line.
local function headline(message)
  local etype = message:match('"errorType"%s*:%s*"(.-)"')
  local emsg = message:match('"errorMessage"%s*:%s*"(.-[^\\])"')
  if etype and emsg then return etype .. ": " .. unescape(emsg) end
  return message:match("^[^\r\n]*")
end

-- Where the error was raised: the innermost frame in the function's own code (/var/task),
-- else the innermost frame, from a Python traceback or a Node.js stack.
local function where(message)
  local own, any
  for file, line, fn in message:gmatch('File "([^"]+)", line (%d+), in ([%w_<>]+)') do
    any = ("%s:%s in %s"):format(file, line, fn)
    if file:find("^/var/task/") then own = any end
  end
  if own or any then return own or any end
  for loc in message:gmatch("%(file://([^)]+)%)") do
    if loc:find("^/var/task/") then return loc end
  end
  local at = message:match("at [%w_.<>]+ %(([^)]+)%)")
  return at
end

local function group(events, max_len)
  local groups, order, lines = {}, {}, 0
  local exited = false
  for _, e in ipairs(events) do
    if e.message:find("Runtime exited with error", 1, true) then exited = true end
  end
  for _, e in ipairs(events) do
    local m = e.message
    -- "Runtime.ExitError" alone follows "Runtime exited with error": count the crash once
    local echo = exited and m:match("^%s*Runtime%.ExitError%s*$")
    if not is_platform(m) and is_error(m) and not echo then
      lines = lines + 1
      local sig = logs.signature(headline(m), max_len)
      local g = groups[sig]
      if not g then
        g = { signature = sig, count = 0, first = e, where = where(m) }
        groups[sig] = g
        order[#order + 1] = g
      end
      g.count = g.count + 1
      g.last = e
      g.text = logs.text(headline(m))
    end
  end
  table.sort(order, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.last.time > b.last.time
  end)
  return order, lines
end

-- Invocations that failed, counted from the logs (for when the Errors metric is empty):
-- request ids with a timeout, a runtime exit, an unhandled exception (Python's bare
-- "[ERROR] Type: message", Node.js "Invoke Error") or a REPORT Status of timeout / error.
local function failed_from_logs(events)
  local failed, n, reports = {}, 0, 0
  for _, e in ipairs(events) do
    local m = e.message
    local id
    if m:find("^REPORT RequestId: ") then
      reports = reports + 1
      local status = m:match("Status: (%a+)")
      if status == "timeout" or status == "error" then id = m:match("^REPORT RequestId: (%S+)") end
    elseif m:find("Task timed out after", 1, true) or m:find("Runtime exited with error", 1, true)
        or m:find("\tERROR\tInvoke Error", 1, true) or m:find("^%[ERROR%] [%w_.]+: ") then
      id = logs.request_id(m) or ("line:" .. tostring(e.id or e.time))
    end
    if id and not failed[id] then
      failed[id] = true
      n = n + 1
    end
  end
  return n, reports
end

-- explain ----------------------------------------------------------------------------------

-- "[ERROR] KeyError: 'x'" -> "KeyError: 'x'" for titles.
local function short(sig)
  return (sig:gsub("^%[%u+%]%s*", ""))
end

-- A filter-pattern term that finds one signature's events again: its error type, else
-- its longest run of words without placeholders or quotes (at most five, verbatim, so the
-- phrase occurs in the events and can sit in a shell's single quotes).
local function filter_term(sig)
  local s = short(sig)
  local etype = s:match("^([%w_.]*Exception)") or s:match("^([%w_.]*Error)%f[^%w_.]")
  if etype and #etype > 5 then return etype end
  local best, run = {}, {}
  for w in (s .. " <end>"):gmatch("%S+") do
    if w:find("[<>'\"\\]") then
      if #run > #best then best = run end
      run = {}
    else
      run[#run + 1] = w
    end
  end
  local words = {}
  for i = 1, math.min(5, #best) do words[i] = best[i] end
  return (table.concat(words, " "):gsub("[:,;.]$", ""))
end

local function since_arg(ctx)
  if ctx.window.label and ctx.window.label:match("^[%d.]+[smhdw]$") then return ctx.window.label end
  return logs.iso(ctx.window.start)
end

local function metric_line(g)
  if not g.errors then
    return "CloudWatch Errors metric not readable"
  end
  if #g.errors.points == 0 then
    return "CloudWatch Errors metric has no datapoints in the window: failures counted from the logs"
  end
  local inv = g.invocations and g.invocations.total or 0
  return ("CloudWatch Errors %s of %s invocations (%s)"):format(fmt_count(g.errors.total),
    fmt_count(inv), stats.fmt_pct(g.errors.total, inv))
end

local function change_line(ctx, g, first_error)
  local changed = g.cfg and metrics.epoch(g.cfg.LastModified)
  if not changed or not first_error then return nil end
  local before = first_error.time / 1000 - changed
  if before < 0 or before > ctx.args.deploy_lookback_s then return nil end
  return ("function last modified %s, %d min before the first error line"):format(
    logs.iso(changed), math.floor(before / 60 + 0.5))
end

return {
  id = "errors",
  title = "Recent errors",
  description = "The most frequent error signatures in the window, with counts, times, "
    .. "code locations and one example each, against the Errors metric",
  tags = { "logs", "metrics", "execution" },
  args = {
    top = 5,                    -- signatures to report
    fail_rate = 0.05,           -- Errors / Invocations at or above this fails
    signature_len = 160,        -- longest signature kept
    deploy_lookback_s = 86400,  -- mention a change made this long before the first error
  },
  run = function(ctx)
    local g = gather(ctx)
    if not g.events then
      local err = g.events_err
      if type(err) == "table" and err.code == "ResourceNotFoundException" then
        local errs = g.errors and g.errors.total or 0
        if errs > 0 then
          return ctx:finding{
            severity = "warn",
            title = ("%s errors in the Errors metric but no log group %s"):format(
              fmt_count(errs), logs.group(ctx)),
            evidence = { metric_line(g), ("log group %s does not exist"):format(logs.group(ctx)) },
            why = "without logs the errors cannot be read; Lambda creates the group on the "
              .. "first write, so the execution role probably may not write logs",
            fix = {
              explain = "let the execution role write its logs (logs:CreateLogGroup, "
                .. "logs:CreateLogStream, logs:PutLogEvents), see the access_denied step",
              commands = g.cfg and g.cfg.Role and { ("aws iam attach-role-policy --role-name %s "
                .. "--policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                :format(g.cfg.Role:match("([^/]+)$")) } or {},
            },
            confidence = "medium",
            data = { errors_metric = errs },
          }
        end
        return ctx:skip(("no log group %s"):format(logs.group(ctx)))
      end
      return ctx:error_from(err, "logs FilterLogEvents")
    end

    local groups, lines = group(g.events, ctx.args.signature_len)
    local errs = g.errors and g.errors.total or 0
    local inv = g.invocations and g.invocations.total or 0
    local from_logs = not (g.errors and #g.errors.points > 0)
    if from_logs then
      errs, inv = failed_from_logs(g.events)
    end
    if lines == 0 and errs == 0 then
      return ctx:finding{
        severity = "ok",
        title = ("no errors in the last %s (%s invocations)"):format(ctx.window.label, fmt_count(inv)),
        evidence = { ("%s log events searched, none matching ERROR, Exception, Timeout or "
          .. "throttl"):format(fmt_count(#g.events)), metric_line(g) },
        confidence = g.errors and "high" or "medium",
        data = { errors_metric = errs, invocations = inv, error_lines = 0 },
      }
    end

    local evidence = { metric_line(g), ("%s error lines in %s log events, %d distinct "
      .. "signature%s"):format(fmt_count(lines), fmt_count(#g.events), #groups,
      #groups == 1 and "" or "s") }
    local top = {}
    for i = 1, math.min(ctx.args.top, #groups) do
      local s = groups[i]
      evidence[#evidence + 1] = ("%dx %s, first %s, last %s%s"):format(s.count, s.signature,
        s.first.iso, s.last.iso, s.where and (" (at " .. s.where .. ")") or "")
      evidence[#evidence + 1] = "   e.g. " .. logs.quote(s.last)
      top[i] = { signature = s.signature, count = s.count, first = s.first.iso,
                 last = s.last.iso, where = s.where, example = logs.quote(s.last) }
    end
    if #groups > ctx.args.top then
      local rest = 0
      for i = ctx.args.top + 1, #groups do rest = rest + groups[i].count end
      evidence[#evidence + 1] = ("and %d more signatures (%d lines)"):format(#groups - ctx.args.top, rest)
    end
    local changed = change_line(ctx, g, groups[1] and groups[1].first)
    if changed then evidence[#evidence + 1] = changed end
    if g.events.truncated then
      evidence[#evidence + 1] = "the window holds more events than were read: counts are a lower bound"
    end

    local rate = inv > 0 and errs / inv or 0
    local severity = (errs > 0 and rate >= ctx.args.fail_rate) and "fail" or "warn"
    local head = groups[1]
    local title
    if errs > 0 then
      title = ("%s invocation errors in the last %s (%s of %s%s)"):format(fmt_count(errs),
        ctx.window.label, stats.fmt_pct(errs, inv), fmt_count(inv),
        from_logs and ", from the logs" or "")
    else
      title = ("%s error lines in the last %s, no failed invocations"):format(fmt_count(lines),
        ctx.window.label)
    end
    if head then title = title .. (", most often %s (%d)"):format(short(head.text), head.count) end
    local commands = {}
    if head then
      commands[1] = ("aws logs tail %s --since %s --filter-pattern '\"%s\"' --format short")
        :format(logs.group(ctx), since_arg(ctx), filter_term(head.signature))
    end
    return ctx:finding{
      severity = severity,
      title = title,
      evidence = evidence,
      why = errs > 0 and "each error is a failed invocation: the caller got an error, and "
        .. "asynchronous and stream sources retry it (and may block the stream)"
        or "the code logs errors it handled: the invocations succeeded, but something they "
        .. "depend on failed",
      fix = head and {
        explain = ("start with the most frequent signature, %s (%d times%s); read its full "
          .. "events with the command below"):format(short(head.text), head.count,
          head.where and (", raised at " .. head.where) or ""),
        commands = commands,
      } or nil,
      confidence = "high",
      data = { errors_metric = errs, invocations = inv, error_rate = rate, error_lines = lines,
               signatures = top },
    }
  end,
}
