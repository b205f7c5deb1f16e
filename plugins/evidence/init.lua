--- evidence: the catalogue of built-in evidence a step may name in `needs`.
--
-- One line per name: what it is and which module reads it. docs/steps.md lists the same
-- names with their shapes; `ev[name]` in a step's run is the value (or { absent = "..." }).
local apigw = require("evidence.apigw")
local evidence = require("triage.evidence")
local fn = require("evidence.fn")
local logs = require("evidence.logs")
local metrics = require("evidence.metrics")
local network = require("evidence.network")
local role = require("evidence.role")

local provide = evidence.provide

provide("config", "GetFunctionConfiguration of the function", fn.config)
provide("policy", "the function's resource-based policy, parsed", fn.policy)
provide("url", "the function URL configuration", fn.url)
provide("concurrency", "reserved concurrency: { reserved = n | nil }", fn.concurrency)
provide("account", "GetAccountSettings: the account's concurrency limits", fn.account)
provide("provisioned", "provisioned concurrency configurations (a list)", fn.provisioned)
provide("aliases", "the function's aliases (a list)", fn.aliases)
provide("mappings", "event source mappings that invoke the function (a list)", fn.mappings)
provide("function", "GetFunction: code location and size, tags", fn.get_function)
provide("role", "the execution role and its policies (managed, inline, boundary)", role.provider)
provide("network", "the VPC around the function: subnets, route tables, NAT gateways, "
  .. "endpoints, security groups, Lambda ENIs (absent without a VPC)", network.provider)

local function no_log_group(err)
  return type(err) == "table" and err.code == "ResourceNotFoundException"
end

provide("events", "every log event of the function in the window, sorted by time",
  function(ctx)
    local events, err = logs.events(ctx)
    if events then return events end
    if no_log_group(err) then return evidence.absent("no log group " .. logs.group(ctx)) end
    return nil, err
  end)

provide("reports", "the window's REPORT lines, parsed (durations, memory, init)",
  function(ctx)
    local reports, err = logs.reports(ctx)
    if reports then return reports end
    if no_log_group(err) then return evidence.absent("no log group " .. logs.group(ctx)) end
    return nil, err
  end)

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
  end)

-- "account_metric:ConcurrentExecutions:Maximum" -> the account-wide series (no dimensions).
provide("account_metric", "account_metric:NAME:STATISTIC, AWS/Lambda with no dimensions",
  function(ctx, _, param)
    local name, statistic = metric_param("account_metric", param)
    if not name then return nil, statistic end
    return metrics.series(ctx, name, statistic, { dimensions = {} })
  end)

provide("apis", "the API Gateway REST and HTTP APIs that integrate the function",
  function(ctx) return apigw.integrations(ctx) end)

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
  end)

return evidence
