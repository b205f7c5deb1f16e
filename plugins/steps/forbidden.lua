--- forbidden: may API Gateway and the function URL invoke the function? (the guide's 403)
--
-- The guide: "API Gateway does not have permission to invoke the Lambda function. The
-- resource-based policy on the Lambda function must grant lambda:InvokeFunction to the
-- API Gateway principal." So: for every REST and HTTP API integrated with the function
-- (ev.apis), build the execute-api ARN each of its routes is invoked with
-- (arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH, from lib.arn and the
-- run's partition) and check the function's resource policy (ev.policy, of the qualifier
-- the API integrates) has an Allow for apigateway.amazonaws.com whose AWS:SourceArn
-- condition matches it. A function URL with AuthType NONE needs a public
-- lambda:InvokeFunctionUrl statement (and, for URLs created from October 2025, a public
-- lambda:InvokeFunction one); with AWS_IAM the callers need IAM permission of their own.
-- API keys and authorizers, the other sources of a 403, are named for information.
-- The findings are written by steps/forbidden/findings.lua.
local apigw = require("evidence.apigw")
local arn = require("lib.arn")
local findings = require("steps.forbidden.findings")
local policy = require("lib.policy")
local step = require("triage.step")

local INVOKE = "lambda:InvokeFunction"
local APIGW = "apigateway.amazonaws.com"
-- What a REST stage's execution log says when the resource policy refuses API Gateway.
local INVALID_PERMISSIONS = '"Invalid permissions on Lambda function"'
local ARN_OPS = { ArnLike = true, ArnEquals = true, StringLike = true, StringEquals = true }
local EXACT_OPS = { ArnEquals = true, StringEquals = true }
-- A method "ANY" is invoked with the request's own method: all of these must be allowed.
local ANY_METHODS = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" }

-- The checks run() names, defined below the manifest.
local checks = {}

local M = step.define{
  id = "forbidden",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Invoke permissions (403)",
  description = "The function's resource policy against every API Gateway API and function "
    .. "URL that invokes it",
  tags = { "default", "permissions", "api", "403", "config" },
  fixes = { "lambda AddPermission", "lambda RemovePermission" },
  args = {
    url_invoke_required_since = { default = "2025-10-01", help = "function URLs created from "
      .. "this date need a public lambda:InvokeFunction grant besides lambda:InvokeFunctionUrl" },
  },
  needs = { "config", "apis", "?url", "?policy" },
  reads = { "logs FilterLogEvents" }, -- REST stages' execution logs, named in run
  applies = apigw.fronted,
  run = function(ctx, ev)
    local found = ev.apis
    for _, e in ipairs(found.errors) do ctx:error_from(e.err, e.what) end
    local apis, permitted, failed = {}, {}, false
    table.move(found.rest, 1, #found.rest, 1, apis)
    table.move(found.http, 1, #found.http, #apis + 1, apis)
    for _, api in ipairs(apis) do
      local verdict = checks.api_may_invoke(ctx, ev, api)
      if verdict and verdict.ok then
        permitted[#permitted + 1] = findings.permitted(api, verdict.sids)
      elseif verdict then
        failed = true
        findings.api_denied(ctx, verdict, checks.execution_lines(ev, api))
      end
    end
    local verdict, url = checks.url_may_invoke(ctx, ev)
    if verdict == "ok" then permitted[#permitted + 1] = findings.url_permitted(url) end
    failed = failed or verdict == "fail"
    findings.gatekeepers(ctx, found.rest)
    if not failed and #permitted > 0 then findings.all_clear(ctx, permitted, #apis, url) end
  end,
}

--- The resource policy of `qualifier` (ctx.qualifier's when nil): {statements, none =
--- true when there is none}, or nil when it could not be read (reported).
function checks.policy(ctx, ev, qualifier)
  local p = ev[(qualifier and qualifier ~= ctx.qualifier) and ("policy:" .. qualifier) or "policy"]
  if p.failed then
    ctx:error_from(p.failed, "lambda GetPolicy")
    return nil
  end
  if p.absent then return { statements = {}, none = true, absent = p.absent } end
  return p
end

-- Whether a principal is everyone, or names the service when one is given.
local function principal_is(p, service)
  if p == "*" then return true end
  if type(p) ~= "table" then return false end
  for _, v in ipairs(policy.list(p.Service) or {}) do if v == service then return true end end
  for _, v in ipairs(policy.list(p.AWS) or {}) do if v == "*" then return true end end
  return false
end

--- The statement that lets API Gateway call with `source_arn`, or nil and the explicit
--- Deny that blocks it; a Deny wins.
function checks.api_permission(statements, source_arn)
  local allow, deny
  for _, s in ipairs(statements) do
    if principal_is(s.principal, APIGW) and policy.action_matches(s, INVOKE) then
      local values = policy.condition_values(s, "aws:SourceArn", ARN_OPS)
      local matches = values == nil
      for _, v in ipairs(values or {}) do
        if EXACT_OPS[v.op] and v.value == source_arn
            or not EXACT_OPS[v.op] and policy.wildcard_match(v.value, source_arn) then
          matches = true
        end
      end
      if matches and s.effect == "Deny" then deny = deny or s end
      if matches and s.effect == "Allow" then allow = allow or s end
    end
  end
  if deny then return nil, deny end
  return allow
end

--- An execute-api ARN in the run's partition: API_ID[/STAGE[/METHOD/PATH]].
function checks.source_arn(ctx, api_id, stage, method, path)
  return arn.execute_api(ctx.partition, ctx.region, ctx.account, api_id, stage, method, path)
end

--- Every (stage, method, path) an API's routes are invoked with, as source ARNs.
function checks.invocations(ctx, api)
  local out, stages = {}, {}
  for _, s in ipairs(api.stages) do stages[#stages + 1] = s.name end
  if #stages == 0 then stages = { "*" } end
  local function add(route, method, path)
    for _, stage in ipairs(stages) do
      for _, m in ipairs(method == "ANY" and ANY_METHODS or { method }) do
        -- "$default" and other keys without a method and path: API_ID/STAGE/KEY
        local source = path == nil and checks.source_arn(ctx, api.id, stage .. "/" .. m)
          or checks.source_arn(ctx, api.id, stage, m, path)
        out[#out + 1] = { route = route, method = method, path = path, arn = source }
      end
    end
  end
  if api.kind == "rest" then
    for _, m in ipairs(api.methods) do add(m.method .. " " .. m.path, m.method, m.path:sub(2)) end
  else
    for _, integ in ipairs(api.integrations) do
      for _, r in ipairs(integ.routes) do add(r.key, r.method or r.key, r.path) end
    end
  end
  return out
end

--- A statement id no statement of the policy has yet.
function checks.unique_sid(p, base)
  local taken = {}
  for _, s in ipairs(p.statements) do if s.sid then taken[s.sid] = true end end
  return policy.unique_name(base, taken)
end

-- The one value every item shares, or nil.
local function common(items, key)
  local v = items[1] and items[1][key]
  for _, x in ipairs(items) do if x[key] ~= v then return nil end end
  return v
end

--- The grant that lets API Gateway invoke from the missing routes (AddPermission's
--- parameters): the narrowest one SourceArn that covers every missing invocation. The
--- stage is always "*" (as the console grants: a new stage or the console's test
--- invocations keep working); the method and path are the routes' own when they all share
--- them ("ANY" -> "*"); routes without a method and path ($default) are API_ID/*/KEY; a
--- mix that has one of those is the whole API, API_ID/* (an IAM "*" spans slashes).
function checks.grant(ctx, api, p, missing)
  local method, path = common(missing, "method"), common(missing, "path")
  local source
  if path ~= nil then
    source = checks.source_arn(ctx, api.id, "*", (method == nil or method == "ANY") and "*" or method,
      path)
  elseif common(missing, "route") and missing[1].path == nil then
    source = checks.source_arn(ctx, api.id, "*/" .. missing[1].route)
  else
    local all_paths = true
    for _, m in ipairs(missing) do if m.path == nil then all_paths = false end end
    source = all_paths and checks.source_arn(ctx, api.id, "*", method or "*", "*")
      or checks.source_arn(ctx, api.id, "*")
  end
  return { StatementId = checks.unique_sid(p, "apigateway-" .. api.id), Action = INVOKE,
           Principal = APIGW, SourceArn = source }
end

--- Whether API Gateway may invoke the function on each of the API's routes: {ok, api,
--- sids} or {api, qualifier, policy, grants (the statements naming API Gateway), missing,
--- routes, deny, grant}; nil when the policy
--- could not be read.
function checks.api_may_invoke(ctx, ev, api)
  local first = api.kind == "rest" and api.methods[1] or api.integrations[1]
  local qualifier = first.qualifier
  local p = checks.policy(ctx, ev, qualifier)
  if not p then return nil end
  local missing, routes, deny, allowed_by = {}, {}, nil, {}
  for _, inv in ipairs(checks.invocations(ctx, api)) do
    local allow, denied = checks.api_permission(p.statements, inv.arn)
    if allow then
      allowed_by[allow.sid or "?"] = true
    else
      missing[#missing + 1] = inv
      deny = deny or denied
      if not routes[inv.route] then
        routes[inv.route] = true
        routes[#routes + 1] = inv.route
      end
    end
  end
  if #missing == 0 then
    local sids = {}
    for sid in pairs(allowed_by) do sids[#sids + 1] = sid end
    table.sort(sids)
    return { ok = true, api = api, sids = sids }
  end
  local grants = {}
  for _, s in ipairs(p.statements) do
    if principal_is(s.principal, APIGW) then grants[#grants + 1] = s end
  end
  return { api = api, qualifier = qualifier, policy = p, grants = grants, missing = missing,
           routes = routes, deny = deny, grant = checks.grant(ctx, api, p, missing) }
end

--- The REST stages' execution-log lines proving the failure, when a stage logs.
function checks.execution_lines(ev, api)
  local out = {}
  if api.kind ~= "rest" then return out end
  for _, stage in ipairs(api.stages) do
    if stage.logging_level ~= "OFF" then
      local events = ev[("execution_log:%s/%s %s"):format(api.id, stage.name, INVALID_PERMISSIONS)]
      if not events.absent and not events.failed and #events > 0 then
        out[#out + 1] = { stage = stage.name, events = events }
      end
    end
  end
  return out
end

--- A function URL's public grants: "ok", "info" (AWS_IAM auth), "fail", or nil when there
--- is no URL or a read failed (reported); and the URL.
function checks.url_may_invoke(ctx, ev)
  local url = apigw.url_of(ctx, ev)
  if not url then return nil end
  if url.AuthType == "AWS_IAM" then
    findings.url_iam(ctx, url)
    return "info", url
  end
  local p = checks.policy(ctx, ev, ctx.qualifier)
  if not p then return nil, url end
  local created = tostring(url.CreationTime or ""):match("^%d%d%d%d%-%d%d%-%d%d")
  local need_invoke = created ~= nil and created >= ctx.args.url_invoke_required_since
  local has_url, has_invoke
  for _, s in ipairs(p.statements) do
    if s.effect == "Allow" and principal_is(s.principal) then
      if policy.action_matches(s, "lambda:InvokeFunctionUrl") then
        local auth = policy.condition_values(s, "lambda:FunctionUrlAuthType")
        if not auth or auth[1].value == "NONE" then has_url = s end
      end
      if policy.action_matches(s, INVOKE) then has_invoke = s end
    end
  end
  local missing = {}
  if not has_url then
    missing[#missing + 1] = { action = "lambda:InvokeFunctionUrl",
                              sid = checks.unique_sid(p, "FunctionURLAllowPublicAccess") }
  end
  if need_invoke and not has_invoke then
    missing[#missing + 1] = { action = INVOKE,
                              sid = checks.unique_sid(p, "FunctionURLAllowInvokeAction") }
  end
  if #missing == 0 then return "ok", url end
  findings.url_denied(ctx, url, p, missing, need_invoke)
  return "fail", url
end

return M
