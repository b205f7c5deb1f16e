--- steps.throttle.plans: the throttle step's fixes as plans (fix.plan), in the field
--- guide's order.
--
-- The field guide's "Diagnosing Lambda Throttling" gives the fixes in order of
-- preference: put an SQS queue in front and cap its pollers (ScalingConfig
-- .MaximumConcurrency), keep environments warm with provisioned concurrency, ask for a
-- higher concurrency limit (Service Quotas). A plan is applied in order, so the guide's
-- alternatives are one plan in that order and the finding's explanation says where to stop.
--
-- The SQS buffer's queue ARN is built with lib.arn.sqs_queue from the run's partition,
-- region and account: CreateQueue returns the queue URL, not its ARN, and the ARN is fixed
-- by those three and the name, so the rendered command shows the real value (a reference
-- to GetQueueAttributes' QueueArn would need a third call and a shell variable).
-- publish-version + create-alias pass the published Version by reference (plan.ref).
--
-- The embedded lambda model (botocore 1.29.27) predates ScalingConfig, so until it is
-- regenerated the two calls that set MaximumConcurrency (UpdateEventSourceMapping,
-- CreateEventSourceMapping) cannot be validated plan steps: they stay text lines, shown
-- after the plan's commands. With a model that knows ScalingConfig they are plan steps in
-- the guide's order, with no change here.
local actions = require("fix.actions")
local json = require("runbook.json")
local lib_arn = require("lib.arn")
local model = require("fix.model")
local plan = require("fix.plan")
local stats = require("lib.stats")

local M = {}

-- Service Quotas code of Lambda's "Concurrent executions" quota.
local QUOTA_CODE = "L-B99A9384"
-- The alias a plan creates when the function has none to put provisioned concurrency on.
local NEW_ALIAS = "live"

local fmt = stats.fmt_count

local function call(service, operation, params)
  return { service = service, operation = operation, params = params }
end

--- A verify entry: the function's reservation (GetFunctionConcurrency) `op` `value`.
function M.concurrency_check(s, op, value, what)
  return { what = what, read = call("lambda", "GetFunctionConcurrency", { FunctionName = s.name }),
           path = "ReservedConcurrentExecutions", op = op, value = value }
end

---------------------------------------------------------------------------------------
-- the guide's fixes as one plan

-- Whether the embedded model lets a plan set ScalingConfig (see the header).
local function plans_scaling_config()
  local tree = model.input("lambda", "UpdateEventSourceMapping")
  return tree and tree.members and tree.members.ScalingConfig ~= nil
end

-- 1) the SQS buffer: cap the pollers of existing SQS mappings, or create a queue and a
-- mapping that polls it. `lines` takes the text commands the model cannot plan yet.
local function sqs_buffer(s, p, lines, sizes)
  local n, as_plan = sizes.sqs_max, plans_scaling_config()
  if #s.sqs > 0 then
    for _, m in ipairs(s.sqs) do
      if as_plan then
        p[#p + 1] = actions.update_event_source_mapping(m.UUID,
          { ScalingConfig = { MaximumConcurrency = n } }, m)
      else
        lines[#lines + 1] = ("aws lambda update-event-source-mapping --uuid %s "
          .. "--scaling-config MaximumConcurrency=%d"):format(m.UUID, n)
      end
    end
    return ("1) cap the SQS pollers at MaximumConcurrency %d so bursts wait in the queue "
      .. "instead of being throttled"):format(n)
  end
  local queue = s.name .. "-buffer"
  local queue_arn = lib_arn.sqs_queue(s.ctx.partition, s.ctx.region, s.account, queue)
  local i = #p + 1
  p[i] = plan.call("sqs", "CreateQueue", { QueueName = queue }, {
    before = { QueueName = json.null }, after = { QueueName = queue },
    undo = call("sqs", "DeleteQueue", { QueueUrl = plan.ref(i, "QueueUrl") }),
    read = call("sqs", "GetQueueUrl", { QueueName = queue }),
  })
  if as_plan then
    p[i + 1] = plan.call("lambda", "CreateEventSourceMapping", { FunctionName = s.name,
      EventSourceArn = queue_arn, ScalingConfig = { MaximumConcurrency = n } }, {
      before = { EventSourceArn = json.null }, after = { EventSourceArn = queue_arn },
      undo = call("lambda", "DeleteEventSourceMapping", { UUID = plan.ref(i + 1, "UUID") }),
      read = call("lambda", "ListEventSourceMappings",
        { FunctionName = s.name, EventSourceArn = queue_arn }),
    })
  else
    lines[#lines + 1] = ("aws lambda create-event-source-mapping --function-name %s "
      .. "--event-source-arn %s --scaling-config MaximumConcurrency=%d"):format(s.name,
      queue_arn, n)
  end
  return ("1) put an SQS queue in front (producers send to it instead of invoking) and let "
    .. "Lambda poll it at MaximumConcurrency %d"):format(n)
