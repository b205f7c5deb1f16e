--- evidence.logs: the function's CloudWatch Logs for the run's window, read once, shared.
--
-- Most diagnoses in the field guide start from the function's log group (/aws/lambda/<name>,
-- or LoggingConfig.LogGroup): REPORT lines give durations, memory and init times; "Task
-- timed out" and stack traces give the errors. A function logging in JSON
-- (LoggingConfig.LogFormat) has its platform and application records rendered as the
-- text lines Lambda writes otherwise (lib.lambda_log.render), so every reader follows
-- both formats; such an event keeps its original line in .raw and the record in .record.
-- Every step asks this module instead of calling FilterLogEvents itself, so the whole
-- window is fetched once per run (a few time slices at once, every page of each, merged
-- in time order) and parsed once; matching happens in Lua, which is cheaper than one
-- filter pattern per step.
--
--   local events, err = logs.events(ctx, cfg) -- nil, err (err.code kept) on failure
--   for _, r in ipairs(logs.reports(ctx) or {}) do ... r.duration_ms ... end
local lambda_log = require("lib.lambda_log")
local runbook = require("runbook")
local text = require("lib.text")
local time = require("lib.time")

local M = {}

--- Most FilterLogEvents pages read per run (10,000 events each at most), over all slices.
M.max_pages = 40
--- The window is read as this many time slices at once (each at least slice_min_s long):
--- FilterLogEvents pages are sequential, slices are not.
M.slices = 4
M.slice_min_s = 900

--- The log group Lambda writes the function's output to: cfg.LoggingConfig.LogGroup, else
--- "/aws/lambda/<name>". cfg is the function configuration (ev.config); without one, the
--- group this run read its events from, else the default.
function M.group(ctx, cfg)
  if type(cfg) == "table" and not cfg.absent and not cfg.failed then
    return lambda_log.group(cfg, ctx.function_name)
  end
  local run = rawget(ctx, "_run")
  if type(run) == "table" and run.log_group then return run.log_group end
  return lambda_log.group(nil, ctx.function_name)
end

--- An epoch in milliseconds (or seconds) as "2026-11-27T02:41:07Z" (lib.time.iso).
M.iso = time.iso

-- One slice [start_ms, end_ms] of the window, every page: events | nil, err
local function fetch_slice(ctx, group, start_ms, end_ms, max_pages)
  local params = { logGroupName = group, startTime = start_ms, endTime = end_ms }
  local out, pages = {}, 0
  while true do
    local page, err = ctx.aws.call("logs", "FilterLogEvents", params)
    if not page then
      if type(err) == "table" then err.log_group = group end
      return nil, err
    end
    pages = pages + 1
    for _, e in ipairs(page.events or {}) do
      local raw = (e.message or ""):gsub("\r?\n$", "")
      local message, record = lambda_log.render(raw)
      out[#out + 1] = {
        time = e.timestamp,
        iso = M.iso(e.timestamp),
        message = message,
        raw = record and raw or nil,
        record = record,
        stream = e.logStreamName,
        id = e.eventId,
      }
    end
    local token = page.nextToken
    if token == nil or token == "" or token == params.nextToken then break end
    if pages >= max_pages then
      out.truncated = true
      break
    end
    params.nextToken = token
  end
  return out
end

