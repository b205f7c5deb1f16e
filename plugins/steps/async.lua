--- async: asynchronous invocations: are events dropped, aging, or failing into nothing.
--
-- S3, SNS, EventBridge and `aws lambda invoke --invocation-type Event` hand Lambda an event
-- and forget it. Lambda queues it, retries a failure (MaximumRetryAttempts, default 2)
-- until the event is MaximumEventAgeInSeconds old (default 6 h), then sends it to the
-- on-failure destination or the dead-letter queue, or drops it. None of that shows in the
-- error rate, so the checks read the async metrics and the configuration:
--   1. dropped (AsyncEventsDropped): fail when nothing keeps the failed events, warn when a
--      destination or DLQ does;
--   2. aging (AsyncEventAge, the time an event waited) near MaximumEventAgeInSeconds: warn;
--   3. failures going nowhere (no DLQ, no OnFailure destination) while nothing was dropped
--      yet: warn (examples/steps/async_dlq.lua makes this a team's fail);
--   4. a DLQ or destination the execution role may not send to (its policies evaluated
--      with lib.policy), or DeadLetterErrors / DestinationDeliveryFailures: fail, with the
--      PutRolePolicy that grants the send when the role lacks it.
-- The step applies when the function has an EventInvokeConfig, an asynchronous service in
-- its resource policy, or received async events in the window; the other four metrics are
-- read only then, and the execution role only when there is a DLQ or destination to check,
-- both at once: the role is not a need, so the metrics never wait for its policies (a
-- three-call chain). steps/async/findings.lua explains each finding.
local evidence = require("triage.evidence")
local findings = require("steps.async.findings")
local policy = require("lib.policy")
local step = require("triage.step")

local data = evidence.data

-- Services that invoke a function only asynchronously, by their service principal (as in
-- examples/steps/async_dlq.lua, Lambda's "Invoking Lambda functions asynchronously").
local ASYNC_PRINCIPALS = {
  ["s3.amazonaws.com"] = "S3", ["sns.amazonaws.com"] = "SNS",
  ["events.amazonaws.com"] = "EventBridge", ["scheduler.amazonaws.com"] = "EventBridge Scheduler",
  ["logs.amazonaws.com"] = "CloudWatch Logs", ["ses.amazonaws.com"] = "SES",
  ["iot.amazonaws.com"] = "IoT", ["codecommit.amazonaws.com"] = "CodeCommit",
  ["config.amazonaws.com"] = "Config", ["cloudformation.amazonaws.com"] = "CloudFormation",
}

-- The metrics read once the step applies (AsyncEventsReceived decides whether it does).
local METRICS = {
  age = "metric:AsyncEventAge:Maximum", dropped = "metric:AsyncEventsDropped:Sum",
  dlq_errors = "metric:DeadLetterErrors:Sum",
  delivery_failures = "metric:DestinationDeliveryFailures:Sum",
}
local RECEIVED = "metric:AsyncEventsReceived:Sum"

-- What the role needs to send to a target, by the target ARN's service.
local SEND_ACTION = { sqs = "sqs:SendMessage", sns = "sns:Publish",
                      lambda = "lambda:InvokeFunction", events = "events:PutEvents",
                      s3 = "s3:PutObject" }

local checks = {}

local M = step.define{
  id = "async",
  checks = checks,
  title = "Asynchronous invocations",
  description = "Async events dropped or aging, failures with no dead-letter queue or "
    .. "on-failure destination, and destinations the role may not send to",
  tags = { "default", "async", "metrics" },
  fixes = { "iam PutRolePolicy", "lambda PutFunctionEventInvokeConfig",
            "lambda UpdateFunctionEventInvokeConfig" },
  -- the metrics and, when there is a target to check, the role (as the role evidence reads it)
  reads = { "cloudwatch GetMetricStatistics", "iam GetRole", "iam ListAttachedRolePolicies",
            "iam ListRolePolicies", "iam GetPolicy", "iam GetPolicyVersion", "iam GetRolePolicy" },
  args = {
    age_share = { default = 0.5, help = "events older than this share of the maximum age are aging" },
    default_max_age_s = { default = 21600, help = "Lambda's MaximumEventAgeInSeconds when unset" },
    default_retries = { default = 2, help = "Lambda's MaximumRetryAttempts when unset" },
  },
  needs = { "config", "?invoke_config", "?policy", "?" .. RECEIVED },
  applies = function(_, ev)
    return #checks.sources(ev) > 0, "not invoked asynchronously: no EventInvokeConfig, no "
      .. "asynchronous service (S3, SNS, EventBridge...) in its resource policy and no "
      .. "AsyncEventsReceived in the window"
  end,
  run = function(ctx, ev)
    if ev.invoke_config.failed then ctx:error_from(ev.invoke_config.failed) end
    local w = checks.window(ctx, ev)
    local dropped = checks.dropped(ctx, w)
    local aging = checks.aging(ctx, w)
    local nowhere = not dropped and checks.nowhere(ctx, w)
    local targets = checks.targets(ctx, ev, w)
    if not (dropped or aging or nowhere or targets) then findings.all_clear(ctx, w) end
  end,
}

--- Why the function counts as asynchronously invoked: "its EventInvokeConfig", the
--- services its resource policy names, "N AsyncEventsReceived".
function checks.sources(ev)
  local found, seen = {}, {}
  local function add(name)
    if not seen[name] then seen[name] = true; found[#found + 1] = name end
  end
  if data(ev.invoke_config) then add("its EventInvokeConfig") end
  for _, s in ipairs(data(ev.policy) and ev.policy.statements or {}) do
    local principal = type(s.principal) == "table" and s.principal.Service or nil
    if type(principal) == "string" then principal = { principal } end
    if s.effect == "Allow" and type(principal) == "table" then
      for _, service in ipairs(principal) do
        if ASYNC_PRINCIPALS[service] then add(ASYNC_PRINCIPALS[service]) end
      end
    end
  end
  local received = data(ev[RECEIVED])
  if received and (received.total or 0) > 0 then
    add(("%d AsyncEventsReceived"):format(math.floor(received.total)))
  end
  return found
end

-- A metric read in run: its data, or nil with the failure noted once in w.unread.
local function metric(ev, w, name)
  local v = ev[name]
  if v.failed then w.unread[#w.unread + 1] = v.failed; return nil end
  return v
end

--- What every check looks at: the retry and age limits, the destinations, the metrics.
function checks.window(ctx, ev)
  local names = {}
  for _, name in pairs(METRICS) do names[#names + 1] = name end
  table.sort(names)
  local eic, cfg, a = data(ev.invoke_config) or {}, ev.config, ctx.args
  local dest = eic.DestinationConfig or {}
  if (cfg.DeadLetterConfig or {}).TargetArn or dest.OnFailure or dest.OnSuccess then
    names[#names + 1] = "?role"
  end
  evidence.prefetch(ev, names)
  local w = {
    cfg = cfg, eic = eic, absent_eic = ev.invoke_config.absent ~= nil,
    sources = checks.sources(ev), unread = {},
    retries = eic.MaximumRetryAttempts or a.default_retries,
    max_age_s = eic.MaximumEventAgeInSeconds or a.default_max_age_s,
    on_failure = (dest.OnFailure or {}).Destination,
    on_success = (dest.OnSuccess or {}).Destination,
    dlq = (cfg.DeadLetterConfig or {}).TargetArn,
    received = data(ev[RECEIVED]),
  }
  for key, name in pairs(METRICS) do w[key] = metric(ev, w, name) end
  return w
end

local function total(series) return series and series.total or 0 end

--- 1. Events dropped in the window.
function checks.dropped(ctx, w)
  if total(w.dropped) <= 0 then return false end
  findings.dropped(ctx, w)
  return true
end

--- 2. Events that waited a large share of the maximum age (AsyncEventAge is in ms).
function checks.aging(ctx, w)
  local oldest_ms = w.age and w.age.max
  if not oldest_ms or oldest_ms < ctx.args.age_share * w.max_age_s * 1000 then return false end
  findings.aging(ctx, w, oldest_ms)
  return true
end

--- 3. No dead-letter queue and no on-failure destination.
function checks.nowhere(ctx, w)
  if w.on_failure or w.dlq then return false end
  findings.nowhere(ctx, w)
  return true
end

-- Whether the role's policies let it send to `target`: "allow", "deny", "implicit" or
-- nil (unknown: the role could not be read), and the action.
local function may_send(ev, target)
  local service = (target or ""):match("^arn:[%w-]+:([%w-]+):")
  local action = SEND_ACTION[service]
  local role = ev.role
  if not action or role.absent or role.failed then return nil, action end
  return policy.evaluate(role.list, action, target).decision, action
end

--- 4. Each DLQ / destination: may the role send to it; did sending fail.
function checks.targets(ctx, ev, w)
  local list = {}
  if w.dlq then list[#list + 1] = { arn = w.dlq, kind = "dead-letter queue",
                                    failures = total(w.dlq_errors), metric = "DeadLetterErrors" } end
  for _, d in ipairs({ { w.on_failure, "on-failure destination" },
                       { w.on_success, "on-success destination" } }) do
    if d[1] then list[#list + 1] = { arn = d[1], kind = d[2],
                                     failures = total(w.delivery_failures),
                                     metric = "DestinationDeliveryFailures" } end
  end
  local said = false
  for _, t in ipairs(list) do
    t.decision, t.action = may_send(ev, t.arn)
    if t.decision == "deny" or t.decision == "implicit" or t.failures > 0 then
      findings.target(ctx, ev, w, t)
      said = true
    end
  end
  return said
end

return M
