--- steps.throttle.plans: the throttle step's fixes as plans (fix.plan).
--
-- The field guide's "Diagnosing Lambda Throttling" names several remedies: an SQS queue in
-- front with capped pollers (ScalingConfig.MaximumConcurrency), provisioned concurrency, a
-- higher reservation, a higher account limit (Service Quotas). They are alternatives, and a
-- plan is a sequence applied in order, so each finding's plan is the one remedy that fits
-- its cause, and the others are described in its explanation (alternatives()):
--   reservation 0          DeleteFunctionConcurrency (shares the unreserved pool again)
--   at its reservation     PutFunctionConcurrency, never past what the account can reserve
--                          (AWS keeps 100 executions unreserved: current + unreserved - 100)
--   at the account's pool  RequestServiceQuotaIncrease (manual: a request no call takes back)
--   bursts below a limit   provisioned concurrency on an alias (manual: it is billed by the
--                          hour, and a new alias only helps once callers invoke it)
--
-- The SQS buffer is always words: a new queue does nothing until the producers send to it,
-- and the embedded lambda model (botocore 1.29.27) predates ScalingConfig, so capping the
-- pollers of an existing mapping cannot be a validated plan step yet. Its queue ARN is
-- built with lib.arn.sqs_queue from the run's partition, region and account.
-- publish-version + create-alias pass the published Version by reference (plan.ref).
local actions = require("fix.actions")
local json = require("runbook.json")
local lib_arn = require("lib.arn")
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

--- A verify entry: the provisioned concurrency requested on the alias is at least n.
function M.provisioned_check(s, n)
  local qualifier = s.alias or NEW_ALIAS
  return { what = ("provisioned concurrency on %s >= %d"):format(qualifier, n),
           read = call("lambda", "GetProvisionedConcurrencyConfig",
             { FunctionName = s.name, Qualifier = qualifier }),
           path = "RequestedProvisionedConcurrentExecutions", op = ">=", value = n }
end

-- Lambda keeps at least this many executions unreserved in every account.
M.MIN_UNRESERVED = 100

--- The most the function may reserve: its reservation plus the unreserved pool, less the
--- 100 executions AWS keeps unreserved; nil when the account settings were not read.
function M.capacity(s)
  if not s.unreserved then return nil end
  return (s.reserved or 0) + s.unreserved - M.MIN_UNRESERVED
end

-- The SQS buffer, in words: cap the pollers of existing SQS mappings, or put a queue in
-- front.
local function sqs_words(s, n)
  if #s.sqs > 0 then
    local ids = {}
    for i, m in ipairs(s.sqs) do ids[i] = m.UUID end
    return ("cap the SQS pollers at ScalingConfig.MaximumConcurrency %d (event source mapping%s "
      .. "%s) so bursts wait in the queue instead of being throttled"):format(n,
      #ids > 1 and "s" or "", table.concat(ids, ", "))
  end
  local queue = s.name .. "-buffer"
  return ("put an SQS queue in front (%s: producers send to it instead of invoking) and let "
    .. "Lambda poll it at MaximumConcurrency %d"):format(
    lib_arn.sqs_queue(s.ctx.partition, s.ctx.region, s.account, queue), n)
end

--- The guide's remedies other than the planned one (`except`: "sqs", "warm", "raise",
--- "quota"), in its order of preference, as one sentence: "alternatives: 1) ...; 2) ...".
function M.alternatives(s, sizes, except)
  local parts = {}
  local function add(kind, words)
    if kind ~= except and words then parts[#parts + 1] = words end
  end
  add("sqs", sqs_words(s, sizes.sqs_max))
  if sizes.pc_n and sizes.pc_n > 0 then
    add("warm", ("keep %d environments warm with provisioned concurrency on %s (billed by the "
      .. "hour)"):format(sizes.pc_n, s.alias or "a new alias"))
  end
  if sizes.raise then add("raise", ("raise the reservation to %d"):format(sizes.raise)) end
  if sizes.quota then
    add("quota", ("ask for a concurrency limit of %s (Service Quotas, quota %s; allow 48-72 "
      .. "hours)"):format(fmt(sizes.quota), QUOTA_CODE))
  end
  if #parts == 0 then return nil end
  for i, p in ipairs(parts) do parts[i] = ("%d) %s"):format(i, p) end
  return "alternatives in the field guide's order of preference: " .. table.concat(parts, "; ")
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

--- Provisioned concurrency n on the alias, or on a new alias "live" of a newly published
--- version: the plan.
function M.warm(s, n)
  local p, alias = {}, s.alias
  if not alias then
    p[#p + 1] = actions.publish_version(s.name)
    p[#p + 1] = actions.create_alias(s.name, NEW_ALIAS, plan.ref(#p, "Version"))
  end
  p[#p + 1] = actions.put_provisioned_concurrency(s.name, alias or NEW_ALIAS, n,
    alias and provisioned_on(s, alias) or nil)
  return p
end

--- A higher account limit: the plan (no undo: a granted increase is not given back by a
--- call).
function M.quota(s, quota)
  return { plan.call("service-quotas", "RequestServiceQuotaIncrease",
    { ServiceCode = "lambda", QuotaCode = QUOTA_CODE, DesiredValue = quota }, {
      before = { DesiredValue = s.account_limit or json.null }, after = { DesiredValue = quota },
      read = call("service-quotas", "GetServiceQuota",
        { ServiceCode = "lambda", QuotaCode = QUOTA_CODE }),
    }) }
end

--- The reservation raised from the current one to n: the plan.
function M.raise(s, n)
  return { actions.put_concurrency(s.name, s.reserved, n) }
end

--- The zero reservation removed (the function shares the unreserved pool again): the plan.
function M.remove_zero(s)
  return { actions.delete_concurrency(s.name, 0) }
end

return M
