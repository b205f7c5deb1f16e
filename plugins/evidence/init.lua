--- evidence: the catalogue of built-in evidence a step may name in `needs`.
--
-- One line per name: what it is, which module reads it and the AWS operations it calls
-- (`runbook show STEP` lists them). docs/writing-steps.md lists the same
-- names with their shapes; `ev[name]` in a step's run is the value (or { absent = "..." }).
local apigw = require("evidence.apigw")
local evidence = require("triage.evidence")
local fn = require("evidence.fn")
local invocations = require("evidence.invocations")
local logs = require("evidence.logs")
local metrics = require("evidence.metrics")
local network = require("evidence.network")
local role = require("evidence.role")
local traces = require("evidence.traces")
local trail = require("evidence.trail")

local provide = evidence.provide

provide("config", "GetFunctionConfiguration of the function", fn.config,
  { "lambda GetFunctionConfiguration" })
provide("policy", "the function's resource-based policy, parsed", fn.policy, { "lambda GetPolicy" })
provide("url", "the function URL configuration", fn.url, { "lambda GetFunctionUrlConfig" })
provide("concurrency", "reserved concurrency: { reserved = n | nil }", fn.concurrency,
  { "lambda GetFunctionConcurrency" })
provide("account", "GetAccountSettings: the account's concurrency limits", fn.account,
  { "lambda GetAccountSettings" })
provide("provisioned", "provisioned concurrency configurations (a list)", fn.provisioned,
  { "lambda ListProvisionedConcurrencyConfigs" })
provide("aliases", "the function's aliases (a list)", fn.aliases, { "lambda ListAliases" })
provide("mappings", "event source mappings that invoke the function (a list)", fn.mappings,
  { "lambda ListEventSourceMappings" })
provide("function", "GetFunction: code location and size, tags", fn.get_function,
  { "lambda GetFunction" })
provide("versions", "the function's published versions (a list, capped)", trail.versions,
  { "lambda ListVersionsByFunction" })
provide("trail", "trail or trail:LOOKBACK (24h default): CloudTrail events on the function "
  .. "and its execution role over the window plus the lookback", trail.provider,
  { "cloudtrail LookupEvents" })
provide("invoke_config", "the asynchronous invocation config (retries, maximum event age, "
  .. "destinations); absent: none", invocations.invoke_config,
  { "lambda GetFunctionEventInvokeConfig" })
provide("queue", "queue:SQS_QUEUE_ARN, the queue's attributes (GetQueueAttributes All), "
  .. "RedrivePolicy decoded; absent: no such queue", invocations.queue,
  { "sqs GetQueueAttributes" })
provide("sqs_metric", "sqs_metric:NAME:STATISTIC:QUEUE_NAME, the queue's AWS/SQS series",
  invocations.sqs_metric, { "cloudwatch GetMetricStatistics" })
provide("traces", "the function's X-Ray traces in the window, slowest and failed first, "
  .. "parsed: where the time went (absent without active tracing)", traces.provider,
  { "xray GetTraceSummaries", "xray BatchGetTraces" })
provide("role", "the execution role and its policies (managed, inline, boundary)", role.provider,
  { "iam GetRole", "iam ListAttachedRolePolicies", "iam ListRolePolicies", "iam GetPolicy",
    "iam GetPolicyVersion", "iam GetRolePolicy" })
provide("network", "the VPC around the function: subnets, route tables, NAT gateways, "
  .. "endpoints, security groups, Lambda ENIs (absent without a VPC)", network.provider,
  { "ec2 DescribeSubnets", "ec2 DescribeRouteTables", "ec2 DescribeNatGateways",
    "ec2 DescribeVpcEndpoints", "ec2 DescribeSecurityGroups", "ec2 DescribeNetworkInterfaces",
    "ec2 DescribeVpcs" })

local function no_log_group(err)
  return type(err) == "table" and err.code == "ResourceNotFoundException"
end

-- Both read the log group the configuration names (LoggingConfig.LogGroup, else
-- /aws/lambda/NAME), in text or JSON format (evidence.logs).
provide("events", "every log event of the function in the window, sorted by time",
  function(ctx, ev)
    local events, err = logs.events(ctx, ev.config)
    if events then return events end
    if no_log_group(err) then
      return evidence.absent("no log group " .. logs.group(ctx, ev.config))
    end
    return nil, err
  end, { "logs FilterLogEvents" })

provide("reports", "the window's REPORT lines, parsed (durations, memory, init)",
  function(ctx, ev)
    local reports, err = logs.reports(ctx, ev.config)
    if reports then return reports end
    if no_log_group(err) then
      return evidence.absent("no log group " .. logs.group(ctx, ev.config))
    end
    return nil, err
  end, { "logs FilterLogEvents" })

-- "NAME:STATISTIC" -> name, statistic | nil, usage error naming the family.
local function metric_param(family, param)
  local name, statistic = (param or ""):match("^(%w+):(%w+)$")
  if name then return name, statistic end
  return nil, { code = "UnknownEvidence", kind = "usage",
                message = ("%s evidence is %s:NAME:STATISTIC, not '%s:%s'")
                  :format(family, family, family, tostring(param)) }
end

-- "metric:Duration:p99" -> the function's AWS/Lambda Duration p99 series over the window.
provide("metric", "metric:NAME:STATISTIC, the function's AWS/Lambda series",
  function(ctx, _, param)
    local name, statistic = metric_param("metric", param)
    if not name then return nil, statistic end
    return metrics.series(ctx, name, statistic)
  end, { "cloudwatch GetMetricStatistics" })

-- "account_metric:ConcurrentExecutions:Maximum" -> the account-wide series (no dimensions).
provide("account_metric", "account_metric:NAME:STATISTIC, AWS/Lambda with no dimensions",
  function(ctx, _, param)
    local name, statistic = metric_param("account_metric", param)
    if not name then return nil, statistic end
    return metrics.series(ctx, name, statistic, { dimensions = {} })
  end, { "cloudwatch GetMetricStatistics" })

provide("apis", "the API Gateway REST and HTTP APIs that integrate the function",
  function(ctx) return apigw.integrations(ctx) end,
  { "apigateway GetRestApis", "apigateway GetResources", "apigateway GetStages",
    "apigatewayv2 GetApis", "apigatewayv2 GetIntegrations", "apigatewayv2 GetRoutes",
    "apigatewayv2 GetStages" })

-- "execution_log:API_ID/STAGE FILTER" -> the REST stage's execution-log events in the window
-- that match the CloudWatch Logs filter pattern FILTER (the rest of the name, spaces kept).
provide("execution_log", "execution_log:API_ID/STAGE FILTER, a REST API stage's execution log",
  function(ctx, _, param)
    local api_id, stage, filter = (param or ""):match("^([^/%s]+)/(%S+)%s+(.+)$")
    if not api_id then
      return nil, { code = "UnknownEvidence", kind = "usage",
                    message = ("execution_log evidence is execution_log:API_ID/STAGE FILTER, "
                      .. "not 'execution_log:%s'"):format(tostring(param)) }
    end
    local events, err = apigw.execution_log_events(ctx, api_id, stage, filter)
    if events == false then
      return evidence.absent("no log group " .. apigw.execution_log_group(api_id, stage))
    end
    return events, err
  end, { "logs FilterLogEvents" })

return evidence
