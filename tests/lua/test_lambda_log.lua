--- Tests of lib.lambda_log and the log parsing of evidence.logs: the log group a function's
--- LoggingConfig names, and JSON platform/application records read into the same evidence
--- (REPORT fields, timeouts, request ids, error text) as Lambda's text lines.
local lambda_log = require("lib.lambda_log")
local logs = require("evidence.logs")
local json = require("runbook.json")
local t = require("testlib")

local ID = "8d61d928-c19d-4e7b-976a-ae8af75dfc87"

local function platform(kind, record)
  return json.encode({ time = "2026-11-27T02:41:07.000Z", type = kind, record = record })
end

t.test("group_is_the_logging_config_group_else_the_default", function()
  t.eq(lambda_log.group(nil, "fn"), "/aws/lambda/fn")
  t.eq(lambda_log.group({}, "fn"), "/aws/lambda/fn")
  t.eq(lambda_log.group({ LoggingConfig = { LogFormat = "Text" } }, "fn"), "/aws/lambda/fn")
  t.eq(lambda_log.group({ LoggingConfig = { LogGroup = "" } }, "fn"), "/aws/lambda/fn")
  t.eq(lambda_log.group({ LoggingConfig = { LogGroup = "/shared/reports" } }, "fn"),
    "/shared/reports")
end)

t.test("format_is_json_only_when_configured", function()
  t.eq(lambda_log.format(nil), "Text")
  t.eq(lambda_log.format({ LoggingConfig = { LogFormat = "Text" } }), "Text")
  t.eq(lambda_log.format({ LoggingConfig = { LogFormat = "JSON" } }), "JSON")
end)

t.test("evidence_logs_group_follows_the_configuration_then_the_run", function()
  local ctx = { function_name = "fn", _run = {} }
  t.eq(logs.group(ctx), "/aws/lambda/fn")
  t.eq(logs.group(ctx, { LoggingConfig = { LogGroup = "/custom/fn" } }), "/custom/fn")
  t.eq(logs.group(ctx, { absent = "function fn does not exist" }), "/aws/lambda/fn")
  ctx._run.log_group = "/custom/fn" -- the group the run read
  t.eq(logs.group(ctx), "/custom/fn")
end)

t.test("text_lines_come_back_unchanged", function()
  local line = "REPORT RequestId: " .. ID .. "\tDuration: 3000.00 ms\tStatus: timeout"
  local text, record = lambda_log.render(line)
  t.eq(text, line)
  t.eq(record, nil)
  t.eq(lambda_log.render("{not json"), "{not json")
  t.eq(lambda_log.render('{"order": 7}'), '{"order": 7}') -- JSON the function printed
end)

t.test("json_report_parses_like_the_text_report", function()
  local text_line = "REPORT RequestId: " .. ID .. "\tDuration: 3000.00 ms\tBilled Duration: "
    .. "3000 ms\tMemory Size: 256 MB\tMax Memory Used: 88 MB\tInit Duration: 636.72 ms\t"
    .. "Status: timeout"
  local raw = platform("platform.report", { requestId = ID, status = "timeout",
    metrics = { durationMs = 3000.0, billedDurationMs = 3000, memorySizeMB = 256,
                maxMemoryUsedMB = 88, initDurationMs = 636.72 } })
  local text, record, kind = lambda_log.render(raw)
  t.eq(kind, "platform")
  t.eq(record.record.status, "timeout")
  t.eq(text, text_line)
  local a, b = logs.parse_report(text), logs.parse_report(text_line)
  t.eq(a, b)
  t.eq(a.status, "timeout")
  t.eq(a.duration_ms, 3000)
  t.eq(a.billed_ms, 3000)
  t.eq(a.memory_mb, 256)
  t.eq(a.max_memory_mb, 88)
  t.eq(a.init_ms, 636.72)
end)

