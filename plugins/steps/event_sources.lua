--- event_sources: the queues and streams that feed the function through event source
--- mappings: is a mapping off or failing, is work piling up, will a bad message loop.
--
-- For SQS, Kinesis and DynamoDB streams (and the other pollers) Lambda reads the source and
-- invokes the function with a batch; when that goes wrong nothing calls the function, so
-- its own error rate says little. For each mapping (ListEventSourceMappings), in order:
--   1. off or failing: State Disabled/Disabling (warn, or fail when Lambda turned it off
--      with a PROBLEM reason), LastProcessingResult PROBLEM (fail, unless 2 reports the
--      stream falling behind: one cause, one finding), with the reason; the fix of a
--      disabled mapping is `runbook enable-event-sources.lua FN`;
--   2. streams: IteratorAge (Maximum) high and growing: fail (warn when high but steady),
--      with BisectBatchOnFunctionError / a finite MaximumRetryAttempts as the plan;
--   3. SQS (GetQueueAttributes on the queue URL built from the ARN): VisibilityTimeout
--      below the function timeout (fail) or below six times it (warn, AWS's guidance),
--      planned as SetQueueAttributes; no RedrivePolicy while messages fail (warn); the
--      oldest message (ApproximateAgeOfOldestMessage, AWS/SQS) older than backlog_age_s;
--   4. a poison message: the same message id or sequence number in error lines of several
--      invocations (steps/event_sources/poison.lua): fail.
-- A mapping with none of these gets an ok finding with its settings. MaximumConcurrency
-- against reserved concurrency is the throttle step's. steps/event_sources/findings.lua
-- explains each finding.
local evidence = require("triage.evidence")
local findings = require("steps.event_sources.findings")
local lib_arn = require("lib.arn")
local poison = require("steps.event_sources.poison")
local step = require("triage.step")

local data = evidence.data

local ITERATOR_AGE = "metric:IteratorAge:Maximum"
local ERRORS = "metric:Errors:Sum"
local checks = {}

local M = step.define{
  id = "event_sources",
  checks = checks,
  title = "Event source mappings",
  description = "Queues and streams that invoke the function: mappings disabled or failing, "
    .. "iterator age, SQS visibility timeout and redrive policy, poison messages",
  tags = { "default", "event_sources", "metrics", "logs", "config" },
  fixes = { "sqs SetQueueAttributes", "lambda UpdateEventSourceMapping" },
  reads = { "sqs GetQueueAttributes", "cloudwatch GetMetricStatistics" },
  args = {
    visibility_factor = { default = 6, help = "a queue's VisibilityTimeout should be this many "
      .. "times the function timeout (AWS's guidance)" },
    iterator_age_s = { default = 60, help = "a stream IteratorAge above this (seconds) is behind" },
    growth = { default = 2, help = "IteratorAge at the end this many times the start is growing" },
    backlog_age_s = { default = 900, help = "an SQS oldest message older than this is a backlog" },
    poison_repeats = { default = 3, help = "a message id failing in this many invocations is poison" },
    stream_retries = { default = 10, help = "MaximumRetryAttempts a plan sets instead of -1 (forever)" },
  },
  needs = { "config", "mappings", "?events" },
  applies = function(_, ev)
    return #ev.mappings > 0, "no event source mappings invoke the function"
  end,
  run = function(ctx, ev)
    local w = checks.window(ctx, ev)
    for _, m in ipairs(w.mappings) do
      local behind = m.kind == "stream" and checks.iterator_age(ctx, w, m)
      local said = checks.state(ctx, m, behind) or behind
      if m.kind == "sqs" then said = checks.queue(ctx, w, m) or said end
      said = checks.poison(ctx, w, m) or said
      if not said then findings.healthy(ctx, w, m) end
    end
  end,
}

-- The kind of source an ARN names: "sqs", "stream" (Kinesis, DynamoDB streams), or its
-- service (kafka, mq, ...).
local function kind_of(source_arn)
  local p = lib_arn.parse(source_arn or "")
  if not p then return "other", nil end
  if p.service == "kinesis" or (p.service == "dynamodb" and p.resource:find("/stream/", 1, true)) then
    return "stream", p
  end
  return p.service, p
end

--- What every check looks at: each mapping with its kind and queue, the function's errors,
--- the iterator age, the log events. The queues and metrics are read here, together, and
--- only for the kinds of source the function has.
function checks.window(_, ev)
  local mappings, reads, streams = {}, {}, false
  for i, raw in ipairs(ev.mappings) do
    local kind, p = kind_of(raw.EventSourceArn)
    local resource = p and p.resource or tostring(raw.EventSourceArn)
    local m = { raw = raw, kind = kind, arn = raw.EventSourceArn, index = i,
                name = resource:match("^table/([^/]+)/stream/") or resource:match("[^/]+$")
                  or resource }
    if kind == "sqs" then
      m.queue_need = "queue:" .. raw.EventSourceArn
      m.oldest_need = "sqs_metric:ApproximateAgeOfOldestMessage:Maximum:" .. m.name
      reads[#reads + 1] = m.queue_need
      reads[#reads + 1] = m.oldest_need
    end
    if kind == "stream" then streams = true end
    mappings[i] = m
  end
  reads[#reads + 1] = ERRORS
  if streams then reads[#reads + 1] = ITERATOR_AGE end
  evidence.prefetch(ev, reads)
  return {
    cfg = ev.config, mappings = mappings, ev = ev,
    errors = data(ev[ERRORS]), iterator_age = streams and ev[ITERATOR_AGE] or nil,
    events = data(ev.events) or {}, events_absent = ev.events.absent,
  }
end

--- 1. Disabled, or the last batch failed (unless `behind`: the stream's IteratorAge finding
--- already says it, with the failed result in its evidence and the plan that unblocks it).
function checks.state(ctx, m, behind)
  local raw = m.raw
  local state = raw.State or "Enabled"
  local result = raw.LastProcessingResult or ""
  if state == "Disabled" or state == "Disabling" then
    findings.disabled(ctx, m)
    return true
  end
  if result:find("^PROBLEM") then
    if not behind then findings.failing(ctx, m) end
    return true
  end
  return false
end

-- The average of the first and last thirds of a series' values.
local function ends(points)
  local n = #points
  local third = math.max(1, n // 3)
  local first, last = 0, 0
  for i = 1, third do first = first + points[i].value end
  for i = n - third + 1, n do last = last + points[i].value end
  return first / third, last / third
end

--- 2. A stream's IteratorAge: how far behind the newest record the function reads.
function checks.iterator_age(ctx, w, m)
  local age = w.iterator_age
  if age.failed then ctx:error_from(age.failed); return true end
  if not age.max or age.max < ctx.args.iterator_age_s * 1000 then return false end
  local first, last = ends(age.points)
  local growing = #age.points >= 3 and last >= first * ctx.args.growth
  findings.iterator_age(ctx, w, m, { max = age.max, first = first, last = last,
                                     growing = growing, series = age })
  return true
end

--- 3. The queue: visibility timeout, redrive policy, oldest message.
function checks.queue(ctx, w, m)
  local q = w.ev[m.queue_need]
  if q.failed then ctx:error_from(q.failed); return true end
  if q.absent then findings.no_queue(ctx, m, q.absent); return true end
  m.queue = q
  local oldest = data(w.ev[m.oldest_need])
  m.oldest_ms = oldest and oldest.max and oldest.max * 1000 or nil
  local said = false
  local visibility = tonumber(q.attributes.VisibilityTimeout)
  local timeout = w.cfg.Timeout or 3
  if visibility and visibility < ctx.args.visibility_factor * timeout then
    findings.visibility(ctx, w, m, visibility)
    said = true
  end
  local failing = (w.errors and (w.errors.total or 0) > 0)
    or (m.raw.LastProcessingResult or ""):find("^PROBLEM") ~= nil
  if not q.redrive and failing then
    findings.no_redrive(ctx, w, m)
    said = true
  end
  if m.oldest_ms and m.oldest_ms >= ctx.args.backlog_age_s * 1000 then
    findings.backlog(ctx, w, m)
    said = true
  end
  return said
end

--- 4. The same message or record failing in several invocations.
function checks.poison(ctx, w, m)
  if m.index > 1 then return false end -- the log lines do not say which mapping; once
  local hits = poison.repeated(w.events, ctx.args.poison_repeats)
  if #hits == 0 then return false end
  findings.poison(ctx, w, m, hits)
  return true
end

return M
