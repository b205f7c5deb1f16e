--- log_retention (team check): the function's log group expires its logs.
--
-- A team rule: CloudWatch Logs keeps a log group's events forever unless the group has a
-- retention policy, so a busy function's logs grow (and are billed) without end, and the
-- personal data in them is never deleted. Lambda creates /aws/lambda/NAME on the first
-- invocation without one. The group (the function's LoggingConfig.LogGroup, else
-- /aws/lambda/NAME) comes from the team's `log_group` evidence (examples/evidence/team.lua,
-- logs DescribeLogGroups); a function that never logged has no group and is skipped.
--
--   runbook --plugins examples triage.lua my-fn --steps log_retention
local step = require("triage.step")
local team = require("evidence.team") -- registers log_group

return step.define{
  id = "log_retention",
  title = "Log retention",
  description = "The function's CloudWatch Logs group has a retention policy no longer "
    .. "than the team's maximum",
  tags = { "team", "logs", "cost" },
  fixes = { "logs PutRetentionPolicy" },
  args = {
    retention_days = { default = 30, help = "the retention the fix proposes" },
    max_days = { default = 365, help = "a longer retention is a warning" },
  },
  needs = { "?config", "log_group" },
  applies = function(_, ev)
    if ev.log_group.absent then
      return false, ev.log_group.absent .. " (the function has not logged yet)"
    end
    return true
  end,
  run = function(ctx, ev)
    local group = ev.log_group
    local name = group.logGroupName or team.log_group_name(ctx, ev.config)
    local days = group.retentionInDays
    local stored = ("%s stores %d bytes"):format(name, math.floor(group.storedBytes or 0))
    local fix = {
      explain = ("expire the group's events after %d days"):format(ctx.args.retention_days),
      commands = { ("aws logs put-retention-policy --log-group-name %s --retention-in-days %d")
        :format(name, ctx.args.retention_days) },
      changes = ("retention of %s: %s -> %d days"):format(name,
        days and (days .. " days") or "never expire", ctx.args.retention_days),
    }
    if days == nil then
      return ctx:finding{
        severity = "fail",
        title = ("log group %s never expires its events (no retention policy)"):format(name),
        evidence = { stored, "retentionInDays: not set (Never expire)" },
        why = "without a retention policy CloudWatch Logs keeps every event forever: the "
          .. "storage bill only grows, and personal data in the logs is never deleted",
        fix = fix, confidence = "high",
        data = { log_group = name, proposed_days = ctx.args.retention_days },
      }
    end
    if days > ctx.args.max_days then
      return ctx:finding{
        severity = "warn",
        title = ("log group %s keeps events %d days (team maximum %d)"):format(name, days,
          ctx.args.max_days),
        evidence = { stored, ("retentionInDays: %d"):format(days) },
        why = "logs kept longer than anyone reads them cost storage and keep personal data",
        fix = fix, confidence = "high",
        data = { log_group = name, retention_days = days, proposed_days = ctx.args.retention_days },
      }
    end
    return ctx:finding{
      severity = "ok",
      title = ("log group %s expires events after %d days"):format(name, days),
      evidence = { stored },
      confidence = "high",
      data = { log_group = name, retention_days = days },
    }
  end,
}