local function fetch(ctx, cfg)
  local group = M.group(ctx, cfg)
  local run = rawget(ctx, "_run")
  if type(run) == "table" then run.log_group = group end
  local start_ms = math.floor(ctx.window.start * 1000)
  local end_ms = math.floor(ctx.window.finish * 1000)
  local n = math.floor((end_ms - start_ms) / 1000 / M.slice_min_s)
  n = math.max(1, math.min(M.slices, n))
  local span = (end_ms - start_ms + 1) // n
  local per_slice = math.max(1, M.max_pages // n)
  local fns = {}
  for i = 1, n do
    local from = start_ms + (i - 1) * span
    local to = (i == n) and end_ms or (from + span - 1)
    fns[i] = function() return fetch_slice(ctx, group, from, to, per_slice) end
  end
  local out = {}
  for _, r in ipairs(runbook.all(fns)) do
    if not r[1] then error(r[2], 0) end
    local events, err = r[2], r[3]
    if not events then return nil, err end
    for _, e in ipairs(events) do out[#out + 1] = e end
    if events.truncated then out.truncated = true end
  end
  table.sort(out, function(a, b)
    if a.time ~= b.time then return a.time < b.time end
    return (a.id or "") < (b.id or "")
  end)
  out.group = group
  return out
end

--- Every log event of the function in ctx.window, sorted by time: array of
--- {time = epoch_ms, iso, message (no trailing newline; a JSON record as its text line),
--- stream, raw|nil, record|nil}; nil, err on failure. cfg (the function configuration)
--- names the log group (M.group); the first call of a run decides it.
--- The array has .truncated = true when more than M.max_pages pages were available.
function M.events(ctx, cfg)
  return ctx:once("logs.events", function() return fetch(ctx, cfg) end)
end

--- Events whose message matches a Lua pattern: array (possibly empty), or nil, err.
function M.matching(ctx, pattern)
  local events, err = M.events(ctx)
  if not events then return nil, err end
  local out = {}
  for _, e in ipairs(events) do
    if e.message:find(pattern) then out[#out + 1] = e end
  end
  return out
end

local function num(line, pattern)
  local v = line:match(pattern)
  return v and tonumber(v) or nil
end

--- Parses one REPORT line; nil when the message is not one.
function M.parse_report(message)
  local request_id = message:match("^REPORT RequestId: (%S+)")
  if not request_id then return nil end
  local status = message:match("Status: (%a+)")
  return {
    request_id = request_id,
    duration_ms = num(message, "^REPORT RequestId: %S+%s+Duration: ([%d.]+) ms"),
    billed_ms = num(message, "Billed Duration: ([%d.]+) ms"),
    memory_mb = num(message, "Memory Size: (%d+) MB"),
    max_memory_mb = num(message, "Max Memory Used: (%d+) MB"),
    init_ms = num(message, "Init Duration: ([%d.]+) ms"),
    restore_ms = num(message, "Restore Duration: ([%d.]+) ms"),
    status = status and status:lower() or nil,
    error_type = message:match("Error Type: ([%w._]+)"),
  }
end

local function parse_reports(ctx, cfg)
  local events, err = M.events(ctx, cfg)
  if not events then return nil, err end
  local out = {}
  for _, e in ipairs(events) do
    local r = M.parse_report(e.message)
    if r and r.duration_ms then
      r.time, r.iso, r.line, r.raw, r.record = e.time, e.iso, e.message, e.raw, e.record
      out[#out + 1] = r
    end
  end
  return out
end

--- Every REPORT line in the window, parsed: array of {request_id, time, iso, line,
--- duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms|nil, restore_ms|nil,
--- status|nil ("timeout", "error"... from the REPORT "Status:" field), error_type|nil,
--- raw|nil and record|nil (a JSON platform.report: its line and decoded record)}.
function M.reports(ctx, cfg)
  return ctx:once("logs.reports", function() return parse_reports(ctx, cfg) end)
end

--- The request id an event belongs to, when its line carries one (START/END/REPORT,
--- the Python/Node.js log prefixes, "Task timed out" lines); nil otherwise.
function M.request_id(message)
  return message:match("RequestId: (%x+%-%x+%-%x+%-%x+%-%x+)")
      or message:match("^%S+Z%s+(%x+%-%x+%-%x+%-%x+%-%x+)")
      or message:match("^%[%u+%]%s+%S+%s+(%x+%-%x+%-%x+%-%x+%-%x+)")
end

--- An event as one evidence line (lib.text.quote).
M.quote = text.quote

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- The runtimes' line prefixes: Python "[LEVEL]\t<iso>\t<request id>\t", Node.js and Java
-- "<iso>\t<request id>\t<LEVEL>\t", "<iso> <request id> " (timeouts) and "RequestId: <id> ".
local ISO = "%d%d%d%d%-%d%d%-%d%dT[%d:.]+Z"
local UUID = "%x+%-%x+%-%x+%-%x+%-%x+"

--- A log line as a person reads it: the first line of the message without the runtime's
--- time / request id prefix (the level kept as "[ERROR] "), whitespace collapsed.
function M.text(message)
  local s = message:match("^[^\r\n]*")
  s = s:gsub("^(%[%u+%])%s+" .. ISO .. "%s+" .. UUID .. "%s+", "%1 ")
  s = s:gsub("^" .. ISO .. "%s+" .. UUID .. "%s+(%u+)%s+", "[%1] ")
  s = s:gsub("^" .. ISO .. "%s+" .. UUID .. "%s+", "")
  s = s:gsub("^RequestId: " .. UUID .. "%s+", "")
  return trim(s:gsub("%s+", " "))
end

--- A normalized signature for grouping error lines: M.text with UUIDs, timestamps, hex
--- and numbers replaced by placeholders, e.g. "[ERROR] KeyError: 'order_id'" or
--- "Task timed out after <n> seconds".
function M.signature(message, max_len)
  local s = M.text(message)
  s = s:gsub("%d%d%d%d%-%d%d%-%d%d[T ][%d:.]+Z?", "<time>")
  s = s:gsub(UUID, "<id>")
  s = s:gsub("RequestId: %S+", "RequestId: <id>")
  s = s:gsub("0x%x+", "<hex>")
  s = s:gsub("%f[%w]%x*%d%x*%f[%W]", function(w)
    if #w >= 8 and w:find("%a") then return "<hex>" end
    return nil
  end)
  s = s:gsub("%f[%w]%d[%d.,]*", function(n) return "<n>" .. (n:match("[.,]$") or "") end)
  max_len = max_len or 160
  if #s > max_len then s = s:sub(1, max_len - 3) .. "..." end
  return s
end

return M
