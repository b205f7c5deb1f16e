--- steps.async.findings: what the async step found, in words: the retry and age limits,
--- where failed events go, the async metrics, and the fix.
--
-- steps/async.lua decides; this module explains with the real values. A dead-letter queue
-- or destination is the user's to choose (which queue or topic keeps the events), so that
-- fix is advice with the exact command and `manual`; a role that may not send to the
-- target it already has is one PutRolePolicy, planned.
local actions = require("fix.actions")
local arn = require("lib.arn")
local stats = require("lib.stats")

local M = {}

-- "arn:aws:sqs:us-east-1:123456789012:audit-failures" -> "audit-failures" (for headlines).
local function short(target_arn)
  return tostring(target_arn):match("([^:/]+)$") or tostring(target_arn)
end

local function count(series)
  return series and math.floor(series.total or 0) or 0
end

local function age_text(ms)
  return ms and stats.fmt_ms(ms) or "no datapoints"
end

-- The lines every finding starts with: who invokes it, its limits, where failures go.
local function context(ctx, w)
  local lines = { ("invoked asynchronously: %s"):format(table.concat(w.sources, ", ")) }
  if w.absent_eic then
    lines[#lines + 1] = ("no EventInvokeConfig: Lambda's defaults, %d retries, events "
      .. "kept up to %d s, no destinations"):format(w.retries, w.max_age_s)
  else
    lines[#lines + 1] = ("EventInvokeConfig: MaximumRetryAttempts %d, MaximumEventAgeInSeconds "
      .. "%d, OnFailure %s, OnSuccess %s"):format(w.retries, w.max_age_s,
      w.on_failure or "none", w.on_success or "none")
  end
  lines[#lines + 1] = "DeadLetterConfig: " .. (w.dlq or "none")
  lines[#lines + 1] = ("in the last %s: AsyncEventsReceived %d, AsyncEventsDropped %d, "
    .. "AsyncEventAge max %s, DeadLetterErrors %d, DestinationDeliveryFailures %d")
    :format(ctx.window.label, count(w.received), count(w.dropped),
      age_text(w.age and w.age.max), count(w.dlq_errors), count(w.delivery_failures))
  for _, err in ipairs(w.unread) do
    lines[#lines + 1] = ("could not read %s %s: %s"):format(err.service or "", err.operation or "",
      err.code or "error")
  end
  return lines
end

local function metrics_data(w)
  return { received = count(w.received), dropped = count(w.dropped),
           oldest_ms = w.age and w.age.max, dead_letter_errors = count(w.dlq_errors),
           delivery_failures = count(w.delivery_failures), retries = w.retries,
           max_age_s = w.max_age_s, on_failure = w.on_failure, on_success = w.on_success,
           dead_letter = w.dlq, sources = w.sources }
end

-- The advice that adds an on-failure destination: update- keeps an existing config's
-- other settings, put- creates one.
local function destination_fix(ctx, w)
  local verb = w.absent_eic and "put" or "update"
  return {
    explain = "send events that fail every retry to an SQS queue or SNS topic you choose "
      .. "(replace QUEUE_ARN), and let the execution role send to it; an on-failure "
      .. "destination also records the error and the request, a DeadLetterConfig only the event",
    commands = { ("aws lambda %s-function-event-invoke-config --function-name %s "
      .. "--destination-config '{\"OnFailure\":{\"Destination\":\"QUEUE_ARN\"}}'")
      :format(verb, ctx.function_id) },
    manual = "the queue or topic that keeps failed events is yours to choose",
    changes = "EventInvokeConfig: + OnFailure destination",
  }
end

--- 1. AsyncEventsDropped > 0.
function M.dropped(ctx, w)
  local n, target = count(w.dropped), w.on_failure or w.dlq
  local lost = count(w.delivery_failures) + count(w.dlq_errors)
  local kept = target and lost < n and target or nil
  local evidence = context(ctx, w)
  local title
  if kept then
    title = ("%d async events failed every retry or aged out; they went to %s"):format(n, kept)
  elseif target then
    title = ("%d async events were dropped: sending them to %s failed"):format(n, target)
  else
    title = ("%d async events were dropped: no on-failure destination and no dead-letter "
      .. "queue"):format(n)
  end
  local data = metrics_data(w)
  if not kept then
    data.headline = target
      and ("%d async events dropped: sending them to %s failed"):format(n, short(target))
      or ("%d async events dropped with no DLQ or on-failure destination"):format(n)
  end
  ctx:finding{
    severity = kept and "warn" or "fail",
    title = title,
    evidence = evidence,
    why = ("Lambda gives up on an event after %d retr%s or %d s in its queue; %s"):format(
      w.retries, w.retries == 1 and "y" or "ies", w.max_age_s, kept
        and "the events are kept there: look at their error and re-drive them once fixed"
        or "the source does not keep it, so the event is lost and only its log lines say it "
          .. "existed"),
    fix = kept and {
      explain = ("read the failed events in %s for the error, fix it, then re-drive them")
        :format(kept),
    } or not target and destination_fix(ctx, w) or {
      explain = ("let the execution role send to %s (the finding below)"):format(target),
    },
    confidence = "high",
    data = data,
  }
end

--- 2. The oldest event waited `oldest_ms`, a large share of the maximum age.
function M.aging(ctx, w, oldest_ms)
  ctx:finding{
    severity = "warn",
    title = ("async events waited up to %s, %s of the %d s maximum event age"):format(
      stats.fmt_ms(oldest_ms), stats.fmt_pct(oldest_ms, w.max_age_s * 1000), w.max_age_s),
    evidence = context(ctx, w),
    why = "AsyncEventAge grows when the function cannot keep up (throttled, failing and "
      .. "retrying, or too little concurrency): events that reach the maximum age are "
      .. "dropped, or sent to the on-failure destination, without running",
    fix = { explain = "find why events wait: Throttles and Errors of the function (the "
      .. "throttle and errors steps), its reserved concurrency; raise concurrency or fix "
      .. "the failures that are being retried" },
    confidence = "medium",
    data = metrics_data(w),
  }
end

--- 3. Nothing keeps a failed event (none dropped in the window yet).
function M.nowhere(ctx, w)
  ctx:finding{
    severity = "warn",
    title = ("events that fail %d retr%s are dropped: no on-failure destination and no "
      .. "dead-letter queue"):format(w.retries, w.retries == 1 and "y" or "ies"),
    evidence = context(ctx, w),
    why = "Lambda retries a failed asynchronous event, then discards it; none was dropped in "
      .. "the window, but the next failure is a silent data loss",
    fix = destination_fix(ctx, w),
    confidence = w.absent_eic and "medium" or "high",
    data = metrics_data(w),
  }
end

-- The PutRolePolicy that lets the role send to the target (nil when the role is unknown or
-- already has an inline policy of that name: then the advice names the action).
local function grant(ctx, ev, t)
  local role = ev.role
  if role.absent or role.failed or not t.action then return nil end
  local name = "runbook-async-" .. ctx.function_name
  for _, p in ipairs(role.list or {}) do
    if p.kind == "inline" and p.name == name then return nil end
  end
  local doc = { Version = "2012-10-17", Statement = { {
    Sid = "AsyncTarget", Effect = "Allow", Action = t.action, Resource = t.arn } } }
  return actions.put_role_policy(role.name, name, doc)
end

--- 4. A DLQ or destination the role may not send to, or that sending to failed.
function M.target(ctx, ev, w, t)
  local evidence = context(ctx, w)
  local denied = t.decision == "deny" or t.decision == "implicit"
  local role = arn.role_name(w.cfg.Role) or tostring(w.cfg.Role)
  if t.decision then
    evidence[#evidence + 1] = ("execution role %s and %s on %s: %s"):format(role, t.action,
      t.arn, t.decision == "allow" and "allowed" or
        (t.decision == "deny" and "explicitly denied" or "no statement allows it"))
  else
    evidence[#evidence + 1] = ("execution role %s could not be read: %s on %s not checked")
      :format(role, t.action or "sending", t.arn)
  end
  if t.failures > 0 then
    evidence[#evidence + 1] = ("%s: %d in the last %s"):format(t.metric, t.failures,
      ctx.window.label)
  end
  local plan = denied and t.decision ~= "deny" and grant(ctx, ev, t) or nil
  ctx:finding{
    severity = "fail",
    title = denied
      and ("the execution role may not %s to its %s %s"):format(t.action, t.kind, t.arn)
      or ("%d events could not be sent to the %s %s"):format(t.failures, t.kind, t.arn),
    evidence = evidence,
    why = "Lambda sends to the dead-letter queue or destination with the function's "
      .. "execution role; when that fails the event is lost after all (DeadLetterErrors, "
      .. "DestinationDeliveryFailures), which is what the target was there to prevent",
    fix = {
      explain = denied and ("allow %s on %s in the execution role %s"):format(t.action, t.arn, role)
        or ("check that %s exists, accepts the role's messages (its resource policy, a KMS "
          .. "key the role may use) and is not full"):format(t.arn),
      plan = plan and { plan } or nil,
      changes = plan and ("role %s + %s on %s"):format(role, t.action, t.arn) or nil,
      manual = t.decision == "deny" and "an explicit Deny is a deliberate rule: its owner "
        .. "decides" or nil,
    },
    confidence = denied and "high" or "medium",
    data = { target = t.arn, kind = t.kind, action = t.action, decision = t.decision,
             failures = t.failures, metric = t.metric,
             headline = denied and ("the role may not %s to %s"):format(t.action, short(t.arn))
               or ("%d events not delivered to %s"):format(t.failures, short(t.arn)) },
  }
end

--- Nothing wrong: ok with the numbers.
function M.all_clear(ctx, w)
  ctx:finding{
    severity = "ok",
    title = ("async events kept: failures go to %s; %d received, none dropped"):format(
      w.on_failure or w.dlq, count(w.received)),
    evidence = context(ctx, w),
    confidence = "high",
    data = metrics_data(w),
  }
end

return M
