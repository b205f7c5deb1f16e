--- Tests of lib.iam_actions: operations to IAM actions (prefixes, API Gateway methods and
--- resource ARNs, calls that need no permission), policies with sorted actions and the
--- steps that need each, and coverage checks.
local t = require("testlib")
local iam_actions = require("lib.iam_actions")

-- A model stand-in: the API Gateway methods and URIs of the official models.
local MODEL = {
  ["apigateway GetRestApis"] = { method = "GET", uri = "/restapis" },
  ["apigateway GetStages"] = { method = "GET", uri = "/restapis/{restapi_id}/stages" },
  ["apigateway UpdateStage"] = { method = "PATCH",
                                 uri = "/restapis/{restapi_id}/stages/{stage_name}" },
  ["apigatewayv2 GetApis"] = { method = "GET", uri = "/v2/apis" },
  ["apigatewayv2 GetRoutes"] = { method = "GET", uri = "/v2/apis/{apiId}/routes" },
  ["apigatewayv2 CreateRoute"] = { method = "POST", uri = "/v2/apis/{apiId}/routes" },
  ["apigateway GetResources"] = { method = "GET",
                                  uri = "/restapis/{restapi_id}/resources?embed=methods" },
}
local function lookup(service, operation) return MODEL[service .. " " .. operation] end

t.test("most_operations_are_prefix_colon_operation", function()
  t.eq(iam_actions.action("lambda", "GetFunctionConfiguration"),
    "lambda:GetFunctionConfiguration")
  t.eq(iam_actions.action("iam", "ListAttachedRolePolicies"), "iam:ListAttachedRolePolicies")
  t.eq(iam_actions.action("logs", "FilterLogEvents"), "logs:FilterLogEvents")
  t.eq(iam_actions.action("ec2", "DescribeSubnets"), "ec2:DescribeSubnets")
  t.eq(iam_actions.action("sqs", "CreateQueue"), "sqs:CreateQueue")
  local _, resource = iam_actions.action("lambda", "GetPolicy")
  t.eq(resource, "*")
end)

t.test("service_names_that_differ_from_their_iam_prefix", function()
  t.eq(iam_actions.action("monitoring", "GetMetricStatistics"), "cloudwatch:GetMetricStatistics")
  t.eq(iam_actions.action("cloudwatch", "GetMetricStatistics"), "cloudwatch:GetMetricStatistics")
  t.eq(iam_actions.action("service-quotas", "RequestServiceQuotaIncrease"),
    "servicequotas:RequestServiceQuotaIncrease")
end)

t.test("api_gateway_resources_follow_the_partition", function()
  t.eq(select(2, iam_actions.action("apigateway", "GetRestApis", lookup, "aws-cn")),
    "arn:aws-cn:apigateway:*::/restapis")
  local policy = iam_actions.policy({ { op = "apigatewayv2 GetRoutes", by = { "x" } } }, lookup,
    "aws-us-gov")
  t.eq(policy.Statement[1].Resource, "arn:aws-us-gov:apigateway:*::/apis/*/routes")
  t.ok(iam_actions.covers(policy, "apigatewayv2", "GetRoutes", lookup, "aws-us-gov"))
  t.ok(not iam_actions.covers(policy, "apigatewayv2", "GetRoutes", lookup, "aws"))
end)

t.test("api_gateway_is_the_http_method_on_the_request_path", function()
  local action, resource = iam_actions.action("apigateway", "GetRestApis", lookup)
  t.eq(action, "apigateway:GET")
  t.eq(resource, "arn:aws:apigateway:*::/restapis")
  action, resource = iam_actions.action("apigateway", "UpdateStage", lookup)
  t.eq(action, "apigateway:PATCH")
  t.eq(resource, "arn:aws:apigateway:*::/restapis/*/stages/*")
  -- an HTTP API's /v2/apis path is /apis in its ARN
  action, resource = iam_actions.action("apigatewayv2", "GetRoutes", lookup)
  t.eq(action, "apigateway:GET")
  t.eq(resource, "arn:aws:apigateway:*::/apis/*/routes")
  t.eq(iam_actions.action("apigatewayv2", "CreateRoute", lookup), "apigateway:POST")
  -- a query string in the model's URI is not part of the resource
  t.eq(select(2, iam_actions.action("apigateway", "GetResources", lookup)),
    "arn:aws:apigateway:*::/restapis/*/resources")
end)

t.test("api_gateway_methods_come_from_the_real_model", function()
  t.eq(iam_actions.action("apigateway", "UpdateStage"), "apigateway:PATCH")
  t.eq(iam_actions.action("apigateway", "PutIntegration"), "apigateway:PUT")
  t.eq(iam_actions.action("apigateway", "CreateDeployment"), "apigateway:POST")
  t.eq(iam_actions.action("apigatewayv2", "DeleteRoute"), "apigateway:DELETE")
  local _, resource = iam_actions.action("apigatewayv2", "GetIntegrations")
  t.eq(resource, "arn:aws:apigateway:*::/apis/*/integrations")
end)