end

-- The provisioned concurrency configured on `qualifier` now, or nil.
local function provisioned_on(s, qualifier)
  for _, pc in ipairs(s.provisioned) do
    if (pc.FunctionArn or ""):sub(-#qualifier - 1) == ":" .. qualifier then
      return pc.RequestedProvisionedConcurrentExecutions
    end
  end
  return nil
end

-- 2) provisioned concurrency on the alias, or on a new alias of a newly published version.
local function warm_environments(s, p, n)
  local alias = s.alias
  if not alias then
    p[#p + 1] = actions.publish_version(s.name)
    p[#p + 1] = actions.create_alias(s.name, NEW_ALIAS, plan.ref(#p, "Version"))
  end
  p[#p + 1] = actions.put_provisioned_concurrency(s.name, alias or NEW_ALIAS, n,
    alias and provisioned_on(s, alias) or nil)
  return ("2) keep %d environments warm with provisioned concurrency on %s (the observed peak "
    .. "of %s, within the unreserved pool)"):format(n, alias or "a new alias", fmt(s.peak or 0))
end

-- 3) a higher account limit (no undo: a granted increase is not given back by a call).
local function limit_increase(s, p, quota)
  p[#p + 1] = plan.call("service-quotas", "RequestServiceQuotaIncrease",
    { ServiceCode = "lambda", QuotaCode = QUOTA_CODE, DesiredValue = quota }, {
      before = { DesiredValue = s.account_limit or json.null }, after = { DesiredValue = quota },
      read = call("service-quotas", "GetServiceQuota",
        { ServiceCode = "lambda", QuotaCode = QUOTA_CODE }),
    })
  return ("3) ask for a concurrency limit of %s (Service Quotas; allow 48-72 hours)")
    :format(fmt(quota))
end

--- The guide's fixes for these sizes: { plan, commands (text the model cannot plan
--- yet) }, explanation.
function M.guide_fix(s, sizes)
  local p, lines, parts = {}, {}, {}
  parts[#parts + 1] = sqs_buffer(s, p, lines, sizes)
  if sizes.raise then
    p[#p + 1] = actions.put_concurrency(s.name, s.reserved, sizes.raise)
  end
  if sizes.pc_n and sizes.pc_n > 0 then parts[#parts + 1] = warm_environments(s, p, sizes.pc_n) end
  if sizes.quota then parts[#parts + 1] = limit_increase(s, p, sizes.quota) end
  return { plan = #p > 0 and p or nil, commands = lines },
    "alternatives in the field guide's order of preference (the plan runs them in that "
    .. "order; stop when one suffices): " .. table.concat(parts, "; ")
end

--- A zero reservation removed, then a real one of n (the finding says to stop after the
--- first to share the unreserved pool instead).
function M.reinstate(s, n)
  return { actions.delete_concurrency(s.name, 0), actions.put_concurrency(s.name, nil, n) }
end

return M
