--- errors: the field guide's "recent errors", grouped and counted instead of dumped.
--
-- Automates step 2 of the guide's "Centralized Diagnostic Runbook" (filter-log-events
-- with "?ERROR ?error ?Exception ?Timeout ?throttl", which leaves the reading to you): the
-- window's events (read once for all steps) are kept when they are error lines, grouped
-- by a normalized signature (request ids, numbers, times and hex stripped; the
-- errorType/errorMessage of a Node.js or Python JSON error), and the most frequent
-- signatures are reported with counts, first and last time, where in the code, and one
-- example line each, next to the CloudWatch Errors and Invocations totals. The checks:
--   1. no log group but the Errors metric counts errors: warn (the role may not write
--      logs), with AWSLambdaBasicExecutionRole attached as the plan;
--   2. error lines or failed invocations: fail at `fail_rate`, else warn;
--   3. with active tracing, the failed traces' downstream call that failed most (faults,
--      errors, throttles; lib.xray): info, naming it with the traces' numbers;
--   otherwise ok. Explanations are in steps/errors/findings.
local findings = require("steps.errors.findings")
local logs = require("evidence.logs")
local step = require("triage.step")
local text = require("lib.text")
local xray = require("lib.xray")
local data = require("triage.evidence").data

local ERRORS, INVOCATIONS = "metric:Errors:Sum", "metric:Invocations:Sum"
local checks = {} -- the named checks, defined below the manifest

-- The guide's filter terms, plus what the runtimes print for crashes and timeouts.
local TERMS = { "ERROR", "error", "Error", "Exception", "Timeout", "timed out", "throttl",
                "Throttl", "signal: killed" }

-- Lines Lambda itself writes around every invocation: never errors of the code.
local PLATFORM = { "^START RequestId:", "^END RequestId:", "^REPORT RequestId:", "^INIT_START ",
                   "^INIT_REPORT ", "^EXTENSION\t", "^TELEMETRY\t", "^XRAY TraceId:" }

local M = step.define{
  id = "errors",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Recent errors",
  description = "The most frequent error signatures in the window, with counts, times, "
    .. "code locations and one example each, against the Errors metric",
  tags = { "default", "logs", "metrics", "execution" },
  fixes = { "iam AttachRolePolicy" },
  args = {
    top = { default = 5, help = "signatures to report" },
    fail_rate = { default = 0.05, help = "Errors / Invocations at or above this fails" },
    signature_len = { default = 160, help = "longest signature kept" },
    deploy_lookback_s = { default = 86400, help = "mention a change made this long before the first error" },
  },
  needs = { "config", "events", "?" .. ERRORS, "?" .. INVOCATIONS, "?traces" },
  applies = function(_, ev)
    if ev.events.absent and (ev[ERRORS].total or 0) == 0 then return false, ev.events.absent end
    return true
  end,
  run = function(ctx, ev)
    local m = checks.metrics(ev)
    if ev.events.absent then return findings.no_log_group(ctx, ev, m) end
    local groups, lines = checks.group(ev.events, ctx.args.signature_len)
    if m.from_logs then m.errors, m.invocations = checks.failed_from_logs(ev.events) end
    if lines == 0 and m.errors == 0 then return findings.none(ctx, ev, m) end
    findings.errors(ctx, ev, m, groups, lines)
    checks.traces(ctx, ev)
  end,
}

--- 3. The failed traces (fault, error or throttle) and the downstream call that failed
--- most in them: an info finding naming it, or nothing without traces or failed calls.
--- A failed trace read is the timeout step's to report (it owns the traces).
function checks.traces(ctx, ev)
  local tr = data(ev.traces)
  if not tr or #tr.traces == 0 then return end
  local agg = xray.aggregate(tr.traces, { only_failed = true })
  local row, n = xray.failing(agg)
  if not row then return end
  local evidence = { ("%d of %d traced failed invocations had a failed call to %s (X-Ray, "
    .. "%d traces read in full)"):format(row.failed_traces, agg.count, row.label, #tr.traces) }
  for _, line in ipairs(xray.lines(agg, 4)) do evidence[#evidence + 1] = "  " .. line end
  ctx:finding{
    severity = "info",
    title = ("the failed traces point at %s: %d failed %s in %d traces"):format(row.label, n,
      n == 1 and "call" or "calls", row.failed_traces),
    evidence = evidence,
    why = "a call that faults (5xx), errors (4xx) or is throttled inside a failed invocation "
      .. "is the likeliest cause of its failure, or at least the first thing it met",
    confidence = "medium",
    data = { trace = { scope = agg.scope, scoped = agg.count, label = row.label,
                       kind = row.kind, faults = row.faults, errors = row.errors,
                       throttles = row.throttles, traces = row.failed_traces,
                       p95_ms = row.p95_ms } },
  }
end

--- The Errors and Invocations totals; `from_logs` when the metric has no datapoints (the
--- failures are then counted from the logs).
function checks.metrics(ev)
  local errors, invocations = ev[ERRORS], ev[INVOCATIONS]
  return { series = not errors.failed and errors or nil,
           errors = errors.total or 0, invocations = invocations.total or 0,
           from_logs = not (errors.points and #errors.points > 0) }
end

local function is_error(message)
  return not text.matches_any(message, PLATFORM) and text.contains_any(message, TERMS) ~= nil
end

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
  return message:match("at [%w_.<>]+ %(([^)]+)%)")
end

--- The error lines grouped by signature, most frequent first: {signature, count, first,
--- last, where, text}, and the number of error lines.
function checks.group(events, max_len)
  local groups, order, lines = {}, {}, 0
  local exited = false
  for _, e in ipairs(events) do
    if e.message:find("Runtime exited with error", 1, true) then exited = true end
  end
  for _, e in ipairs(events) do
    local m = e.message
    -- "Runtime.ExitError" alone follows "Runtime exited with error": count the crash once
    local echo = exited and m:match("^%s*Runtime%.ExitError%s*$")
    if is_error(m) and not echo then
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

--- Invocations that failed, counted from the logs (for when the Errors metric is empty):
--- request ids with a timeout, a runtime exit, an unhandled exception (Python's bare
--- "[ERROR] Type: message", Node.js "Invoke Error") or a REPORT Status of timeout / error.
--- Returns the failures and the invocations (REPORT lines).
function checks.failed_from_logs(events)
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

return M
