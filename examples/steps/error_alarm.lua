--- error_alarm (team check): someone is paged when the function fails.
--
-- A team rule: every function has a CloudWatch alarm on its AWS/Lambda Errors metric
-- (dimension FunctionName), with an action, so failures page the owner instead of waiting
-- for a customer. The alarms come from the team's `error_alarms` evidence
-- (examples/evidence/team.lua, cloudwatch DescribeAlarms); a function without one fails,
-- one whose alarms have no action warns.
--
--   runbook --plugins examples triage.lua my-fn --steps error_alarm
local json = require("runbook.json")
local step = require("triage.step")
require("evidence.team") -- registers error_alarms

return step.define{
  id = "error_alarm",
  title = "Errors alarm",
  description = "A CloudWatch alarm with an action watches the function's Errors metric",
  tags = { "team", "monitoring" },
  fixes = { "cloudwatch PutMetricAlarm" }, -- as a command to adapt
  needs = { "error_alarms" },
  run = function(ctx, ev)
    local alarms, names, acting = ev.error_alarms, json.array(), {}
    for _, a in ipairs(alarms) do
      names[#names + 1] = a.AlarmName
      if a.ActionsEnabled ~= false and #(a.AlarmActions or {}) > 0 then
        acting[#acting + 1] = a.AlarmName
      end
    end
    if #alarms == 0 then
      return ctx:finding{
        severity = "fail",
        title = ("no CloudWatch alarm watches the Errors metric of %s"):format(ctx.function_name),
        evidence = { ("DescribeAlarms: no alarm on AWS/Lambda Errors with FunctionName=%s")
          :format(ctx.function_name) },
        why = "without an alarm a failing function is noticed by its callers, not its owner",
        fix = {
          explain = "alarm on any error in 5 minutes and notify the team's topic (replace TOPIC_ARN)",
          commands = { ("aws cloudwatch put-metric-alarm --alarm-name %s-errors --namespace "
            .. "AWS/Lambda --metric-name Errors --dimensions Name=FunctionName,Value=%s "
            .. "--statistic Sum --period 300 --evaluation-periods 1 --threshold 1 "
            .. "--comparison-operator GreaterThanOrEqualToThreshold --alarm-actions TOPIC_ARN")
            :format(ctx.function_name, ctx.function_name) },
          changes = "CloudWatch: + alarm " .. ctx.function_name .. "-errors",
        },
        confidence = "high",
        data = { alarms = names },
      }
    end
    if #acting == 0 then
      return ctx:finding{
        severity = "warn",
        title = ("the Errors alarm%s %s notif%s nobody (no enabled alarm action)")
          :format(#names > 1 and "s" or "", table.concat(names, ", "), #names > 1 and "y" or "ies"),
        evidence = { "alarms on Errors: " .. table.concat(names, ", ") },
        why = "an alarm without an action only changes colour in the console",
        fix = { explain = "add an SNS topic (or an incident tool) to the alarm's AlarmActions" },
        confidence = "high",
        data = { alarms = names },
      }
    end
    return ctx:finding{
      severity = "ok",
      title = ("Errors alarm %s notifies on failure"):format(table.concat(acting, ", ")),
      evidence = { "alarms on Errors: " .. table.concat(names, ", ") },
      confidence = "high",
      data = { alarms = names },
    }
  end,
}
