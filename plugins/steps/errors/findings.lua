--- steps.errors.findings: what the errors step found, in words (the field guide's "Get
--- last 20 invocation errors", counted and grouped).
--
-- steps/errors.lua groups and counts; this module reports with the real values: counts
-- against the Errors metric, each signature's first and last time, where in the code, an
-- example line, a deployment just before the first error, and the `aws logs tail` command
-- that shows the top signature's events (the CLI's own command, a read for the operator,
-- so it stays text). A missing log group with errors in the metric gets a plan: attach
-- AWSLambdaBasicExecutionRole (ARN in the run's partition) to the execution role.
local actions = require("fix.actions")
local arn = require("lib.arn")
local logs = require("evidence.logs")
local stats = require("lib.stats")
local text = require("lib.text")
local time = require("lib.time")

local M = {}

local fmt_count = stats.fmt_count

local BASIC_EXECUTION = "service-role/AWSLambdaBasicExecutionRole"

local function metric_line(m)
  if not m.series then return "CloudWatch Errors metric not readable" end
  if m.from_logs then
    return "CloudWatch Errors metric has no datapoints in the window: failures counted from the logs"
  end
  return ("CloudWatch Errors %s of %s invocations (%s)"):format(fmt_count(m.errors),
    fmt_count(m.invocations), stats.fmt_pct(m.errors, m.invocations))
end

--- 1. The Errors metric counts errors but the function has no log group.
function M.no_log_group(ctx, ev, m)
  local group, cfg = logs.group(ctx, ev.config), ev.config
  local role = arn.role_name(cfg.Role)
  local policy_arn = arn.managed_policy(ctx.partition, BASIC_EXECUTION)
  ctx:finding{
    severity = "warn",
    title = ("%s errors in the Errors metric but no log group %s"):format(fmt_count(m.errors), group),
    evidence = { metric_line(m), ("log group %s does not exist"):format(group) },
    why = "without logs the errors cannot be read; Lambda creates the group on the "
      .. "first write, so the execution role probably may not write logs",
    fix = {
      explain = "let the execution role write its logs (logs:CreateLogGroup, "
        .. "logs:CreateLogStream, logs:PutLogEvents), see the access_denied step",
      plan = role and { actions.attach_role_policy(role, policy_arn) } or nil,
      verify = role and { {
        what = ("role %s has %s attached"):format(role, policy_arn),
        read = { service = "iam", operation = "ListAttachedRolePolicies", params = { RoleName = role } },
        path = "AttachedPolicies[].PolicyArn", op = "contains", value = policy_arn,
      } } or nil,
      changes = role and ("role %s + AWSLambdaBasicExecutionRole"):format(role) or nil,
    },
    confidence = "medium",
    data = { errors_metric = m.errors },
  }
end

--- No error lines and no failed invocations.
function M.none(ctx, ev, m)
  ctx:finding{
    severity = "ok",
    title = ("no errors in the last %s (%s invocations)"):format(ctx.window.label,
      fmt_count(m.invocations)),
    evidence = { ("%s log events searched, none matching ERROR, Exception, Timeout or "
      .. "throttl"):format(fmt_count(#ev.events)), metric_line(m) },
    confidence = m.series and "high" or "medium",
    data = { errors_metric = m.errors, invocations = m.invocations, error_lines = 0 },
  }
end

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
  return (table.concat(best, " ", 1, math.min(5, #best)):gsub("[:,;.]$", ""))
end

-- `aws logs tail ... --since`: the window's label when the CLI takes it ("1h"), else its start.
local function since_arg(ctx)
  if ctx.window.label and ctx.window.label:match("^[%d.]+[smhdw]$") then return ctx.window.label end
  return time.iso(ctx.window.start)
end

-- A change to the function shortly before the first error line, as an evidence line.
local function change_line(ctx, cfg, first_error)
  local changed = time.epoch(cfg.LastModified)
  if not changed or not first_error then return nil end
  local before = first_error.time / 1000 - changed
  if before < 0 or before > ctx.args.deploy_lookback_s then return nil end
  return ("function last modified %s, %d min before the first error line"):format(
    time.iso(changed), math.floor(before / 60 + 0.5))
end

-- The evidence: the totals, then the top signatures with an example each.
local function evidence_for(ctx, ev, m, groups, lines)
  local top_n = ctx.args.top
  local evidence = { metric_line(m), ("%s error lines in %s log events, %s"):format(
    fmt_count(lines), fmt_count(#ev.events), text.plural(#groups, "distinct signature")) }
  local top = {}
  for i = 1, math.min(top_n, #groups) do
    local s = groups[i]
    evidence[#evidence + 1] = ("%dx %s, first %s, last %s%s"):format(s.count, s.signature,
      s.first.iso, s.last.iso, s.where and (" (at " .. s.where .. ")") or "")
    evidence[#evidence + 1] = "   e.g. " .. text.quote(s.last)
    top[i] = { signature = s.signature, count = s.count, first = s.first.iso,
               last = s.last.iso, where = s.where, example = text.quote(s.last) }
  end
  if #groups > top_n then
    local rest = 0
    for i = top_n + 1, #groups do rest = rest + groups[i].count end
    evidence[#evidence + 1] = ("and %d more signatures (%d lines)"):format(#groups - top_n, rest)
  end
  evidence[#evidence + 1] = change_line(ctx, ev.config, groups[1] and groups[1].first)
  if ev.events.truncated then
    evidence[#evidence + 1] = "the window holds more events than were read: counts are a lower bound"
  end
  return evidence, top
end

--- 2. Error lines or failed invocations: the top signatures.
function M.errors(ctx, ev, m, groups, lines)
  local errs, inv = m.errors, m.invocations
  local evidence, top = evidence_for(ctx, ev, m, groups, lines)
  local rate = inv > 0 and errs / inv or 0
  local head = groups[1]
  local title
  if errs > 0 then
    title = ("%s invocation errors in the last %s (%s of %s%s)"):format(fmt_count(errs),
      ctx.window.label, stats.fmt_pct(errs, inv), fmt_count(inv),
      m.from_logs and ", from the logs" or "")
  else
    title = ("%s error lines in the last %s, no failed invocations"):format(fmt_count(lines),
      ctx.window.label)
  end
  if head then title = title .. (", most often %s (%d)"):format(short(head.text), head.count) end
  ctx:finding{
    severity = (errs > 0 and rate >= ctx.args.fail_rate) and "fail" or "warn",
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
      commands = { ("aws logs tail %s --since %s --filter-pattern '\"%s\"' --format short")
        :format(logs.group(ctx), since_arg(ctx), filter_term(head.signature)) },
    } or nil,
    confidence = "high",
    data = { errors_metric = errs, invocations = inv, error_rate = rate, error_lines = lines,
             signatures = top },
  }
end

return M
