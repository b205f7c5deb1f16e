--- bad_gateway: why API Gateway answers 502 for the function (the guide's 502 section)
--
-- The guide: "API Gateway ... received a response from Lambda that does not conform to the
-- expected integration response format", caused by a handler that returns None, a body
-- that is not a string, or an unhandled exception. "Malformed Lambda proxy response" is
-- written to the API's execution log, not the function's, so this step reads both:
--   1. the APIs integrated with the function (ev.apis: integration type, payload format
--      version) and its function URL (ev.url), which decide what shape the handler must
--      return;
--   2. the REST stages' execution logs, when logging is on (ev["execution_log:..."]): the
--      malformed responses and the exact body API Gateway received ("Endpoint response
--      body before transformations"), checked against the proxy rules
--      (runbook.proxy_response, also behind `runbook check-response`);
--   3. the function's own log (ev.events): unhandled exceptions, import / handler /
--      marshal errors, runtime exits, oversized responses and timeouts, each of which API
--      Gateway turns into a 502 (REST, function URL) or 500 (HTTP API).
-- It applies only when an API or a function URL fronts the function, fails when any of
-- these is seen, and explains the required shape when all is clean. The findings are
-- written by steps/bad_gateway/findings.lua.
local apigw = require("evidence.apigw")
local findings = require("steps.bad_gateway.findings")
local json = require("runbook.json")
local logs = require("evidence.logs")
local proxy = require("runbook.proxy_response")
local evidence = require("triage.evidence")
local step = require("triage.step")
local text = require("lib.text")

-- Error classes in the function's log, most specific first: {id, lua patterns, label, fix}.
-- "<handler>" in a fix is the configured Handler.
local CLASSES = {
  { id = "import", patterns = { "Runtime%.ImportModuleError" },
    label = "the handler's module cannot be imported",
    fix = "package the missing module with the function (deployment package or a layer) and "
      .. "deploy again" },
  { id = "handler", patterns = { "Runtime%.HandlerNotFound" },
    label = "the configured handler does not exist",
    fix = "point the Handler setting (now <handler>) at the module.function the package "
      .. "really has, or rename the function in the code" },
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

-- What a REST stage's execution log says about a malformed response, and the body it got.
local MALFORMED = "Malformed Lambda proxy response"
local BODY = "Endpoint response body before transformations"
local EXECUTION_FILTER = ('?"%s" ?"%s"'):format(MALFORMED, BODY)

-- Lines that are the platform's, never an error.
local PLATFORM = { "^REPORT ", "^START ", "^END ", "^INIT_REPORT " }

-- In the JSON log format a timed-out invocation writes no 'Task timed out' line: its
-- platform.report with status "timeout" (an event with .record, rendered as
-- "REPORT ...\tStatus: timeout" by lib.lambda_log) is the witness.
local JSON_TIMEOUT = "^REPORT .*\tStatus: timeout"
local TIMEOUT
for _, c in ipairs(CLASSES) do
  if c.id == "timeout" then TIMEOUT = c end
end

-- The checks run() names, defined below the manifest.
local checks = {}

local M = step.define{
  id = "bad_gateway",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Bad gateway (502)",
  description = "Malformed proxy responses, crashes and runtime exits against each API "
    .. "integration's response contract",
  tags = { "default", "api", "logs", "502" },
  fixes = { "apigateway UpdateStage" },
  args = {
    max_line = { default = 500, help = "longest log line quoted as evidence, in characters" },
  },
  needs = { "config", "apis", "?url", "?events" },
  reads = { "logs FilterLogEvents" }, -- REST stages' execution logs, named in run
  applies = apigw.fronted,
  run = function(ctx, ev)
    local found, url, events = ev.apis, apigw.url_of(ctx, ev), checks.events(ctx, ev)
    for _, e in ipairs(found.errors) do ctx:error_from(e.err, e.what) end
    local contracts = findings.contracts(found, url)
    if #contracts.lines == 0 then return end -- only a failed read said "maybe an API"
    local malformed, logging_off = checks.execution_logs(ev, found)
    for _, m in ipairs(malformed) do findings.malformed(ctx, m, ctx.args.max_line) end
    local groups, nrequests = checks.function_errors(events, ctx.args.max_line)
    if #groups > 0 then
      findings.function_errors(ctx, ev.config, groups, nrequests, contracts, logging_off)
    elseif #malformed == 0 then
      findings.all_clear(ctx, contracts, logging_off, #events)
    end
  end,
}

--- The function's log events, {} when it has no log group or they could not be read
--- (reported).
function checks.events(ctx, ev)
  local events = ev.events
  if events.failed then ctx:error_from(events.failed, "logs FilterLogEvents") end
  return evidence.list(events)
end

--- The class of an error line, or nil when the line is no error. record: the event's
--- decoded JSON record, when the function logs in JSON.
function checks.classify(message, record)
  if record and message:find(JSON_TIMEOUT) then return TIMEOUT end
  if text.matches_any(message, PLATFORM) then return nil end
  for _, c in ipairs(CLASSES) do
    if text.matches_any(message, c.patterns) then
      if c.id == "unhandled" and message:find("not authorized to perform", 1, true) then
        return DENIED
      end
      return c
    end
  end
  return nil
end

--- The function's own errors in the window, grouped by class and signature, the most
--- frequent first: {{class, count, first, last, line}}, and the invocations they failed.
function checks.function_errors(events, max_line)
  local groups, order, requests, current = {}, {}, {}, {}
  for _, e in ipairs(events) do
    local started = e.message:match("^START RequestId: (%S+)")
    if started then current[e.stream or ""] = started end
    local c = checks.classify(e.message, e.record)
    if c then
      -- timeouts are one kind whichever line (text) or record (JSON) witnesses them
      local sig = c == TIMEOUT and c.id
        or c.id .. "|" .. logs.signature(text.first_line(e.message))
      local g = groups[sig]
      if not g then
        g = { class = c, count = 0, first = e }
        groups[sig] = g
        order[#order + 1] = g
      end
      g.count, g.last, g.line = g.count + 1, e, text.clip(text.first_line(e.message), max_line)
      -- unhandled-exception lines carry no request id: use the stream's open invocation
      local rid = logs.request_id(e.message) or current[e.stream or ""]
      if rid then requests[rid] = true end
    end
  end
  table.sort(order, function(a, b) return a.count > b.count end)
  return order, #text.sorted_keys(requests)
end

--- The REST stages whose execution log shows malformed responses: {{api, stage, malformed,
--- violations, sample}} (the last body received that breaks the proxy rules), and the
--- stages that log nothing: {{api, stage}}.
function checks.execution_logs(ev, found)
  local out, logging_off = {}, {}
  for _, api in ipairs(found.rest) do
    for _, stage in ipairs(api.stages) do
      if stage.logging_level == "OFF" then
        logging_off[#logging_off + 1] = { api = api, stage = stage.name }
      else
        local events = ev[("execution_log:%s/%s %s"):format(api.id, stage.name, EXECUTION_FILTER)]
        local m = checks.malformed(events.absent == nil and events.failed == nil and events or {})
        if m then
          m.api, m.stage = api, stage.name
          out[#out + 1] = m
        end
      end
    end
  end
  return out, logging_off
end

--- One stage's malformed responses and the last received body that breaks the rules.
function checks.malformed(events)
  local malformed, bodies = {}, {}
  for _, e in ipairs(events) do
    if e.message:find(MALFORMED, 1, true) then malformed[#malformed + 1] = e end
    local body = e.message:match(BODY .. ": (.*)$")
    if body then bodies[#bodies + 1] = { event = e, text = body } end
  end
  if #malformed == 0 then return nil end
  for i = #bodies, 1, -1 do
    local value = json.decode(bodies[i].text)
    local violations = value ~= nil and proxy.validate(value, "rest") or {}
    if #violations > 0 then
      return { malformed = malformed, violations = violations, sample = bodies[i] }
    end
  end
  return { malformed = malformed, violations = {} }
end

return M
