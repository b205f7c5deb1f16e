--- lib.lambda_log: where a function logs (LoggingConfig) and its JSON log lines read as text.
--
-- Since 2023 a function may log to a log group of its choice (LoggingConfig.LogGroup,
-- else /aws/lambda/<name>) and in JSON (LoggingConfig.LogFormat = "JSON"): the START,
-- REPORT and INIT lines become platform records such as
--   {"time":"...","type":"platform.report","record":{"requestId":"...","metrics":
--    {"durationMs":3000.0,"billedDurationMs":3000,"memorySizeMB":256,"maxMemoryUsedMB":88,
--     "initDurationMs":636.7},"status":"timeout"}}
-- and application lines {"timestamp","level","requestId","message"} records. The log
-- readers (evidence.logs and the steps) match Lambda's text lines, so render() gives each
-- JSON line the text line Lambda writes in the text format, and every reader follows
-- both formats unchanged. Pure functions (JSON through runbook.json), unit-tested in
-- tests/lua/test_lambda_log.lua.
local json = require("runbook.json")

local M = {}

--- The log group of a function: cfg.LoggingConfig.LogGroup when set, else
--- "/aws/lambda/<name>". cfg may be nil (configuration not read).
function M.group(cfg, function_name)
  local lc = type(cfg) == "table" and cfg.LoggingConfig or nil
  local group = type(lc) == "table" and lc.LogGroup or nil
  if type(group) == "string" and group ~= "" then return group end
  return "/aws/lambda/" .. function_name
end

--- "JSON" or "Text": the configured log format (Text when not configured).
function M.format(cfg)
  local lc = type(cfg) == "table" and cfg.LoggingConfig or nil
  local f = type(lc) == "table" and lc.LogFormat or nil
  if type(f) == "string" and f:upper() == "JSON" then return "JSON" end
  return "Text"
end

local function num(v)
  return type(v) == "number" and v or nil
end

local function ms2(v) return ("%.2f"):format(v) end
local function int(v) return ("%.0f"):format(v) end

-- platform.report -> "REPORT RequestId: ID\tDuration: D ms\t...\tStatus: timeout"
local function report(r)
  local m = type(r.metrics) == "table" and r.metrics or {}
  local parts = { "REPORT RequestId: " .. tostring(r.requestId or "?") }
  local function add(label, v, fmt, unit)
    if num(v) then parts[#parts + 1] = ("%s: %s %s"):format(label, fmt(v), unit) end
  end
  add("Duration", m.durationMs, ms2, "ms")
  add("Billed Duration", m.billedDurationMs, int, "ms")
  add("Memory Size", m.memorySizeMB, int, "MB")
  add("Max Memory Used", m.maxMemoryUsedMB, int, "MB")
  add("Init Duration", m.initDurationMs, ms2, "ms")
  add("Restore Duration", m.restoreDurationMs, ms2, "ms")
  if type(r.status) == "string" and r.status ~= "success" then
    parts[#parts + 1] = "Status: " .. r.status
  end
  if type(r.errorType) == "string" then parts[#parts + 1] = "Error Type: " .. r.errorType end
  return table.concat(parts, "\t")
end

-- platform.initReport -> "INIT_REPORT Init Duration: D ms\tPhase: init\tStatus: error"
local function init_report(r)
  local m = type(r.metrics) == "table" and r.metrics or {}
  local parts = { "INIT_REPORT" }
  if num(m.durationMs) then parts[1] = "INIT_REPORT Init Duration: " .. ms2(m.durationMs) .. " ms" end
  if type(r.phase) == "string" then parts[#parts + 1] = "Phase: " .. r.phase end
  if type(r.status) == "string" then parts[#parts + 1] = "Status: " .. r.status end
  if type(r.errorType) == "string" then parts[#parts + 1] = "Error Type: " .. r.errorType end
  return table.concat(parts, "\t")
end

local PLATFORM = {
  ["platform.start"] = function(r)
    return ("START RequestId: %s Version: %s"):format(tostring(r.requestId or "?"),
      tostring(r.version or "$LATEST"))
  end,
  ["platform.report"] = report,
  ["platform.initStart"] = function(r)
    local s = "INIT_START"
    if type(r.runtimeVersion) == "string" then s = s .. " Runtime Version: " .. r.runtimeVersion end
    if type(r.runtimeVersionArn) == "string" then
      s = s .. "\tRuntime Version ARN: " .. r.runtimeVersionArn
    end
    return s
  end,
  ["platform.initReport"] = init_report,
  ["platform.restoreReport"] = init_report,
}

local function as_text(v)
  if type(v) == "string" then return v end
  if v == nil or v == json.null then return "" end
  return json.encode(v) or tostring(v)
end

-- {"timestamp","level","requestId","message"} -> the Node.js text prefix
-- "TIMESTAMP\tREQUEST_ID\tLEVEL\tMESSAGE", which evidence.logs.text shows as
-- "[LEVEL] MESSAGE". A record with an errorType (an exception that escaped the handler)
-- reads as the runtime's text line for it, "[ERROR] Type: message", which the steps
-- classify (errors, bad_gateway); the record keeps its requestId.
local function application(rec)
  local message = as_text(rec.message ~= nil and rec.message or rec.errorMessage)
  local etype = rec.errorType
  if type(etype) == "string" and etype ~= "" and message:sub(1, #etype) ~= etype then
    message = message == "" and etype or (etype .. ": " .. message)
  end
  local level = rec.level:upper()
  local id = rec.requestId
  if type(etype) == "string" and etype ~= "" then return ("[%s] %s"):format(level, message) end
  if type(rec.timestamp) == "string" and type(id) == "string" and id ~= "" then
    return ("%s\t%s\t%s\t%s"):format(rec.timestamp, id, level, message)
  end
  return ("[%s] %s"):format(level, message)
end

--- A log line as Lambda's text format writes it: text, record, kind.
--- A JSON platform line (type "platform.*") or application line (level + message) gives
--- its text form, the decoded record and "platform" / "application"; any other line
--- (text format, or JSON the function printed itself) comes back unchanged with nil.
function M.render(message)
  if type(message) ~= "string" or message:sub(1, 1) ~= "{" then return message end
  local rec = json.decode(message)
  if type(rec) ~= "table" then return message end
  local t = rec.type
  if type(t) == "string" and t:find("^platform%.") then
    local r = type(rec.record) == "table" and rec.record or {}
    local fn = PLATFORM[t]
    if fn then return fn(r), rec, "platform" end
    local id = r.requestId and (" RequestId: " .. tostring(r.requestId)) or ""
    return t .. id, rec, "platform"
  end
  if type(rec.level) == "string" and (rec.message ~= nil or rec.errorMessage ~= nil) then
    return application(rec), rec, "application"
  end
  return message
end

return M
