--- steps.bad_gateway.findings: what the bad_gateway step (the guide's 502) says.
--
-- The response contract each integration imposes on the handler, the malformed responses
-- a REST stage logged with the rule the body broke (runbook.proxy_response), the function's
-- own errors with their log lines and times, and the fixes: code changes as text, and
-- turning on a stage's execution logging as an apigateway UpdateStage plan.
local apigw = require("evidence.apigw")
local plan = require("fix.plan")
local proxy = require("runbook.proxy_response")
local render = require("fix.render")
local text = require("lib.text")

local M = {}

-- The stage settings that make API Gateway log every execution with its bodies.
local LOGGING = { { path = "/*/*/logging/loglevel", on = "INFO", off = "OFF" },
                  { path = "/*/*/logging/dataTrace", on = "true", off = "false" } }

-- `runbook check-response` options for each rule set of runbook.proxy_response.
local CHECK_OPTIONS = { rest = "--api rest", http1 = "--api http --payload 1.0",
                        http2 = "--api http --payload 2.0" }

--- UpdateStage that turns on execution logging with data trace for a REST stage, whose
--- logging is OFF now; undone by turning both off again.
function M.logging_plan_step(api_id, stage)
  local on, off = {}, {}
  for i, s in ipairs(LOGGING) do
    on[i] = { op = "replace", path = s.path, value = s.on }
    off[i] = { op = "replace", path = s.path, value = s.off }
  end
  local id = { restApiId = api_id, stageName = stage }
  return plan.call("apigateway", "UpdateStage",
    { restApiId = api_id, stageName = stage, patchOperations = on }, {
      before = { patchOperations = off }, after = { patchOperations = on },
      undo = { service = "apigateway", operation = "UpdateStage",
               params = { restApiId = api_id, stageName = stage, patchOperations = off } },
      read = { service = "apigateway", operation = "GetStage", params = id },
    })
end

-- What the handler must return for one integration: rule set (nil: none), text.
local function contract(kind, type_, version)
  if kind == "rest" and type_ == "AWS_PROXY" then
    return "rest", "Lambda proxy integration: return {\"statusCode\": 200, \"headers\": "
      .. "{\"Content-Type\": \"application/json\"}, \"body\": \"<string>\"}; body must be a "
      .. "string, anything else is a 502 'Malformed Lambda proxy response'"
  elseif kind == "rest" then
    return nil, ("non-proxy integration (%s): the return value goes through the integration "
      .. "response mapping templates; no statusCode/body shape is required, but errors must "
      .. "match an integration response selection pattern"):format(type_ or "?")
  elseif version == "1.0" then
    return "http1", "payload format 1.0: return {\"statusCode\": 200, \"headers\": {...}, "
      .. "\"body\": \"<string>\"}; API Gateway infers nothing and answers 500 otherwise"
  end
  return "http2", "payload format 2.0: return {\"statusCode\": 200, \"headers\": {...}, "
    .. "\"body\": \"<string>\", \"cookies\": [...]} or any JSON value, which API Gateway "
    .. "sends as a 200 application/json body; an error answers 500"
end

--- Each integration's contract as an evidence line, and the rule sets in use:
--- {lines, kinds = {rest = true, ...}}.
function M.contracts(found, url)
  local lines, kinds = {}, {}
  for _, api in ipairs(found.rest) do
    local by_type = {}
    for _, m in ipairs(api.methods) do
      by_type[m.type] = by_type[m.type] or {}
      table.insert(by_type[m.type], m.method .. " " .. m.path)
    end
    for type_, routes in pairs(by_type) do
      local kind, says = contract("rest", type_)
      if kind then kinds[kind] = true end
      lines[#lines + 1] = ("REST API %s (%s) %s: %s"):format(api.name or api.id, api.id,
        table.concat(routes, ", "), says)
    end
  end
  for _, api in ipairs(found.http) do
    for _, integ in ipairs(api.integrations) do
      local routes = {}
      for _, r in ipairs(integ.routes) do routes[#routes + 1] = r.key end
      local kind, says = contract("http", integ.type, integ.payload_format_version)
      kinds[kind] = true
      lines[#lines + 1] = ("HTTP API %s (%s) %s: %s"):format(api.name or api.id, api.id,
        #routes > 0 and table.concat(routes, ", ") or "no routes", says)
    end
  end
  if url then
    kinds.http2 = true
    lines[#lines + 1] = ("function URL %s: same rules as payload format 2.0; an error "
      .. "answers 502"):format(url.FunctionUrl)
  end
  table.sort(lines)
  return { lines = lines, kinds = kinds }
end

--- A REST stage answered 502 'Malformed Lambda proxy response'. m: {api, stage, malformed,
--- violations, sample}.
function M.malformed(ctx, m, max_line)
  local last = m.malformed[#m.malformed]
  local evidence = {
    ("%d 'Malformed Lambda proxy response' lines in %s between %s and %s"):format(#m.malformed,
      apigw.execution_log_group(m.api.id, m.stage), m.malformed[1].iso, last.iso),
    text.quote(last, max_line),
  }
  if m.sample then
    evidence[#evidence + 1] = text.quote(m.sample.event, max_line)
    for _, line in ipairs(proxy.format(m.violations)) do
      evidence[#evidence + 1] = "violation " .. line
    end
  end
  ctx:finding{
    severity = "fail",
    title = ("REST API %s (%s) stage %s answered 502 'Malformed Lambda proxy response' %s")
      :format(m.api.name or m.api.id, m.api.id, m.stage, text.plural(#m.malformed, "time")),
    evidence = evidence,
    why = "the handler returned a value API Gateway cannot read as a proxy response, so every "
      .. "such request gets 502 although the function itself succeeded",
    fix = {
      explain = (#m.violations > 0 and ("fix the handler's return value: %s; "):format(
        m.violations[1].problem) or "")
        .. "return {\"statusCode\": 200, \"headers\": {\"Content-Type\": \"application/json\"}, "
        .. "\"body\": json.dumps(result)} (JSON.stringify in Node.js); check a sample offline "
        .. "with: runbook check-response response.json --api rest",
    },
    confidence = "high",
    data = { api_id = m.api.id, stage = m.stage, count = #m.malformed,
             violations = m.violations },
  }
end

--- The function's own errors, each of which API Gateway answers 502 (or 500).
function M.function_errors(ctx, cfg, groups, nrequests, contracts, logging_off)
  local evidence, total, fixes, kinds = {}, 0, {}, {}
  for _, g in ipairs(groups) do
    total = total + g.count
    evidence[#evidence + 1] = g.count == 1 and ("%s: once, at %s"):format(g.class.label, g.last.iso)
      or ("%s: %d times between %s and %s"):format(g.class.label, g.count, g.first.iso, g.last.iso)
    evidence[#evidence + 1] = text.quote({ iso = g.last.iso, message = g.line }, #g.line)
    fixes[#fixes + 1] = g.class.label .. ": " .. g.class.fix:gsub("<handler>", cfg.Handler or "?")
    kinds[#kinds + 1] = { kind = g.class.id, count = g.count }
  end
  for _, l in ipairs(contracts.lines) do evidence[#evidence + 1] = l end
  local steps = {}
  for _, off in ipairs(logging_off) do steps[#steps + 1] = M.logging_plan_step(off.api.id, off.stage) end
  local top = groups[1]
  local more = #groups > 1 and (" and %d more error kind%s"):format(#groups - 1,
    text.s(#groups - 1)) or ""
  ctx:finding{
    severity = "fail",
    title = ("%s failed %s in the last %s: %s (%s)%s"):format(ctx.function_id,
      nrequests > 0 and text.plural(nrequests, "invocation") or "invocations",
      ctx.window.label or "window", top.class.label, text.plural(top.count, "time"), more),
    evidence = evidence,
    why = "an invocation that errors returns no response for API Gateway to use: REST APIs "
      .. "and function URLs answer 502 Bad Gateway, HTTP APIs 500 Internal Server Error",
    fix = {
      explain = table.concat(text.unique(fixes), "; ") .. (#steps > 0 and "; turn on execution "
        .. "logging to see what API Gateway receives" or ""),
      plan = #steps > 0 and steps or nil,
      manual = #steps > 0 and ("execution logging with data trace writes whole requests and "
        .. "responses (tokens, personal data) to CloudWatch Logs and needs the account's API "
        .. "Gateway logging role: turn it on deliberately, and off again after") or nil,
    },
    confidence = "high",
    data = { errors = total, invocations = nrequests, kinds = kinds },
  }
end

--- No 502 cause seen: the contracts, how to check a real return value offline, and how to
--- make malformed responses visible where a stage logs nothing.
function M.all_clear(ctx, contracts, logging_off, nevents)
  local evidence, checks = {}, {}
  for _, l in ipairs(contracts.lines) do evidence[#evidence + 1] = l end
  for _, k in ipairs(text.sorted_keys(contracts.kinds)) do
    checks[#checks + 1] = ("runbook check-response FILE %s (%s)"):format(CHECK_OPTIONS[k],
      proxy.kinds[k].label)
  end
  for _, off in ipairs(logging_off) do
    local command = render.commands({ M.logging_plan_step(off.api.id, off.stage) })[1]
    evidence[#evidence + 1] = ("REST API %s (%s) stage %s logs no executions, so a "
      .. "'Malformed Lambda proxy response' there is invisible; to log them: %s"):format(
      off.api.name or off.api.id, off.api.id, off.stage, command)
  end
  evidence[#evidence + 1] = "to check a real return value offline, save it as JSON and run: "
    .. table.concat(checks, "; ")
  ctx:finding{
    severity = "ok",
    title = ("no 502 causes in the last %s: no crashes, runtime exits or timeouts in %d log "
      .. "events"):format(ctx.window.label or "window", nevents),
    evidence = evidence,
    why = "'Malformed Lambda proxy response' only shows in the API's execution log; the "
      .. "function's own log looks healthy when it returns a wrong shape",
    confidence = #logging_off > 0 and "medium" or "high",
    data = { log_events = nevents, stages_without_logging = #logging_off },
  }
end

return M