t.test("get_caller_identity_needs_no_permission", function()
  local action, why = iam_actions.action("sts", "GetCallerIdentity")
  t.eq(action, nil)
  t.contains(why, "needs no permission")
  t.eq(iam_actions.action("sts", "AssumeRole"), "sts:AssumeRole")
end)

t.test("split_takes_spaces_or_a_colon", function()
  t.eq({ iam_actions.split("lambda GetPolicy") }, { "lambda", "GetPolicy" })
  t.eq({ iam_actions.split("service-quotas:GetServiceQuota") },
    { "service-quotas", "GetServiceQuota" })
  t.eq(iam_actions.split("GetPolicy"), nil)
  t.eq(iam_actions.split(nil), nil)
end)

t.test("policy_sorts_actions_into_read_fix_and_api_gateway_statements", function()
  local policy, who, skipped = iam_actions.policy({
    { op = "logs FilterLogEvents", by = { "timeout" } },
    { op = "lambda GetFunctionConfiguration", by = { "timeout" } },
    { op = "lambda GetFunctionConfiguration", by = { "config" } },
    { op = "sts GetCallerIdentity", by = { "config" } },
    { op = "lambda UpdateFunctionConfiguration", by = { "timeout" }, write = true },
    { op = "apigateway GetStages", by = { "forbidden" } },
    { op = "apigatewayv2 GetApis", by = { "forbidden" } },
    { op = "apigateway UpdateStage", by = { "bad_gateway" }, write = true },
  }, lookup)
  t.eq(policy.Version, "2012-10-17")
  local sids = {}
  for i, s in ipairs(policy.Statement) do
    sids[i] = s.Sid
    t.eq(s.Effect, "Allow")
  end
  t.eq(sids, { "Read", "Fix", "ApiGatewayGET", "ApiGatewayPATCH" })
  t.eq(policy.Statement[1].Action, { "lambda:GetFunctionConfiguration", "logs:FilterLogEvents" })
  t.eq(policy.Statement[1].Resource, "*")
  t.eq(policy.Statement[2].Action, { "lambda:UpdateFunctionConfiguration" })
  t.eq(policy.Statement[3].Action, { "apigateway:GET" })
  t.eq(policy.Statement[3].Resource, { "arn:aws:apigateway:*::/apis",
                                        "arn:aws:apigateway:*::/restapis/*/stages" })
  t.eq(policy.Statement[4].Resource, "arn:aws:apigateway:*::/restapis/*/stages/*")
  t.eq(who["lambda:GetFunctionConfiguration"], { "config", "timeout" })
  t.eq(who["apigateway:GET"], { "forbidden" })
  t.eq(#skipped, 1)
  t.eq(skipped[1].op, "sts GetCallerIdentity")
  t.eq(skipped[1].by, { "config" })
end)

t.test("policy_rejects_a_name_that_is_not_an_operation", function()
  t.raises(function() iam_actions.policy({ { op = "GetPolicy" } }) end, "not an operation")
end)

t.test("covers_matches_action_and_resource", function()
  local policy = iam_actions.policy({
    { op = "lambda GetPolicy" }, { op = "apigateway GetStages" },
  }, lookup)
  t.ok(iam_actions.covers(policy, "lambda", "GetPolicy", lookup))
  t.ok(not iam_actions.covers(policy, "lambda", "GetAlias", lookup))
  t.ok(iam_actions.covers(policy, "apigateway", "GetStages", lookup))
  -- apigateway:GET is granted, but not on /restapis itself
  t.ok(not iam_actions.covers(policy, "apigateway", "GetRestApis", lookup))
  t.ok(iam_actions.covers(policy, "sts", "GetCallerIdentity", lookup), "needs nothing")
  t.ok(iam_actions.covers({ Statement = { { Effect = "Allow", Action = "lambda:*",
                                            Resource = "*" } } }, "lambda", "GetAlias"))
end)

t.test("every_fix_companion_is_a_modelled_operation", function()
  local core = require("runbook.core")
  for write, extras in pairs(iam_actions.FIX_COMPANIONS) do
    local service, operation = iam_actions.split(write)
    t.ok(core.operation(service, operation), write)
    t.eq(core.operation(service, operation).write, true, write .. " is a write")
    for _, op in ipairs(extras) do
      service, operation = iam_actions.split(op)
      t.ok(core.operation(service, operation), op .. " (of " .. write .. ")")
    end
  end
end)

return t.run()
