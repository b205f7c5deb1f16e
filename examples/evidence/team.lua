--- evidence.team: the reads the team checks in examples/steps/ need beyond the built-ins.
--
-- A team registers its own evidence once, in its plugin directory, and its steps name it
-- in `needs` like any built-in evidence (docs/writing-steps.md, "Evidence of your own"). A step
-- loads this module with `require("evidence.team")` (the --plugins directory, or the team
-- runbook's own directory, is searched first, so this file is found there); registering
-- twice is harmless. The steps never call AWS in `run`: the engine gathers these reads
-- once per run, concurrently, and turns "there is none" into absence as data. (The
-- asynchronous invocation config it once read is built in now: `invoke_config`.)
--
--   ev.log_group      the function's log group as DescribeLogGroups returns it
--                     | absent: no log group
--   ev.error_alarms   the CloudWatch alarms on the function's AWS/Lambda Errors metric (list)
local evidence = require("triage.evidence")
local lambda_log = require("lib.lambda_log")

local M = {}

--- The log group the function writes to: its LoggingConfig's, else /aws/lambda/NAME
--- (the built-in rule, lib.lambda_log.group).
function M.log_group_name(ctx, cfg)
  return lambda_log.group(cfg, ctx.function_name)
end

function M.log_group(ctx, ev)
  local name = M.log_group_name(ctx, evidence.data(ev.config))
  local token
  repeat
    local page, err = ctx.aws.call("logs", "DescribeLogGroups",
      { logGroupNamePrefix = name, nextToken = token })
    if not page then return nil, err end
    for _, group in ipairs(page.logGroups or {}) do
      if group.logGroupName == name then return group end
    end
    token = page.nextToken
  until not token
  return evidence.absent("no log group " .. name)
end

-- Whether an alarm watches the function's AWS/Lambda Errors metric.
local function on_errors(alarm, fn)
  if alarm.Namespace ~= "AWS/Lambda" or alarm.MetricName ~= "Errors" then return false end
  for _, d in ipairs(alarm.Dimensions or {}) do
    if d.Name == "FunctionName" and d.Value == fn then return true end
  end
  return false
end

function M.error_alarms(ctx)
  local found, token = {}, nil
  repeat
    local page, err = ctx.aws.call("monitoring", "DescribeAlarms", { NextToken = token })
    if not page then return nil, err end
    for _, alarm in ipairs(page.MetricAlarms or {}) do
      if on_errors(alarm, ctx.function_name) then found[#found + 1] = alarm end
    end
    token = page.NextToken
  until not token
  return found
end

evidence.provide("log_group", "the function's CloudWatch Logs group (retention, size); "
  .. "absent: no log group", M.log_group, { "logs DescribeLogGroups" })
evidence.provide("error_alarms", "the CloudWatch alarms on the function's Errors metric",
  M.error_alarms, { "cloudwatch DescribeAlarms" })

return M
