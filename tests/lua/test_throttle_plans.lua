--- Tests of the throttle step's fix plans (steps/throttle/plans.lua): the SQS buffer's
--- queue ARN follows the run's partition, the alias refers to the published version, and
--- every plan validates against the models.
local t = require("testlib")
local plans = require("steps.throttle.plans")
local plan = require("fix.plan")
local render = require("fix.render")

-- What guide_fix reads of the step's picture, for a function with no alias and no queue.
local function picture(partition, region)
  return { ctx = { partition = partition, region = region }, account = "123456789012",
           name = "burst-fn", sqs = {}, provisioned = {}, peak = 300, account_limit = 1000 }
end

-- Every text line and parameter value of a fix, as one string to search.
local function everything(fix)
  local parts = {}
  for _, c in ipairs(fix.commands) do parts[#parts + 1] = c end
  for _, c in ipairs(render.commands(fix.plan or {})) do parts[#parts + 1] = c end
  return table.concat(parts, "\n")
end

t.test("sqs_buffer_queue_arn_follows_the_partition", function()
  for _, case in ipairs({ { "aws-cn", "cn-north-1" }, { "aws-us-gov", "us-gov-west-1" },
                          { "aws", "us-east-1" } }) do
    local fix = plans.guide_fix(picture(case[1], case[2]), { sqs_max = 475 })
    local all = everything(fix)
    t.contains(all, ("arn:%s:sqs:%s:123456789012:burst-fn-buffer"):format(case[1], case[2]))
    t.contains(all, "aws sqs create-queue --queue-name burst-fn-buffer")
    if case[1] ~= "aws" then t.ok(not all:find("arn:aws:", 1, true), "no aws ARN in " .. all) end
  end
end)

t.test("alias_refers_to_the_published_version", function()
  local fix = plans.guide_fix(picture("aws", "us-east-1"), { sqs_max = 475, pc_n = 300 })
  t.eq(plan.validate(fix.plan), true)
  local publish, alias
  for i, step in ipairs(fix.plan) do
    if step.operation == "PublishVersion" then publish = i end
    if step.operation == "CreateAlias" then alias = step end
  end
  t.ok(publish and alias, "publish-version and create-alias in the plan")
  t.eq(alias.params.FunctionVersion, plan.ref(publish, "Version"))
  t.contains(everything(fix), '--function-version "$VERSION"')
end)

t.test("quota_and_reservation_plans_validate", function()
  local s = picture("aws", "us-east-1")
  s.reserved = 50
  local fix = plans.guide_fix(s, { sqs_max = 50, raise = 81, quota = 2000 })
  t.eq(plan.validate(fix.plan), true)
  local all = everything(fix)
  t.contains(all, "aws lambda put-function-concurrency --function-name burst-fn "
    .. "--reserved-concurrent-executions 81")
  t.contains(all, "aws service-quotas request-service-quota-increase --service-code lambda "
    .. "--quota-code L-B99A9384 --desired-value 2000")
end)

return t.run()
