--- steps.forbidden.findings: what the forbidden step (the guide's 403) says, and its fixes.
--
-- The step decides (which routes API Gateway may not invoke, which public grants a
-- function URL lacks); this module explains: the evidence lines with the real ARNs and
-- statement ids, why it fails, and the fix as a plan of AddPermission / RemovePermission
-- calls (fix.actions) whose aws commands the framework renders.
local actions = require("fix.actions")
local apigw = require("evidence.apigw")
local policy = require("lib.policy")
local render = require("fix.render")
local text = require("lib.text")

local M = {}

local function api_label(api)
  return ("%s API %s (%s)"):format(api.kind == "rest" and "REST" or "HTTP", api.name or api.id,
    api.id)
end

--- "REST API shop-api (w4x9k2m7pq): permitted by sid-a, sid-b"
function M.permitted(api, sids)
  return ("%s: permitted by %s"):format(api_label(api), table.concat(sids, ", "))
end

function M.url_permitted(url)
  return ("function URL %s (AuthType NONE): public access granted"):format(url.FunctionUrl)
end

local function no_policy_line(qualifier)
  return ("the function has no resource-based policy (GetPolicy: ResourceNotFoundException)%s")
    :format(qualifier and (" for qualifier " .. qualifier) or "")
end

-- What the policy already says to API Gateway, one line a statement.
local function grant_lines(statements)
  local out = {}
  for _, s in ipairs(statements) do
    local arns = {}
    for _, v in ipairs(policy.condition_values(s, "aws:SourceArn") or {}) do
      arns[#arns + 1] = v.value
    end
    out[#out + 1] = ("resource policy statement %s (%s) lets apigateway.amazonaws.com %s from %s")
      :format(s.sid or "?", s.effect, table.concat(s.actions or { "?" }, ","),
      #arns > 0 and table.concat(arns, ", ") or "any API (no AWS:SourceArn condition)")
  end
  return out
end

--- API Gateway may not invoke the function on some of an API's routes. v: the step's
--- verdict {api, qualifier, policy, grants, missing, routes, deny, grant}; logs: the execution-log
--- events that show it, per stage.
function M.api_denied(ctx, v, logs)
  local api, p = v.api, v.policy
  local integration = api.kind == "rest" and api.methods[1].type
    or "payload " .. api.integrations[1].payload_format_version
  local evidence = {
    ("%s integrates %s (%s) on %s: %s"):format(api_label(api), ctx.function_name, integration,
      text.plural(#v.routes, "route"), table.concat(v.routes, ", ")),
    ("API Gateway invokes it as %s; no Allow statement matches"):format(v.missing[1].arn),
  }
  if p.none then evidence[#evidence + 1] = no_policy_line(v.qualifier) end
  for _, line in ipairs(grant_lines(v.grants)) do evidence[#evidence + 1] = line end
  if v.deny then evidence[#evidence + 1] = "explicit Deny: " .. policy.statement_text(v.deny.raw) end
  for _, l in ipairs(logs) do
    local last = l.events[#l.events]
    evidence[#evidence + 1] = ("%d 'Invalid permissions on Lambda function' lines in %s, last at "
      .. "%s: %s"):format(#l.events, apigw.execution_log_group(api.id, l.stage), last.iso,
      last.message)
  end
  local fn = { name = ctx.function_name, qualifier = v.qualifier }
  local plan, explain = {}, ("let API Gateway invoke the function from %s with a resource-policy "
    .. "statement scoped to that API's ARN"):format(api_label(api))
  local manual
  if v.deny and v.deny.sid then
    -- AddPermission writes only Allow statements: the removal cannot be undone by it.
    plan[1] = actions.remove_permission(fn, v.deny.sid, nil)
    explain = explain .. ("; first remove the Deny statement %s, which wins over any Allow")
      :format(v.deny.sid)
    manual = ("removing the Deny statement %s cannot be undone (AddPermission writes only "
      .. "Allow statements) and it may be deliberate: decide, then run the commands"):format(v.deny.sid)
  elseif v.deny then
    explain = explain .. "; first remove the Deny statement (it has no Sid: rewrite the policy)"
    manual = "an explicit Deny without a Sid blocks the grant: the policy must be rewritten by hand"
  end
  plan[#plan + 1] = actions.add_permission(fn, v.grant)
  -- A fresh GetPolicy must let API Gateway in from each route as it invokes (one ARN a
  -- route), then the step re-run must clear.
  local verify, seen = {}, {}
  for _, inv in ipairs(v.missing) do
    if not seen[inv.route] then
      seen[inv.route] = true
      verify[#verify + 1] = {
        what = ("the resource policy lets apigateway.amazonaws.com invoke %s from %s"):format(
          ctx.function_id, inv.arn),
        read = { service = "lambda", operation = "GetPolicy",
                 params = { FunctionName = fn.name, Qualifier = fn.qualifier } },
        path = "Policy", op = "allows",
        value = { action = "lambda:InvokeFunction", principal = "apigateway.amazonaws.com",
                  source_arn = inv.arn },
      }
    end
  end
  verify[#verify + 1] = { what = ("the forbidden step finds no route of %s without permission")
    :format(api_label(api)), step = "forbidden" }
  ctx:finding{
    severity = "fail",
    title = ("API Gateway may not invoke %s from %s: %s without permission"):format(
      ctx.function_id, api_label(api), text.plural(#v.routes, "route")),
    evidence = evidence,
    why = "without a matching resource-policy statement API Gateway cannot invoke the "
      .. "function, so every call on these routes fails before reaching it (the execution "
      .. "log says 'Execution failed due to configuration error: Invalid permissions on "
      .. "Lambda function'); callers see an error instead of the function's answer",
    fix = {
      explain = explain,
      plan = plan, manual = manual,
      verify = verify,
      changes = ("resource policy of %s: + Allow lambda:InvokeFunction for "
        .. "apigateway.amazonaws.com from %s"):format(ctx.function_id, v.grant.SourceArn),
    },
    confidence = "high",
    data = { api_id = api.id, kind = api.kind, routes = v.routes, source_arn = v.grant.SourceArn,
             invoked_as = v.missing[1].arn, has_policy = not p.none },
  }
end

--- A function URL with AWS_IAM auth: unsigned callers get 403 (information).
function M.url_iam(ctx, url)
  ctx:finding{
    severity = "info",
    title = ("function URL %s uses AWS_IAM auth: unsigned callers get 403"):format(url.FunctionUrl),
    evidence = { ("GetFunctionUrlConfig: AuthType AWS_IAM, created %s"):format(url.CreationTime
      or "?") },
    why = "with AWS_IAM every request must be SigV4-signed by a principal allowed "
      .. "lambda:InvokeFunctionUrl (and lambda:InvokeFunction) on the function",
    fix = { explain = ("give callers an IAM policy allowing lambda:InvokeFunctionUrl and "
      .. "lambda:InvokeFunction on %s and sign the requests"):format(url.FunctionArn
      or ctx.function_name) },
    confidence = "medium",
  }
end

-- AddPermission with InvokedViaFunctionUrl, which the embedded lambda model predates: the
-- one command still written here (same words as the aws CLI renders).
local function invoked_via_url_command(fn, sid)
  local words = { "aws lambda add-permission --function-name", render.quote(fn.name) }
  if fn.qualifier then words[#words + 1] = "--qualifier " .. render.quote(fn.qualifier) end
  words[#words + 1] = ("--statement-id %s --action lambda:InvokeFunction --principal %s "
    .. "--invoked-via-function-url"):format(render.quote(sid), render.quote("*"))
  return table.concat(words, " ")
end

--- A public function URL whose resource policy lacks the public grants. missing: {{action,
--- sid}}; need_invoke: the URL is recent enough to need lambda:InvokeFunction too.
function M.url_denied(ctx, url, p, missing, need_invoke)
  local fn = { name = ctx.function_name, qualifier = ctx.qualifier }
  local plan, commands, names, verify = {}, {}, {}, {}
  for _, m in ipairs(missing) do
    names[#names + 1] = m.action
    if m.action == "lambda:InvokeFunctionUrl" then
      plan[#plan + 1] = actions.add_permission(fn, { StatementId = m.sid, Action = m.action,
        Principal = "*", FunctionUrlAuthType = "NONE" })
      verify[#verify + 1] = {
        what = ("the resource policy lets principal \"*\" call %s"):format(m.action),
        read = { service = "lambda", operation = "GetPolicy",
                 params = { FunctionName = fn.name, Qualifier = fn.qualifier } },
        path = "Policy", op = "allows", value = { action = m.action, principal = "*" },
      }
    else
      commands[#commands + 1] = invoked_via_url_command(fn, m.sid)
    end
  end
  verify[#verify + 1] = { what = ("the resource policy lets principal \"*\" %s through the URL")
    :format(table.concat(names, " and ")), step = "forbidden" }
  local evidence = {
    ("GetFunctionUrlConfig: %s AuthType NONE, created %s"):format(url.FunctionUrl,
      url.CreationTime or "?"),
    p.none and no_policy_line() or ("no resource-policy statement allows %s to principal \"*\"")
      :format(table.concat(names, " and ")),
  }
  if need_invoke then
    evidence[#evidence + 1] = ("URLs created from %s need both lambda:InvokeFunctionUrl and "
      .. "lambda:InvokeFunction"):format(ctx.args.url_invoke_required_since)
  end
  ctx:finding{
    severity = "fail",
    title = ("function URL %s answers 403: public access lacks %s"):format(url.FunctionUrl,
      table.concat(names, " and ")),
    evidence = evidence,
    why = "AuthType NONE skips authentication, but Lambda still applies the resource-based "
      .. "policy: without a public grant every request gets 403 Forbidden",
    fix = {
      explain = "grant public invoke through the URL (or switch AuthType to AWS_IAM if the URL "
        .. "must not be public)",
      plan = #plan > 0 and plan or nil, commands = commands,
      -- the InvokedViaFunctionUrl grant is a text command the apply path cannot send
      manual = #commands > 0 and ("the lambda:InvokeFunction grant with --invoked-via-function-url "
        .. "is newer than the embedded Lambda model, so the plan alone would not clear this: run "
        .. "the commands") or nil,
      verify = verify,
      changes = ("resource policy of %s: + Allow %s for principal \"*\""):format(ctx.function_id,
        table.concat(names, ", ")),
    },
    confidence = "high",
    data = { function_url = url.FunctionUrl, auth_type = "NONE", missing = names },
  }
end

--- API keys and authorizers on the REST APIs' methods: other sources of a 403, named for
--- information.
function M.gatekeepers(ctx, rest_apis)
  for _, api in ipairs(rest_apis) do
    local evidence, keyed, authed = {}, {}, {}
    for _, m in ipairs(api.methods) do
      if m.api_key_required then keyed[#keyed + 1] = m.method .. " " .. m.path end
      if m.authorization_type and m.authorization_type ~= "NONE" then
        authed[#authed + 1] = ("%s %s (%s)"):format(m.method, m.path, m.authorization_type)
      end
    end
    if #keyed > 0 then evidence[#evidence + 1] = "apiKeyRequired: " .. table.concat(keyed, ", ") end
    if #authed > 0 then evidence[#evidence + 1] = "authorization: " .. table.concat(authed, ", ") end
    if #evidence > 0 then
      ctx:finding{
        severity = "info",
        title = ("%s answers 403 to callers without an API key or valid authorization on %s")
          :format(api_label(api), text.plural(#keyed + #authed, "method")),
        evidence = evidence,
        why = "a 403 from these methods can come from the API key or authorizer, not from the "
          .. "function's permissions",
        confidence = "medium",
      }
    end
  end
end

--- Every API and the function URL may invoke the function.
function M.all_clear(ctx, permitted, napis, url)
  local title = ("API Gateway may invoke %s: %d of %s permitted"):format(ctx.function_id, napis,
    text.plural(napis, "API"))
  if napis == 0 then
    title = ("the function URL of %s allows public invoke"):format(ctx.function_id)
  end
  ctx:finding{
    severity = "ok",
    title = title,
    evidence = permitted,
    confidence = "high",
    data = { apis = napis, function_url = url and url.FunctionUrl or nil },
  }
end

return M
