--- Tests of the throttle step's fix plans (steps/throttle/plans.lua): each remedy is its own
--- plan (never alternatives glued together), the SQS buffer's queue ARN in the words follows
--- the run's partition, the alias refers to the published version, a reservation never
--- grows past the account's unreserved capacity, and every plan validates.
local t = require("testlib")
local plans = require("steps.throttle.plans")
local plan = require("fix.plan")
local render = require("fix.render")

-- What the plans read of the step's picture, for a function with no alias and no queue.
local function picture(partition, region)
  return { ctx = { partition = partition, region = region }, account = "123456789012",
           name = "burst-fn", sqs = {}, provisioned = {}, peak = 300, account_limit = 1000 }
end

t.test("sqs_buffer_queue_arn_follows_the_partition", function()
  for _, case in ipairs({ { "aws-cn", "cn-north-1" }, { "aws-us-gov", "us-gov-west-1" },
                          { "aws", "us-east-1" } }) do
    local words = plans.alternatives(picture(case[1], case[2]), { sqs_max = 475 })
    t.contains(words, ("arn:%s:sqs:%s:123456789012:burst-fn-buffer"):format(case[1], case[2]))
    if case[1] ~= "aws" then t.ok(not words:find("arn:aws:", 1, true), "no aws ARN in " .. words) end
  end
end)

t.test("alternatives_leave_out_the_planned_remedy_and_keep_the_guides_order", function()
  local s = picture("aws", "us-east-1")
  local sizes = { sqs_max = 475, pc_n = 300, quota = 2000 }
  local all = plans.alternatives(s, sizes)
  t.ok(all:find("1) put an SQS queue", 1, true) and all:find("2) keep 300", 1, true)
    and all:find("3) ask for a concurrency limit of 2,000", 1, true), all)
  local no_quota = plans.alternatives(s, sizes, "quota")
  t.ok(not no_quota:find("concurrency limit", 1, true), no_quota)
  t.ok(not all:find("aws ", 1, true), "words, not commands: " .. all)
end)

t.test("alias_refers_to_the_published_version", function()
  local p = plans.warm(picture("aws", "us-east-1"), 300)
  t.eq(plan.validate(p), true)
  t.eq({ p[1].operation, p[2].operation, p[3].operation },
    { "PublishVersion", "CreateAlias", "PutProvisionedConcurrencyConfig" })
  t.eq(p[2].params.FunctionVersion, plan.ref(1, "Version"))
  t.contains(table.concat(render.commands(p), "\n"), '--function-version "$VERSION"')
  local s = picture("aws", "us-east-1")
  s.alias = "prod"
  local only = plans.warm(s, 20)
  t.eq(#only, 1, "an existing alias needs no publish")
  t.eq(only[1].params.Qualifier, "prod")
end)

t.test("each_plan_is_one_remedy_and_validates", function()
  local s = picture("aws", "us-east-1")
  s.reserved = 50
  for _, p in ipairs({ plans.raise(s, 81), plans.quota(s, 2000), plans.remove_zero(s) }) do
    t.eq(plan.validate(p), true)
    t.eq(#p, 1)
  end
  t.eq(render.commands(plans.raise(s, 81))[1], "aws lambda put-function-concurrency "
    .. "--function-name burst-fn --reserved-concurrent-executions 81")
  t.eq(render.commands(plans.quota(s, 2000))[1], "aws service-quotas "
    .. "request-service-quota-increase --service-code lambda --quota-code L-B99A9384 "
    .. "--desired-value 2000")
  t.eq(render.commands(plans.remove_zero(s))[1],
    "aws lambda delete-function-concurrency --function-name burst-fn")
end)

t.test("capacity_keeps_100_executions_unreserved", function()
  local s = picture("aws", "us-east-1")
  t.eq(plans.capacity(s), nil, "unknown without the account settings")
  s.unreserved, s.reserved = 120, 50
  t.eq(plans.capacity(s), 70)
  s.reserved = nil
  t.eq(plans.capacity(s), 20)
end)

return t.run()
