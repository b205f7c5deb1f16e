--- lib.iam_actions: the IAM action (and, where the service scopes it, the resource) an
--- AWS operation needs, and the least-privilege policy document for a set of operations.
--
--   local iam_actions = require("lib.iam_actions")
--   iam_actions.action("monitoring", "GetMetricStatistics") --> "cloudwatch:GetMetricStatistics"
--   iam_actions.action("apigatewayv2", "GetApis")
--     --> "apigateway:GET", "arn:aws:apigateway:*::/apis"
--   iam_actions.action("sts", "GetCallerIdentity")           --> nil (no permission needed)
--   iam_actions.policy({ { op = "lambda GetPolicy", by = { "forbidden" } } })
--     --> { Version = "2012-10-17", Statement = {...} }, { ["lambda:GetPolicy"] = {...} }
--
-- The one mapper from "service Operation" to IAM: ctx:error_from names the permission a
-- denied read lacked with it (triage.context's iam_action), and `runbook iam-policy`
-- (runbooks/iam-policy.lua) prints the policy a triage needs.
-- Operations use runbook.aws's service names (the AWS CLI's: cloudwatch or monitoring,
-- service-quotas). Most actions are `<prefix>:<Operation>` (the Service Authorization
-- Reference's prefix: cloudwatch, servicequotas); API Gateway's are its HTTP method
-- (apigateway:GET, PATCH, POST, PUT, DELETE, for both the REST and the HTTP API) on the
-- resource the request's path names, which is the model's URI with every {parameter} a
-- wildcard (an HTTP API's /v2/apis/... is /apis/... in the ARN). The method comes from the
-- official model (runbook.core's operation()) unless the caller passes a lookup, which
-- keeps this module testable with no model. Everything else is Resource "*": the steps
-- read resources they only discover at run time (the role, its policies, the subnets of
-- the function's VPC), and most of the read actions (ec2 Describe*, GetAccountSettings,
-- GetMetricStatistics, ListEventSourceMappings) support no resource-level scoping at all.
local arn = require("lib.arn")
local sorted = require("lib.text").sorted_keys

local M = {}

--- runbook.aws service name -> IAM service prefix, where they differ.
M.PREFIX = { monitoring = "cloudwatch", apigatewayv2 = "apigateway",
             ["service-quotas"] = "servicequotas" }

--- Operations that need no IAM permission: "service Operation" -> why.
M.NO_PERMISSION = {
  ["sts GetCallerIdentity"] = "sts:GetCallerIdentity needs no permission: every identity "
    .. "may call it, and an explicit deny does not stop it",
}

--- What applying a fix plan's write calls besides it: the read that checks the plan is
--- not stale and its fix's verify read (fix.actions' `read`, steps/*/fixes and plans),
--- and the call that undoes it (`undo`; a write that undoes itself, such as
--- UpdateFunctionConfiguration, lists none). "service Operation" -> { "service Operation" }.
--- Kept beside the builders' read/undo by tests/cli/test_iam_policy_cli.py, which checks
--- that every operation of every plan the test worlds produce is allowed.
M.FIX_COMPANIONS = {
  ["lambda UpdateFunctionConfiguration"] = { "lambda GetFunctionConfiguration" },
  ["lambda PutFunctionConcurrency"] = { "lambda GetFunctionConcurrency",
                                        "lambda DeleteFunctionConcurrency" },
  ["lambda DeleteFunctionConcurrency"] = { "lambda GetFunctionConcurrency",
                                           "lambda PutFunctionConcurrency" },
  ["lambda PutProvisionedConcurrencyConfig"] = { "lambda GetProvisionedConcurrencyConfig",
                                                 "lambda DeleteProvisionedConcurrencyConfig" },
  ["lambda CreateAlias"] = { "lambda GetAlias", "lambda DeleteAlias" },
  ["lambda UpdateAlias"] = { "lambda GetAlias" },
  ["lambda AddPermission"] = { "lambda GetPolicy", "lambda RemovePermission" },
  ["lambda RemovePermission"] = { "lambda GetPolicy", "lambda AddPermission" },
  ["lambda CreateEventSourceMapping"] = { "lambda ListEventSourceMappings",
                                          "lambda DeleteEventSourceMapping" },
  ["lambda UpdateEventSourceMapping"] = { "lambda GetEventSourceMapping" },
  ["iam PutRolePolicy"] = { "iam GetRolePolicy", "iam DeleteRolePolicy" },
  ["iam AttachRolePolicy"] = { "iam ListAttachedRolePolicies", "iam DetachRolePolicy" },
  ["apigateway UpdateStage"] = { "apigateway GetStage" },
  ["sqs CreateQueue"] = { "sqs GetQueueUrl", "sqs DeleteQueue" },
  ["service-quotas RequestServiceQuotaIncrease"] = { "service-quotas GetServiceQuota" },
  ["ec2 CreateSubnet"] = { "ec2 DeleteSubnet" },
  ["ec2 AssociateVpcCidrBlock"] = { "ec2 DescribeVpcs", "ec2 DisassociateVpcCidrBlock" },
  ["ec2 AssociateRouteTable"] = { "ec2 DescribeRouteTables", "ec2 DisassociateRouteTable" },
  ["ec2 CreateRoute"] = { "ec2 DescribeRouteTables", "ec2 DeleteRoute" },
  ["ec2 AllocateAddress"] = { "ec2 ReleaseAddress" },
  ["ec2 CreateNatGateway"] = { "ec2 DeleteNatGateway" },
  ["ec2 CreateVpcEndpoint"] = { "ec2 DeleteVpcEndpoints" },
  ["ec2 ModifyVpcEndpoint"] = { "ec2 DescribeVpcEndpoints" },
  ["ec2 AuthorizeSecurityGroupEgress"] = { "ec2 DescribeSecurityGroups",
                                           "ec2 RevokeSecurityGroupEgress" },
}

--- "lambda GetPolicy" or "lambda:GetPolicy" -> "lambda", "GetPolicy" | nil.
function M.split(name)
  if type(name) ~= "string" then return nil end
  local service, operation = name:match("^([%w-]+)[%s:]+(%u%w*)$")
  return service, operation
end

-- The model's { method, uri } of an operation, or nil (runbook.core's operation()).
local function model_info(service, operation)
  local ok, info = pcall(function()
    return require("runbook.core").operation(service, operation)
  end)
  return ok and type(info) == "table" and info or nil
end

-- API Gateway: the model's URI -> the resource ARN of the request in `partition` ("*" for
-- every {param}).
local function apigateway_resource(uri, partition)
  if type(uri) ~= "string" or uri == "" then return "*" end
  local path = uri:gsub("%?.*$", ""):gsub("{[^}]*}", "*"):gsub("^/v2/", "/")
  return arn.build{ partition = partition or "aws", service = "apigateway", region = "*",
                    account = "", resource = path }
end

--- The IAM action of one call, and the resource to grant it on: action, resource | nil,
--- why (an operation that needs no permission). `lookup(service, operation)` gives the
--- model's { method, uri } (default: runbook.core's operation()); `partition` (default
--- "aws") is the one resource ARNs are in.
function M.action(service, operation, lookup, partition)
  if type(service) ~= "string" or type(operation) ~= "string" then return nil, "no operation" end
  local why = M.NO_PERMISSION[service .. " " .. operation]
  if why then return nil, why end
  if service == "apigateway" or service == "apigatewayv2" then
    local info = (lookup or model_info)(service, operation)
    local method = type(info) == "table" and info.method
    if not method then
      -- no model at hand: the verb says it (Get -> GET, Update -> PATCH, ...)
      local verbs = { Get = "GET", Create = "POST", Put = "PUT", Update = "PATCH",
                      Delete = "DELETE", Import = "PUT", Flush = "DELETE", Reset = "DELETE" }
      method = verbs[operation:match("^(%u%l+)")] or "GET"
    end
    return "apigateway:" .. method:upper(),
      apigateway_resource(type(info) == "table" and info.uri or nil, partition)
  end
  return (M.PREFIX[service] or service) .. ":" .. operation, "*"
end

--- The policy for a list of needs, each { op = "service Operation", by = {ids...},
--- write = bool }: policy, who, skipped. `policy` is the IAM document: a "Read" statement
--- and, when any need is a write, a "Fix" statement, each with sorted actions on "*",
--- then one statement per API Gateway method with the resources it is called on. `who`
--- maps each action to the sorted names (step ids) that need it; `skipped` lists the
--- operations that need no permission, { op, why, by }. `partition` as for action().
function M.policy(needs, lookup, partition)
  local groups, who, skipped, seen_skip = {}, {}, {}, {}
  for _, need in ipairs(needs) do
    local service, operation = M.split(need.op)
    if not service then error(("not an operation '%s': write \"service Operation\"")
      :format(tostring(need.op)), 2) end
    local action, resource = M.action(service, operation, lookup, partition)
    if not action then
      if not seen_skip[need.op] then
        seen_skip[need.op] = { op = need.op, why = resource, by = {} }
        skipped[#skipped + 1] = seen_skip[need.op]
      end
      for _, id in ipairs(need.by or {}) do seen_skip[need.op].by[id] = true end
    else
      local sid
      if resource ~= "*" then
        sid = "ApiGateway" .. action:match(":(%u+)$")
      else
        sid = need.write and "Fix" or "Read"
      end
      local g = groups[sid] or { actions = {}, resources = {} }
      groups[sid] = g
      g.actions[action] = true
      g.resources[resource] = true
      who[action] = who[action] or {}
      for _, id in ipairs(need.by or {}) do who[action][id] = true end
    end
  end
  local statements = {}
  local order = { "Read", "Fix" }
  local extra = {}
  for sid in pairs(groups) do
    if sid ~= "Read" and sid ~= "Fix" then extra[#extra + 1] = sid end
  end
  table.sort(extra)
  for _, sid in ipairs(extra) do order[#order + 1] = sid end
  for _, sid in ipairs(order) do
    local g = groups[sid]
    if g then
      local resources = sorted(g.resources)
      statements[#statements + 1] = { Sid = sid, Effect = "Allow", Action = sorted(g.actions),
        Resource = #resources == 1 and resources[1] or resources }
    end
  end
  for action, ids in pairs(who) do who[action] = sorted(ids) end
  for _, s in ipairs(skipped) do s.by = sorted(s.by) end
  return { Version = "2012-10-17", Statement = statements }, who, skipped
end

--- Whether `policy` allows the call: an Allow statement with an action equal to the
--- call's (or a `prefix:*`), on "*" or on the call's own resource. For tests and checks.
function M.covers(policy, service, operation, lookup, partition)
  local action, resource = M.action(service, operation, lookup, partition)
  if not action then return true end
  local prefix = action:match("^([^:]+):")
  for _, s in ipairs(policy.Statement or {}) do
    local actions = type(s.Action) == "table" and s.Action or { s.Action }
    local resources = type(s.Resource) == "table" and s.Resource or { s.Resource }
    local has_action, has_resource = false, false
    for _, a in ipairs(actions) do
      if a == action or a == prefix .. ":*" or a == "*" then has_action = true end
    end
    for _, r in ipairs(resources) do
      if r == "*" or r == resource then has_resource = true end
    end
    if s.Effect == "Allow" and has_action and has_resource then return true end
  end
  return false
end

return M
