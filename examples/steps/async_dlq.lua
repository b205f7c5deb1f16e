--- async_dlq (team check): an asynchronously invoked function keeps the events it fails on.
--
-- Not in the field guide: a team rule. S3, SNS, EventBridge and the other asynchronous
-- sources hand Lambda an event and forget it; Lambda retries a failing event twice, then
-- drops it, unless the function has an on-failure destination (its EventInvokeConfig) or a
-- dead-letter queue (DeadLetterConfig in its configuration). A dropped order or upload is a
-- silent data loss that no error rate shows afterwards.
--
-- Decide: the function is invoked asynchronously when it has an EventInvokeConfig, or its
-- resource policy lets a service that always invokes asynchronously call it; such a
-- function with neither an on-failure destination nor a dead-letter queue fails the check.
-- A function nothing invokes asynchronously is skipped.
--
--   runbook --plugins examples triage.lua my-fn --steps async_dlq
local evidence = require("triage.evidence")
local step = require("triage.step")

-- Services that invoke a function only asynchronously (Lambda's "Invoking Lambda
-- functions asynchronously" list), by their service principal.
local ASYNC_PRINCIPALS = {
  ["s3.amazonaws.com"] = "S3", ["sns.amazonaws.com"] = "SNS",
  ["events.amazonaws.com"] = "EventBridge", ["scheduler.amazonaws.com"] = "EventBridge Scheduler",
  ["logs.amazonaws.com"] = "CloudWatch Logs", ["ses.amazonaws.com"] = "SES",
  ["iot.amazonaws.com"] = "IoT", ["codecommit.amazonaws.com"] = "CodeCommit",
  ["config.amazonaws.com"] = "Config", ["cloudformation.amazonaws.com"] = "CloudFormation",
}

local async_sources -- defined below the manifest

local M = step.define{
  id = "async_dlq",
  title = "Failed async events are kept",
  description = "An asynchronously invoked function has an on-failure destination or a "
    .. "dead-letter queue, so events that fail every retry are not dropped",
  tags = { "team", "reliability" },
  fixes = { "lambda PutFunctionEventInvokeConfig" }, -- as a command to adapt
  args = {
    severity = { default = "fail", help = "how a function that drops failed events ranks" },
  },
  needs = { "config", "invoke_config", "?policy" },
  applies = function(_, ev)
    return #async_sources(ev) > 0, "not invoked asynchronously: no EventInvokeConfig and no "
      .. "asynchronous service (S3, SNS, EventBridge...) in its resource policy"
  end,
  run = function(ctx, ev)
    local cfg, eic = ev.config, evidence.data(ev.invoke_config) or {}
    local on_failure = ((eic.DestinationConfig or {}).OnFailure or {}).Destination
    local dlq = (cfg.DeadLetterConfig or {}).TargetArn
    local sources = async_sources(ev)
    local seen = ("invoked asynchronously by %s"):format(table.concat(sources, ", "))
    if on_failure or dlq then
      return ctx:finding{
        severity = "ok",
        title = ("events that fail every retry go to %s"):format(on_failure or dlq),
        evidence = { seen, on_failure and ("on-failure destination %s"):format(on_failure)
          or ("dead-letter queue %s"):format(dlq) },
        confidence = "high",
        data = { sources = sources, on_failure = on_failure, dead_letter = dlq },
      }
    end
    local retries = eic.MaximumRetryAttempts or 2
    return ctx:finding{
      severity = ctx.args.severity,
      title = ("%s drops events that fail %d retr%s: no on-failure destination and no "
        .. "dead-letter queue"):format(ctx.function_name, retries, retries == 1 and "y" or "ies"),
      evidence = {
        seen,
        ev.invoke_config.absent and "no EventInvokeConfig (so no destinations; 2 retries)"
          or ("EventInvokeConfig: MaximumRetryAttempts %d, no OnFailure destination")
            :format(retries),
        "configuration: no DeadLetterConfig",
      },
      why = "Lambda retries a failed asynchronous event, then discards it; the source does "
        .. "not keep it, so the event is lost and only its log lines say it existed",
      fix = {
        explain = "send failed events to an SQS queue or SNS topic (replace QUEUE_ARN); an "
          .. "on-failure destination also records the error and the request",
        commands = { ("aws lambda put-function-event-invoke-config --function-name %s "
          .. "--destination-config '{\"OnFailure\":{\"Destination\":\"QUEUE_ARN\"}}'")
          :format(ctx.function_id) },
        changes = "EventInvokeConfig: + OnFailure destination",
      },
      confidence = ev.invoke_config.absent and "medium" or "high",
      data = { sources = sources, retries = retries },
    }
  end,
}

--- The asynchronous sources seen: "EventInvokeConfig" and the services the policy names.
function async_sources(ev)
  local found, seen = {}, {}
  local function add(name)
    if not seen[name] then seen[name] = true; found[#found + 1] = name end
  end
  if not ev.invoke_config.absent then add("its EventInvokeConfig") end
  for _, s in ipairs(evidence.data(ev.policy) and ev.policy.statements or {}) do
    local principal = type(s.principal) == "table" and s.principal.Service or nil
    if type(principal) == "string" then principal = { principal } end
    if s.effect == "Allow" and type(principal) == "table" then
      for _, service in ipairs(principal) do
        if ASYNC_PRINCIPALS[service] then add(ASYNC_PRINCIPALS[service]) end
      end
    end
  end
  return found
end

return M
