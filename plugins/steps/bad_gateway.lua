--- bad_gateway: why API Gateway answers 502 for the function (the guide's 502 section)
--
-- The guide: "API Gateway ... received a response from Lambda that does not conform to the
-- expected integration response format", caused by a handler that returns None, a body
-- that is not a string, or an unhandled exception. "Malformed Lambda proxy response" is
-- written to the API's execution log, not the function's, so this step reads both:
--   1. the APIs integrated with the function (integration type, payload format version)
--      and its function URL, which decide what shape the handler must return;
--   2. the REST stages' execution logs, when logging is on: the malformed responses and the
--      exact body API Gateway received ("Endpoint response body before transformations"),
--      checked against the proxy rules (triage.proxy_response);
--   3. the function's own log: unhandled exceptions, import / handler / marshal errors,
--      runtime exits, oversized responses and timeouts, each of which API Gateway turns
--      into a 502 (REST, function URL) or 500 (HTTP API).
-- It fails when any of these is seen, and explains the required shape when all is clean.
local apigw = require("triage.apigw")
local logs = require("triage.logs")
local proxy = require("triage.proxy_response")
local json = require("runbook.json")
local runbook = require("runbook")

-- Error classes in the function's log, most specific first: {id, lua patterns, label, fix}.
local CLASSES = {
  { id = "import", patterns = { "Runtime%.ImportModuleError" },
    label = "the handler's module cannot be imported",
    fix = "package the missing module with the function (deployment package or a layer) and "
      .. "deploy again" },
  { id = "handler", patterns = { "Runtime%.HandlerNotFound" },
    label = "the configured handler does not exist",
    fix = "point Handler at the real module.function (aws lambda "
      .. "update-function-configuration --handler)" },
  { id = "syntax", patterns = { "Runtime%.UserCodeSyntaxError" },
    label = "the code does not parse", fix = "fix the syntax error and deploy again" },
  { id = "marshal", patterns = { "Runtime%.MarshalError", "Unable to marshal response" },
    label = "the return value is not JSON-serializable",
    fix = "return only JSON types: convert datetime/Decimal/bytes first "
      .. "(json.dumps(x, default=str))" },
  { id = "too_large",
    patterns = { "Function%.ResponseSizeTooLarge", "Response payload size exceeded" },
    label = "the response exceeds Lambda's 6 MB payload limit",
    fix = "return less (paginate), or store the payload in S3 and return a presigned URL" },
  { id = "unmarshal", patterns = { "Runtime%.UnmarshalError" },
    label = "the runtime could not read the event",
    fix = "make the handler's input type match the API Gateway event for this integration" },
  { id = "exit",
    patterns = { "Runtime%.ExitError", "Runtime exited with error", "Runtime exited without" },
    label = "the runtime process exited (crash or out of memory)",
    fix = "find the crash in the lines before it; 'signal: killed' with Max Memory Used = "
      .. "Memory Size means out of memory" },
  { id = "timeout", patterns = { "Task timed out after" },
    label = "the invocation timed out",
    fix = "make the slow call faster or raise the timeout (see the timeout step); API "
      .. "Gateway waits at most 29 s" },
  { id = "unhandled", patterns = { "^%[ERROR%] [%w_.]+: ", "\tERROR\tInvoke Error",
      "\tERROR\tUncaught Exception", "\tERROR\tUnhandled Promise Rejection", '"errorType"%s*:' },
    label = "an exception escaped the handler",
    fix = "catch errors in the handler and return a proper error response, e.g. "
      .. "{\"statusCode\": 500, \"body\": json.dumps({\"message\": \"internal error\"})}" },
}

-- An unhandled exception that is an AWS access denial: the cause is the role.
local DENIED = { id = "denied", label = "an AWS call was refused (AccessDenied) and the "
    .. "exception escaped the handler",
  fix = "grant the permission (see the access_denied step) and catch the error in the handler" }

local function first_line(s)
  return s:match("^[^\r\n]*")
end

local function shorten(s, max)
  if #s <= max then return s end
  return s:sub(1, max - 3) .. "..."
end

local function classify(message)
  if message:find("^REPORT ") or message:find("^START ") or message:find("^END ")
      or message:find("^INIT_REPORT ") then
    return nil
  end
  for _, c in ipairs(CLASSES) do
    for _, p in ipairs(c.patterns) do
      if message:find(p) then
        if c.id == "unhandled" and message:find("not authorized to perform", 1, true) then
          return DENIED
        end
        return c
      end
    end
  end
  return nil
end

-- The function's own errors in the window, grouped by class and signature.
local function function_errors(events, max_line)
  local groups, order, requests, current = {}, {}, {}, {}
  for _, e in ipairs(events) do
    local started = e.message:match("^START RequestId: (%S+)")
    if started then current[e.stream or ""] = started end
    local c = classify(e.message)
    if c then
      local sig = c.id .. "|" .. logs.signature(first_line(e.message))
      local g = groups[sig]
      if not g then
        g = { class = c, count = 0, first = e }
        groups[sig] = g
        order[#order + 1] = g
      end
      g.count = g.count + 1
      g.last = e
      g.line = shorten(first_line(e.message), max_line)
      -- unhandled-exception lines carry no request id: use the stream's open invocation
      local rid = logs.request_id(e.message) or current[e.stream or ""]
      if rid then requests[rid] = true end
    end
  end
  local nrequests = 0
  for _ in pairs(requests) do nrequests = nrequests + 1 end
  table.sort(order, function(a, b) return a.count > b.count end)
  return order, nrequests
end

-- What the handler must return for one integration, and what API Gateway answers instead.
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

local function integration_lines(found, url)
  local lines, kinds = {}, {}
  for _, api in ipairs(found.rest) do
    local by_type = {}
    for _, m in ipairs(api.methods) do
      by_type[m.type] = by_type[m.type] or {}
      table.insert(by_type[m.type], m.method .. " " .. m.path)
    end
    for type_, routes in pairs(by_type) do
      local kind, text = contract("rest", type_)
      if kind then kinds[kind] = true end
      lines[#lines + 1] = ("REST API %s (%s) %s: %s"):format(api.name or api.id, api.id,
        table.concat(routes, ", "), text)
    end
  end
  for _, api in ipairs(found.http) do
    for _, integ in ipairs(api.integrations) do
      local routes = {}
      for _, r in ipairs(integ.routes) do routes[#routes + 1] = r.key end
      local kind, text = contract("http", integ.type, integ.payload_format_version)
      kinds[kind] = true
      lines[#lines + 1] = ("HTTP API %s (%s) %s: %s"):format(api.name or api.id, api.id,
        #routes > 0 and table.concat(routes, ", ") or "no routes", text)
    end
  end
  if url then
    kinds.http2 = true
    lines[#lines + 1] = ("function URL %s: same rules as payload format 2.0; an error "
      .. "answers 502"):format(url.FunctionUrl)
  end
  table.sort(lines)
  return lines, kinds
end

-- REST stages with execution logging: malformed responses and the bodies that caused them.
local function execution_findings(ctx, found)
  local out, logging_off = {}, {}
  for _, api in ipairs(found.rest) do
    for _, stage in ipairs(api.stages) do
      if stage.logging_level == "OFF" then
        logging_off[#logging_off + 1] = { api = api, stage = stage.name }
      else
        local events = apigw.execution_log_events(ctx, api.id, stage.name,
          '?"Malformed Lambda proxy response" ?"Endpoint response body before transformations"')
        local malformed, bodies = {}, {}
        for _, e in ipairs(events or {}) do
          if e.message:find("Malformed Lambda proxy response", 1, true) then
            malformed[#malformed + 1] = e
          end
          local body = e.message:match("Endpoint response body before transformations: (.*)$")
          if body then bodies[#bodies + 1] = { event = e, text = body } end
        end
        if #malformed > 0 then
          local violations, sample = {}, nil
          for i = #bodies, 1, -1 do
            local value = json.decode(bodies[i].text)
            if value ~= nil then
              local v = proxy.validate(value, "rest")
              if #v > 0 then
                violations, sample = v, bodies[i]
                break
              end
            end
          end
          out[#out + 1] = { api = api, stage = stage.name, malformed = malformed,
                            violations = violations, sample = sample }
        end
      end
    end
  end
  return out, logging_off
end

local function logging_command(api_id, stage)
  return ("aws apigateway update-stage --rest-api-id %s --stage-name %s --patch-operations "
    .. "op=replace,path=/*/*/logging/loglevel,value=INFO "
    .. "op=replace,path=/*/*/logging/dataTrace,value=true"):format(api_id, stage)
end

local function report_malformed(ctx, m, max_line)
  local last = m.malformed[#m.malformed]
  local evidence = {
    ("%d 'Malformed Lambda proxy response' lines in %s between %s and %s"):format(#m.malformed,
      apigw.execution_log_group(m.api.id, m.stage), m.malformed[1].iso, last.iso),
    ("%s %s"):format(last.iso, shorten(last.message, max_line)),
  }
  if m.sample then
    evidence[#evidence + 1] = ("%s %s"):format(m.sample.event.iso,
      shorten(m.sample.event.message, max_line))
    for _, line in ipairs(proxy.format(m.violations)) do
      evidence[#evidence + 1] = "violation " .. line
    end
  end
  ctx:finding{
    severity = "fail",
    title = ("REST API %s (%s) stage %s answered 502 'Malformed Lambda proxy response' %d "
      .. "time%s"):format(m.api.name or m.api.id, m.api.id, m.stage, #m.malformed,
      #m.malformed == 1 and "" or "s"),
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

local function report_function_errors(ctx, groups, nrequests, lines, logging_off, max_line)
  local evidence, total = {}, 0
  for _, g in ipairs(groups) do
    total = total + g.count
    evidence[#evidence + 1] = g.count == 1 and ("%s: once, at %s"):format(g.class.label, g.last.iso)
      or ("%s: %d times between %s and %s"):format(g.class.label, g.count, g.first.iso, g.last.iso)
    evidence[#evidence + 1] = ("%s %s"):format(g.last.iso, shorten(g.line, max_line))
  end
  for _, l in ipairs(lines) do evidence[#evidence + 1] = l end
  local fixes, seen = {}, {}
  for _, g in ipairs(groups) do
    if not seen[g.class.id] then
      seen[g.class.id] = true
      fixes[#fixes + 1] = g.class.label .. ": " .. g.class.fix
    end
  end
  local commands = {}
  for _, off in ipairs(logging_off) do
    commands[#commands + 1] = logging_command(off.api.id, off.stage)
  end
  local top = groups[1]
  local failed = nrequests > 0 and (nrequests .. " invocation" .. (nrequests == 1 and "" or "s"))
    or "invocations"
  local more = #groups > 1 and (" and %d more error kind%s"):format(#groups - 1,
    #groups == 2 and "" or "s") or ""
  ctx:finding{
    severity = "fail",
    title = ("%s failed %s in the last %s: %s (%d time%s)%s"):format(ctx.function_id, failed,
      ctx.window.label or "window", top.class.label, top.count, top.count == 1 and "" or "s",
      more),
    evidence = evidence,
    why = "an invocation that errors returns no response for API Gateway to use: REST APIs "
      .. "and function URLs answer 502 Bad Gateway, HTTP APIs 500 Internal Server Error",
    fix = {
      explain = table.concat(fixes, "; ") .. (#commands > 0 and "; turn on execution logging to "
        .. "see what API Gateway receives" or ""),
      commands = commands,
    },
    confidence = "high",
    data = { errors = total, invocations = nrequests, kinds = (function()
      local out = {}
      for _, g in ipairs(groups) do out[#out + 1] = { kind = g.class.id, count = g.count } end
      return out
    end)() },
  }
end

return {
  id = "bad_gateway",
  title = "Bad gateway (502)",
  description = "Malformed proxy responses, crashes and runtime exits against each API "
    .. "integration's response contract",
  tags = { "api", "logs", "502" },
  args = { max_line = 500 },
  run = function(ctx)
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err) end
    local max_line = ctx.args.max_line
    local gathered = runbook.all{
      function() return apigw.integrations(ctx) end,
      function() return apigw.function_url(ctx) end,
      function() return logs.events(ctx) end,
    }
    for _, r in ipairs(gathered) do if not r[1] then error(r[2], 0) end end
    local found, url, events, lerr = gathered[1][2], gathered[2][2], gathered[3][2], gathered[3][3]
    for _, e in ipairs(found.errors) do ctx:error_from(e.err, e.what) end
    if url == nil and gathered[2][3] then
      ctx:error_from(gathered[2][3], "lambda GetFunctionUrlConfig")
    end
    local lines, kinds = integration_lines(found, url)
    local api_backed = #lines > 0

    local malformed, logging_off = execution_findings(ctx, found)
    for _, m in ipairs(malformed) do report_malformed(ctx, m, max_line) end

    if not events then
      if not (lerr and lerr.code == "ResourceNotFoundException") then
        ctx:error_from(lerr, "logs FilterLogEvents")
      end
      events = {}
    end
    local groups, nrequests = function_errors(events, max_line)
    if #groups > 0 and api_backed then
      report_function_errors(ctx, groups, nrequests, lines, logging_off, max_line)
    elseif #groups > 0 then
      ctx:finding{
        severity = "info",
        title = ("%s logged %d error%s but no API Gateway API or function URL invokes it")
          :format(ctx.function_id, (function()
            local n = 0
            for _, g in ipairs(groups) do n = n + g.count end
            return n
          end)(), #groups == 1 and groups[1].count == 1 and "" or "s"),
        evidence = { ("%s %s"):format(groups[1].last.iso, groups[1].line) },
        why = "errors here cannot cause a 502 from API Gateway; see the errors step",
        confidence = "medium",
      }
    elseif #malformed == 0 and api_backed then
      local evidence = {}
      for _, l in ipairs(lines) do evidence[#evidence + 1] = l end
      local kind_list = {}
      for k in pairs(kinds) do kind_list[#kind_list + 1] = k end
      table.sort(kind_list)
      local checks = {}
      for _, k in ipairs(kind_list) do
        checks[#checks + 1] = "runbook check-response FILE " .. (k == "rest" and "--api rest"
          or k == "http1" and "--api http --payload 1.0" or "--api http --payload 2.0")
          .. " (" .. proxy.kinds[k].label .. ")"
      end
      for _, off in ipairs(logging_off) do
        evidence[#evidence + 1] = ("REST API %s (%s) stage %s logs no executions, so a "
          .. "'Malformed Lambda proxy response' there is invisible; to log them: %s"):format(
          off.api.name or off.api.id, off.api.id, off.stage, logging_command(off.api.id, off.stage))
      end
      evidence[#evidence + 1] = "to check a real return value offline, save it as JSON and run: "
        .. table.concat(checks, "; ")
      ctx:finding{
        severity = "ok",
        title = ("no 502 causes in the last %s: no crashes, runtime exits or timeouts in %d log "
          .. "events"):format(ctx.window.label or "window", #events),
        evidence = evidence,
        why = "'Malformed Lambda proxy response' only shows in the API's execution log; the "
          .. "function's own log looks healthy when it returns a wrong shape",
        confidence = #logging_off > 0 and "medium" or "high",
        data = { log_events = #events, stages_without_logging = #logging_off },
      }
    elseif not api_backed and #malformed == 0 then
      ctx:skip(("no API Gateway API or function URL invokes %s"):format(ctx.function_id))
    end
  end,
}
