--- forbidden: may API Gateway and the function URL invoke the function? (the guide's 403)
--
-- The guide: "API Gateway does not have permission to invoke the Lambda function. The
-- resource-based policy on the Lambda function must grant lambda:InvokeFunction to the
-- API Gateway principal." So: find every REST and HTTP API integrated with the function,
-- build the execute-api ARN each of its routes is invoked with
-- (arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH), and check the function's
-- resource policy (lambda GetPolicy) has an Allow for apigateway.amazonaws.com whose
-- AWS:SourceArn condition matches it. A function URL with AuthType NONE needs a public
-- lambda:InvokeFunctionUrl statement (and, for URLs created from October 2025, a public
-- lambda:InvokeFunction one); with AWS_IAM the callers need IAM permission of their own.
local apigw = require("triage.apigw")
local iam = require("triage.iam")
local runbook = require("runbook")

local INVOKE = "lambda:InvokeFunction"
local ARN_OPS = { ArnLike = true, ArnEquals = true, StringLike = true, StringEquals = true }
local EXACT_OPS = { ArnEquals = true, StringEquals = true }
-- A method "ANY" is invoked with the request's own method: all of these must be allowed.
local ANY_METHODS = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" }

local function principal_is(p, service)
  if p == "*" then return true end
  if type(p) ~= "table" then return false end
  for _, v in ipairs(iam.list(p.Service) or {}) do if v == service then return true end end
  for _, v in ipairs(iam.list(p.AWS) or {}) do if v == "*" then return true end end
  return false
end

local function principal_public(p)
  if p == "*" then return true end
  return type(p) == "table" and (iam.list(p.AWS) or {})[1] == "*"
end

-- The statement of `statements` that lets API Gateway call with `source_arn`, or nil; and
-- an explicit Deny that blocks it, if any.
local function api_permission(statements, source_arn)
  local allow, deny
  for _, s in ipairs(statements) do
    if principal_is(s.principal, "apigateway.amazonaws.com") and iam.action_matches(s, INVOKE) then
      local values = iam.condition_values(s, "aws:SourceArn", ARN_OPS)
      local matches = values == nil
      for _, v in ipairs(values or {}) do
        if EXACT_OPS[v.op] and v.value == source_arn
            or not EXACT_OPS[v.op] and iam.wildcard_match(v.value, source_arn) then
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

-- Every (stage, method, path) an API's routes are invoked with, as source ARNs.
local function invocations(ctx, api)
  local out = {}
  local stages = {}
  for _, s in ipairs(api.stages) do stages[#stages + 1] = s.name end
  if #stages == 0 then stages = { "*" } end
  local function add(route, method, path)
    local methods = method == "ANY" and ANY_METHODS or { method }
    for _, stage in ipairs(stages) do
      for _, m in ipairs(methods) do
        local arn
        if path == nil then -- "$default" and other keys without a method and path
          arn = apigw.source_arn(ctx.region, ctx.account, api.id, stage) .. "/" .. m
        else
          arn = apigw.source_arn(ctx.region, ctx.account, api.id, stage, m, path)
        end
        out[#out + 1] = { route = route, method = method, path = path, stage = stage, arn = arn }
      end
    end
  end
  if api.kind == "rest" then
    for _, m in ipairs(api.methods) do add(m.method .. " " .. m.path, m.method, m.path:sub(2)) end
  else
    for _, integ in ipairs(api.integrations) do
      for _, r in ipairs(integ.routes) do
        if r.method then add(r.key, r.method, r.path) else add(r.key, r.key, nil) end
      end
    end
  end
  return out
end

local function read_policy(ctx, qualifier)
  return ctx:once("forbidden.policy:" .. (qualifier or ""), function()
    local r, err = ctx.aws.lambda.GetPolicy{ FunctionName = ctx.function_name,
                                             Qualifier = qualifier }
    if not r then
      if err and err.code == "ResourceNotFoundException" then
        return { statements = {}, none = true }
      end
      return nil, err
    end
    local doc, perr = iam.parse_document(r.Policy)
    if not doc then return nil, { code = "InvalidPolicy", message = perr } end
    return { statements = iam.statements(doc), doc = doc }
  end)
end

local function qualifier_of(api)
  if api.kind == "rest" then return api.methods[1].qualifier end
  return api.integrations[1].qualifier
end

local function unique_sid(policy, base)
  local taken = {}
  for _, s in ipairs(policy.statements) do if s.sid then taken[s.sid] = true end end
  return iam.unique_name(base, taken)
end

local function api_label(api)
  return ("%s API %s (%s)"):format(api.kind == "rest" and "REST" or "HTTP", api.name or api.id,
    api.id)
end

-- The add-permission command for an API's missing routes: narrow to the route when only
-- one is missing, else the whole API.
local function permission_command(ctx, api, policy, missing, qualifier)
  local routes, first = {}, missing[1]
  for _, m in ipairs(missing) do routes[m.route] = true end
  local count = 0
  for _ in pairs(routes) do count = count + 1 end
  local source = apigw.source_arn(ctx.region, ctx.account, api.id) .. "/*/*/*"
  if count == 1 and first.path ~= nil then
    local method = first.method == "ANY" and "*" or first.method
    source = apigw.source_arn(ctx.region, ctx.account, api.id, "*", method, first.path)
  elseif count == 1 then
    source = apigw.source_arn(ctx.region, ctx.account, api.id) .. "/*/" .. first.route
  end
  return ('aws lambda add-permission --function-name %s%s --statement-id %s --action '
    .. 'lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn "%s"'):format(
    ctx.function_name, qualifier and (" --qualifier " .. qualifier) or "",
    unique_sid(policy, "apigateway-" .. api.id), source), source
end

local function existing_grants(policy)
  local out = {}
  for _, s in ipairs(policy.statements) do
    if principal_is(s.principal, "apigateway.amazonaws.com") then
      local values = iam.condition_values(s, "aws:SourceArn", ARN_OPS) or {}
      local arns = {}
      for _, v in ipairs(values) do arns[#arns + 1] = v.value end
      out[#out + 1] = ("resource policy statement %s (%s) lets apigateway.amazonaws.com %s from %s")
        :format(s.sid or "?", s.effect, table.concat(s.actions or { "?" }, ","),
        #arns > 0 and table.concat(arns, ", ") or "any API (no AWS:SourceArn condition)")
    end
  end
  return out
end

-- Execution-log lines proving the failure, when the stage logs (REST APIs only).
local function execution_evidence(ctx, api)
  local out = {}
  if api.kind ~= "rest" then return out end
  for _, stage in ipairs(api.stages) do
    if stage.logging_level ~= "OFF" then
      local events = apigw.execution_log_events(ctx, api.id, stage.name,
        '"Invalid permissions on Lambda function"')
      if events and #events > 0 then
        out[#out + 1] = ("%d 'Invalid permissions on Lambda function' lines in %s, last at %s: %s")
          :format(#events, apigw.execution_log_group(api.id, stage.name), events[#events].iso,
          events[#events].message)
      end
    end
  end
  return out
end

local function check_api(ctx, api, policy, qualifier)
  local missing, denied, allowed_by = {}, nil, {}
  for _, inv in ipairs(invocations(ctx, api)) do
    local allow, deny = api_permission(policy.statements, inv.arn)
    if allow then allowed_by[allow.sid or "?"] = true
    else
      missing[#missing + 1] = inv
      denied = denied or deny
    end
  end
  if #missing == 0 then
    local sids = {}
    for sid in pairs(allowed_by) do sids[#sids + 1] = sid end
    table.sort(sids)
    return { ok = true, api = api, sids = sids }
  end
  local routes, seen = {}, {}
  for _, m in ipairs(missing) do
    if not seen[m.route] then
      seen[m.route] = true
      routes[#routes + 1] = m.route
    end
  end
  local command, source = permission_command(ctx, api, policy, missing, qualifier)
  return { ok = false, api = api, missing = missing, routes = routes, deny = denied,
           command = command, source = source }
end

local function report_api(ctx, r, policy, qualifier)
  local api = r.api
  local integration = api.kind == "rest" and api.methods[1].type
    or "payload " .. api.integrations[1].payload_format_version
  local evidence = {
    ("%s integrates %s (%s) on %d route%s: %s"):format(api_label(api), ctx.function_name,
      integration, #r.routes, #r.routes == 1 and "" or "s", table.concat(r.routes, ", ")),
    ("API Gateway invokes it as %s; no Allow statement matches"):format(r.missing[1].arn),
  }
  if policy.none then
    evidence[#evidence + 1] = ("the function has no resource-based policy (GetPolicy: "
      .. "ResourceNotFoundException)%s"):format(qualifier and (" for qualifier " .. qualifier)
      or "")
  end
  for _, line in ipairs(existing_grants(policy)) do evidence[#evidence + 1] = line end
  if r.deny then
    evidence[#evidence + 1] = "explicit Deny: " .. iam.statement_text(r.deny.raw)
  end
  for _, line in ipairs(execution_evidence(ctx, api)) do evidence[#evidence + 1] = line end
  local fix = {
    explain = ("let API Gateway invoke the function from %s with a resource-policy statement "
      .. "scoped to that API's ARN"):format(api_label(api)),
    commands = { r.command },
    changes = ("resource policy of %s: + Allow lambda:InvokeFunction for "
      .. "apigateway.amazonaws.com from %s"):format(ctx.function_id, r.source),
  }
  if r.deny then
    fix.explain = fix.explain .. ("; first remove the Deny statement %s (aws lambda "
      .. "remove-permission --function-name %s --statement-id %s)"):format(r.deny.sid or "?",
      ctx.function_name, r.deny.sid or "SID")
  end
  ctx:finding{
    severity = "fail",
    title = ("API Gateway may not invoke %s from %s: %d route%s without permission"):format(
      ctx.function_id, api_label(api), #r.routes, #r.routes == 1 and "" or "s"),
    evidence = evidence,
    why = "without a matching resource-policy statement API Gateway cannot invoke the "
      .. "function, so every call on these routes fails before reaching it (the execution "
      .. "log says 'Execution failed due to configuration error: Invalid permissions on "
      .. "Lambda function'); callers see an error instead of the function's answer",
    fix = fix,
    confidence = "high",
    data = { api_id = api.id, kind = api.kind, routes = r.routes, source_arn = r.source,
             invoked_as = r.missing[1].arn, has_policy = not policy.none },
  }
end

local function created_since(text, since)
  local y, m, d = tostring(text or ""):match("^(%d%d%d%d)-(%d%d)-(%d%d)")
  local sy, sm, sd = since:match("^(%d%d%d%d)-(%d%d)-(%d%d)")
  if not y or not sy then return false end
  return (y .. m .. d) >= (sy .. sm .. sd)
end

local function check_url(ctx, url, policy)
  if url.AuthType == "AWS_IAM" then
    return ctx:finding{
      severity = "info",
      title = ("function URL %s uses AWS_IAM auth: unsigned callers get 403")
        :format(url.FunctionUrl),
      evidence = { ("GetFunctionUrlConfig: AuthType AWS_IAM, created %s")
        :format(url.CreationTime or "?") },
      why = "with AWS_IAM every request must be SigV4-signed by a principal allowed "
        .. "lambda:InvokeFunctionUrl (and lambda:InvokeFunction) on the function",
      fix = { explain = ("give callers an IAM policy allowing lambda:InvokeFunctionUrl and "
        .. "lambda:InvokeFunction on %s and sign the requests"):format(url.FunctionArn
        or ctx.function_name) },
      confidence = "medium",
    }
  end
  local need_invoke = created_since(url.CreationTime, ctx.args.url_invoke_required_since)
  local has_url, has_invoke
  for _, s in ipairs(policy.statements) do
    if s.effect == "Allow" and principal_public(s.principal) then
      if iam.action_matches(s, "lambda:InvokeFunctionUrl") then
        local auth = iam.condition_values(s, "lambda:FunctionUrlAuthType")
        if not auth or auth[1].value == "NONE" then has_url = s end
      end
      if iam.action_matches(s, INVOKE) then has_invoke = s end
    end
  end
  local q = ctx.qualifier and (" --qualifier " .. ctx.qualifier) or ""
  local commands, missing = {}, {}
  if not has_url then
    missing[#missing + 1] = "lambda:InvokeFunctionUrl"
    commands[#commands + 1] = ('aws lambda add-permission --function-name %s%s --statement-id %s '
      .. '--action lambda:InvokeFunctionUrl --principal "*" --function-url-auth-type NONE')
      :format(ctx.function_name, q, unique_sid(policy, "FunctionURLAllowPublicAccess"))
  end
  if need_invoke and not has_invoke then
    missing[#missing + 1] = "lambda:InvokeFunction"
    commands[#commands + 1] = ('aws lambda add-permission --function-name %s%s --statement-id %s '
      .. '--action lambda:InvokeFunction --principal "*" --invoked-via-function-url')
      :format(ctx.function_name, q, unique_sid(policy, "FunctionURLAllowInvokeAction"))
  end
  if #missing == 0 then return nil end
  local evidence = {
    ("GetFunctionUrlConfig: %s AuthType NONE, created %s"):format(url.FunctionUrl,
      url.CreationTime or "?"),
    policy.none
      and "the function has no resource-based policy (GetPolicy: ResourceNotFoundException)"
      or ("no resource-policy statement allows %s to principal \"*\""):format(
        table.concat(missing, " and ")),
  }
  if need_invoke then
    evidence[#evidence + 1] = ("URLs created from %s need both lambda:InvokeFunctionUrl and "
      .. "lambda:InvokeFunction"):format(ctx.args.url_invoke_required_since)
  end
  return ctx:finding{
    severity = "fail",
    title = ("function URL %s answers 403: public access lacks %s"):format(url.FunctionUrl,
      table.concat(missing, " and ")),
    evidence = evidence,
    why = "AuthType NONE skips authentication, but Lambda still applies the resource-based "
      .. "policy: without a public grant every request gets 403 Forbidden",
    fix = { explain = "grant public invoke through the URL (or switch AuthType to AWS_IAM if "
      .. "the URL must not be public)", commands = commands,
      changes = ("resource policy of %s: + Allow %s for principal \"*\""):format(ctx.function_id,
        table.concat(missing, ", ")) },
    confidence = "high",
    data = { function_url = url.FunctionUrl, auth_type = "NONE", missing = missing },
  }
end

-- Other 403 sources on the same routes: API keys and authorizers (informational).
local function gatekeepers(ctx, found)
  for _, api in ipairs(found.rest) do
    local keyed, authed = {}, {}
    for _, m in ipairs(api.methods) do
      if m.api_key_required then keyed[#keyed + 1] = m.method .. " " .. m.path end
      if m.authorization_type and m.authorization_type ~= "NONE" then
        authed[#authed + 1] = ("%s %s (%s)"):format(m.method, m.path, m.authorization_type)
      end
    end
    if #keyed + #authed > 0 then
      local evidence = {}
      if #keyed > 0 then
        evidence[#evidence + 1] = "apiKeyRequired: " .. table.concat(keyed, ", ")
      end
      if #authed > 0 then
        evidence[#evidence + 1] = "authorization: " .. table.concat(authed, ", ")
      end
      local n = #keyed + #authed
      ctx:finding{
        severity = "info",
        title = ("%s answers 403 to callers without an API key or valid authorization on %d "
          .. "method%s"):format(api_label(api), n, n == 1 and "" or "s"),
        evidence = evidence,
        why = "a 403 from these methods can come from the API key or authorizer, not from the "
          .. "function's permissions",
        confidence = "medium",
      }
    end
  end
end

return {
  id = "forbidden",
  title = "Invoke permissions (403)",
  description = "The function's resource policy against every API Gateway API and function "
    .. "URL that invokes it",
  tags = { "permissions", "api", "403" },
  args = { url_invoke_required_since = "2025-10-01" },
  run = function(ctx)
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err) end
    local parallel = runbook.all{
      function() return apigw.integrations(ctx) end,
      function() return apigw.function_url(ctx) end,
    }
    if not parallel[1][1] then error(parallel[1][2], 0) end
    local found, url, url_err = parallel[1][2], parallel[2][2], parallel[2][3]
    for _, e in ipairs(found.errors) do ctx:error_from(e.err, e.what) end
    if url == nil and url_err then ctx:error_from(url_err, "lambda GetFunctionUrlConfig") end

    local apis = {}
    for _, api in ipairs(found.rest) do apis[#apis + 1] = api end
    for _, api in ipairs(found.http) do apis[#apis + 1] = api end
    if #apis == 0 and not url then
      if #found.errors == 0 then
        ctx:skip(("no API Gateway API or function URL invokes %s"):format(ctx.function_id))
      end
      return
    end

    local ok_apis, failed = {}, 0
    for _, api in ipairs(apis) do
      local qualifier = qualifier_of(api)
      local policy, perr = read_policy(ctx, qualifier)
      if not policy then
        ctx:error_from(perr, "lambda GetPolicy")
      else
        local r = check_api(ctx, api, policy, qualifier)
        if r.ok then
          ok_apis[#ok_apis + 1] = ("%s: permitted by %s"):format(api_label(api),
            table.concat(r.sids, ", "))
        else
          failed = failed + 1
          report_api(ctx, r, policy, qualifier)
        end
      end
    end
    local url_failed = false
    if url then
      local policy, perr = read_policy(ctx, ctx.qualifier)
      if not policy then ctx:error_from(perr, "lambda GetPolicy")
      else
        local f = check_url(ctx, url, policy)
        url_failed = f ~= nil and f.severity == "fail"
        if not f then
          ok_apis[#ok_apis + 1] = ("function URL %s (AuthType NONE): public access granted")
            :format(url.FunctionUrl)
        end
      end
    end
    gatekeepers(ctx, found)
    if failed == 0 and not url_failed and #ok_apis > 0 then
      local title = ("API Gateway may invoke %s: %d of %d API%s permitted"):format(
        ctx.function_id, #apis, #apis, #apis == 1 and "" or "s")
      if #apis == 0 then
        title = ("the function URL of %s allows public invoke"):format(ctx.function_id)
      end
      ctx:finding{
        severity = "ok",
        title = title,
        evidence = ok_apis,
        confidence = "high",
        data = { apis = #apis, function_url = url and url.FunctionUrl or nil },
      }
    end
  end,
}