t.test("json_report_of_a_success_has_no_status_and_keeps_an_error_type", function()
  local text = lambda_log.render(platform("platform.report", { requestId = ID,
    status = "success", metrics = { durationMs = 12.5, billedDurationMs = 13,
    memorySizeMB = 128, maxMemoryUsedMB = 70 } }))
  t.eq(text, "REPORT RequestId: " .. ID .. "\tDuration: 12.50 ms\tBilled Duration: 13 ms\t"
    .. "Memory Size: 128 MB\tMax Memory Used: 70 MB")
  t.eq(logs.parse_report(text).status, nil)
  local failed = lambda_log.render(platform("platform.report", { requestId = ID,
    status = "error", errorType = "Runtime.ExitError", metrics = { durationMs = 40 } }))
  local r = logs.parse_report(failed)
  t.eq(r.status, "error")
  t.eq(r.error_type, "Runtime.ExitError")
end)

t.test("json_start_and_init_lines_read_as_their_text_lines", function()
  local start = lambda_log.render(platform("platform.start", { requestId = ID,
    version = "$LATEST" }))
  t.eq(start, "START RequestId: " .. ID .. " Version: $LATEST")
  t.eq(start:match("^START RequestId: (%S+)"), ID)
  t.eq(logs.request_id(start), ID)
  local init = lambda_log.render(platform("platform.initStart", {
    initializationType = "on-demand", phase = "init", runtimeVersion = "python:3.12.v38" }))
  t.eq(init, "INIT_START Runtime Version: python:3.12.v38")
  local init_report = lambda_log.render(platform("platform.initReport", { phase = "init",
    status = "timeout", metrics = { durationMs = 9999.9 } }))
  t.eq(init_report, "INIT_REPORT Init Duration: 9999.90 ms\tPhase: init\tStatus: timeout")
  local other = lambda_log.render(platform("platform.logsDropped", { reason = "x" }))
  t.eq(other, "platform.logsDropped")
end)

t.test("json_application_lines_read_with_level_request_id_and_error_type", function()
  local raw = json.encode({ timestamp = "2026-11-27T02:41:07.120Z", level = "ERROR",
    requestId = ID, message = "'order_id'", errorType = "KeyError",
    stackTrace = { "  File \"/var/task/app.py\", line 3" } })
  local text, record, kind = lambda_log.render(raw)
  t.eq(kind, "application")
  t.eq(record.level, "ERROR")
  -- an escaped exception reads as the runtime's text line for it (Python: no id in it)
  t.eq(text, "[ERROR] KeyError: 'order_id'")
  t.eq(logs.text(text), "[ERROR] KeyError: 'order_id'")
  t.eq(logs.signature(text), "[ERROR] KeyError: 'order_id'")
  t.eq(record.requestId, ID)
  local marshal = lambda_log.render(json.encode({ timestamp = "2026-11-27T02:41:07.120Z",
    level = "ERROR", requestId = ID, errorType = "Runtime.MarshalError",
    errorMessage = "Unable to marshal response" }))
  t.eq(marshal, "[ERROR] Runtime.MarshalError: Unable to marshal response")
  local logged = lambda_log.render(json.encode({ timestamp = "2026-11-27T02:41:07.120Z",
    level = "ERROR", requestId = ID, message = "retrying" }))
  t.eq(logged, "2026-11-27T02:41:07.120Z\t" .. ID .. "\tERROR\tretrying")
  t.eq(logs.request_id(logged), ID)
  t.eq(logs.text(logged), "[ERROR] retrying")
  local info = lambda_log.render(json.encode({ timestamp = "2026-11-27T02:41:07.120Z",
    level = "INFO", requestId = ID, message = { rows = 458 } }))
  t.eq(logs.text(info), '[INFO] {"rows":458}')
  local init = lambda_log.render(json.encode({ timestamp = "2026-11-27T02:41:07.120Z",
    level = "WARN", message = "cold config" }))
  t.eq(init, "[WARN] cold config")
end)

return t.run()
