--- evidence.apigw: the API Gateway APIs in front of the function, found once per run.
--
-- The 403 and 502 diagnoses both start from "which APIs call this function, and how":
-- REST APIs (apigateway GetRestApis -> GetResources embed=methods, GetStages) and HTTP
-- APIs (apigatewayv2 GetApis -> GetIntegrations, GetRoutes, GetStages). An integration
-- belongs to the function when its URI names the function (by ARN, inside the Lambda
-- invocation URI, with or without a version or alias). The answer is shared between
-- steps through ctx:once, and the APIs are read concurrently.
--
--   local found = apigw.integrations(ctx)
--   for _, api in ipairs(found.rest) do ... api.methods[i].type == "AWS_PROXY" ... end
--   for _, api in ipairs(found.http) do ... api.integrations[i].payload_format_version ... end
local arn = require("lib.arn")
local runbook = require("runbook")
local time = require("lib.time")

local M = {}

--- The function name and qualifier an integration URI invokes, or nil: accepts
--- "arn:aws:lambda:R:A:function:NAME[:QUAL]" and the API Gateway form
--- "arn:aws:apigateway:R:lambda:path/2015-03-31/functions/<that ARN>/invocations".
function M.uri_target(uri)
  if type(uri) ~= "string" then return nil end
  local fn_arn = uri:match("functions/(arn:[^/]+)/invocations") or uri
  local region, account, rest = fn_arn:match("^arn:[%w%-]+:lambda:([%w%-]+):(%d+):function:(.+)$")
  if not rest then return nil end
  local name, qualifier = rest:match("^([^:]+):(.+)$")
  -- "${stageVariables.alias}": the qualifier is only known per stage
  if qualifier and qualifier:find("${", 1, true) then qualifier = nil end
  return { name = name or rest, qualifier = qualifier, region = region, account = account,
           arn = fn_arn }
end

local function targets_function(ctx, uri)
  local t = M.uri_target(uri)
  if not t or t.name ~= ctx.function_name then return nil end
  if ctx.qualifier and t.qualifier and t.qualifier ~= ctx.qualifier then return nil end
  return t
end

--- "GET /orders/{id}" -> "GET", "orders/{id}"; "$default" -> nil, nil.
function M.route_parts(route_key)
  local method, path = (route_key or ""):match("^(%S+)%s+/(.*)$")
  return method, path
end

local function rest_api(ctx, api)
  local aws = ctx.aws
  local resources, err = aws.collect("apigateway", "GetResources",
    { restApiId = api.id, embed = { "methods" } })
  if not resources then return nil, err end
  local methods = {}
  for _, res in ipairs(resources) do
    for verb, m in pairs(res.resourceMethods or {}) do
      local integ = m.methodIntegration
      local target = integ and targets_function(ctx, integ.uri)
      if target then
        methods[#methods + 1] = {
          resource_id = res.id, path = res.path or "/", method = verb,
          type = integ.type, uri = integ.uri, qualifier = target.qualifier,
          timeout_ms = integ.timeoutInMillis, api_key_required = m.apiKeyRequired,
          authorization_type = m.authorizationType, authorizer_id = m.authorizerId,
        }
      end
    end
  end
  if #methods == 0 then return false end
  table.sort(methods, function(a, b)
    if a.path ~= b.path then return a.path < b.path end
    return a.method < b.method
  end)
  local stages, serr = aws.apigateway.GetStages{ restApiId = api.id }
  local out = { kind = "rest", id = api.id, name = api.name, methods = methods, stages = {},
                stage_err = not stages and serr or nil }
  for _, s in ipairs(stages and stages.item or {}) do
    local all = (s.methodSettings or {})["*/*"] or {}
    out.stages[#out.stages + 1] = { name = s.stageName, logging_level = all.loggingLevel or "OFF",
                                    deployment_id = s.deploymentId }
  end
  table.sort(out.stages, function(a, b) return a.name < b.name end)
  return out
end

local function http_api(ctx, api)
  local aws = ctx.aws
  local integrations, err = aws.collect("apigatewayv2", "GetIntegrations", { ApiId = api.ApiId })
  if not integrations then return nil, err end
  local mine, by_id = {}, {}
  for _, i in ipairs(integrations) do
    local target = targets_function(ctx, i.IntegrationUri)
    if target then
      local entry = {
        id = i.IntegrationId, type = i.IntegrationType, uri = i.IntegrationUri,
        payload_format_version = i.PayloadFormatVersion or "2.0", qualifier = target.qualifier,
        timeout_ms = i.TimeoutInMillis, routes = {},
      }
      mine[#mine + 1] = entry
      by_id[i.IntegrationId] = entry
    end
  end
  if #mine == 0 then return false end
  local routes, stages = aws.collect("apigatewayv2", "GetRoutes", { ApiId = api.ApiId }),
    aws.collect("apigatewayv2", "GetStages", { ApiId = api.ApiId })
  for _, r in ipairs(routes or {}) do
    local entry = by_id[(r.Target or ""):match("^integrations/(.+)$") or ""]
    if entry then
      local method, path = M.route_parts(r.RouteKey)
      entry.routes[#entry.routes + 1] = { id = r.RouteId, key = r.RouteKey, method = method,
        path = path, authorization_type = r.AuthorizationType }
    end
  end
  local out = { kind = "http", id = api.ApiId, name = api.Name, endpoint = api.ApiEndpoint,
                protocol = api.ProtocolType, integrations = mine, stages = {} }
  for _, s in ipairs(stages or {}) do
    out.stages[#out.stages + 1] = { name = s.StageName, auto_deploy = s.AutoDeploy }
  end
  table.sort(out.stages, function(a, b) return a.name < b.name end)
  for _, entry in ipairs(mine) do
    table.sort(entry.routes, function(a, b) return a.key < b.key end)
  end
  return out
end

local function discover(ctx)
  local aws = ctx.aws
  local found = { rest = {}, http = {}, errors = {} }
  local lists = runbook.all{
    function() return aws.collect("apigateway", "GetRestApis", {}) end,
    function() return aws.collect("apigatewayv2", "GetApis", {}) end,
  }
  local rest_list, http_list = {}, {}
  if lists[1][1] and lists[1][2] then rest_list = lists[1][2]
  else found.errors[#found.errors + 1] = { what = "apigateway GetRestApis", err = lists[1][3] } end
  if lists[2][1] and lists[2][2] then http_list = lists[2][2]
  else found.errors[#found.errors + 1] = { what = "apigatewayv2 GetApis", err = lists[2][3] } end
  local fns = {}
  for _, api in ipairs(rest_list) do
    fns[#fns + 1] = function() return "rest", api.id, rest_api(ctx, api) end
  end
  for _, api in ipairs(http_list) do
    if (api.ProtocolType or "HTTP") == "HTTP" then
      fns[#fns + 1] = function() return "http", api.ApiId, http_api(ctx, api) end
    end
  end
  for _, r in ipairs(runbook.all(fns)) do
    local ok, kind, id, api, err = r[1], r[2], r[3], r[4], r[5]
    if not ok then
      found.errors[#found.errors + 1] = { what = "reading the APIs",
                                          err = { message = tostring(kind) } }
    elseif api then
      table.insert(found[kind], api)
    elseif api == nil then
      found.errors[#found.errors + 1] = { what = kind == "rest" and "apigateway GetResources " .. id
        or "apigatewayv2 GetIntegrations " .. id, err = err }
    end
  end
  table.sort(found.rest, function(a, b) return a.id < b.id end)
  table.sort(found.http, function(a, b) return a.id < b.id end)
  return found
end

--- The REST and HTTP APIs integrated with the function (read once per run):
--- {rest = {{kind="rest", id, name, stages = {{name, logging_level}}, methods = {{path,
--- method, type, uri, qualifier, timeout_ms, api_key_required, authorization_type}}}},
---  http = {{kind="http", id, name, endpoint, stages = {{name}}, integrations = {{id, type,
--- payload_format_version, uri, qualifier, timeout_ms, routes = {{key, method, path}}}}}},
---  errors = {{what, err}}} (reads that failed; the rest is still reported).
function M.integrations(ctx)
  return ctx:once("apigw.integrations", function() return discover(ctx) end)
end

--- The function URL config (the `url` evidence, for steps written before it): config, or
--- false when the function has none, or nil, err.
function M.function_url(ctx)
  local url = ctx.ev.url
  if url.failed then return nil, url.failed end
  if url.absent then return false end
  return url
end

--- "arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH"; the partition is
--- the region's unless given last (ctx.partition).
function M.source_arn(region, account, api_id, stage, method, path, partition)
  return arn.execute_api(partition or arn.partition_of(region), region, account, api_id, stage,
    method, path)
end

--- A step's `applies` for the API diagnoses (403, 502): true when an API or a function URL
--- fronts the function, or when a read that would say so failed (the step reports it);
--- else false and the skip reason. Needs ev.apis and ev.url.
function M.fronted(ctx, ev)
  local found = ev.apis
  if #found.rest + #found.http > 0 or not ev.url.absent or #found.errors > 0 then return true end
  return false, ("no API Gateway API or function URL invokes %s"):format(ctx.function_id)
end

--- The function URL config from ev.url; nil when there is none or the read failed (then
--- reported on ctx).
function M.url_of(ctx, ev)
  local url = ev.url
  if url.failed then ctx:error_from(url.failed, "lambda GetFunctionUrlConfig") end
  if url.failed or url.absent then return nil end
  return url
end

--- The execution log group API Gateway writes a REST API stage's logs to.
function M.execution_log_group(api_id, stage)
  return ("API-Gateway-Execution-Logs_%s/%s"):format(api_id, stage)
end

--- Events of a REST API stage's execution log in the window matching `filter_pattern`:
--- array of {time, iso, message}, or false when the log group does not exist, or nil, err.
function M.execution_log_events(ctx, api_id, stage, filter_pattern)
  local group = M.execution_log_group(api_id, stage)
  return ctx:once("apigw.exec_logs:" .. group .. ":" .. (filter_pattern or ""), function()
    local events, err = ctx.aws.collect("logs", "FilterLogEvents", {
      logGroupName = group, filterPattern = filter_pattern,
      startTime = math.floor(ctx.window.start * 1000),
      endTime = math.floor(ctx.window.finish * 1000),
    }, { max_pages = 20 })
    if not events then
      if err and err.code == "ResourceNotFoundException" then return false end
      return nil, err
    end
    local out = {}
    for _, e in ipairs(events) do
      out[#out + 1] = { time = e.timestamp, message = (e.message or ""):gsub("\r?\n$", ""),
        iso = time.iso(e.timestamp) }
    end
    table.sort(out, function(a, b) return a.time < b.time end)
    return out
  end)
end

return M
