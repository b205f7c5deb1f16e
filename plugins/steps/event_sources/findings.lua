--- steps.event_sources.findings: what the event_sources step found, in words: the
--- mapping's settings, the queue's attributes, the iterator age, the failing ids, the fix.
--
-- steps/event_sources.lua decides; this module explains with the real values and builds
-- the plans: SetQueueAttributes VisibilityTimeout (with its undo and re-read), and
-- UpdateEventSourceMapping for a stream's bisect and retry settings (fix.actions). A
-- redrive policy needs a dead-letter queue the user chooses: advice with the command.
local actions = require("fix.actions")
local metrics = require("evidence.metrics")
local json = require("runbook.json")
local plan = require("fix.plan")
local stats = require("lib.stats")
local text = require("lib.text")

local M = {}

-- SQS's largest VisibilityTimeout (12 hours).
M.MAX_VISIBILITY_S = 43200

local function kind_word(m)
  if m.kind == "sqs" then return "SQS queue" end
  if m.kind == "stream" then return m.arn:find(":kinesis:", 1, true) and "Kinesis stream"
    or "DynamoDB stream" end
  return m.kind .. " source"
end

local function label(m)
  return ("%s %s (mapping %s)"):format(kind_word(m), m.name, tostring(m.raw.UUID))
end

--- The mapping's settings as evidence lines.
function M.settings(m)
  local r = m.raw
  local lines = {
    ("%s: State %s (%s), LastProcessingResult %s"):format(label(m), r.State or "?",
      r.StateTransitionReason or "no reason given", r.LastProcessingResult or "none"),
  }
  local batch = ("BatchSize %s, MaximumBatchingWindowInSeconds %s, FunctionResponseTypes %s"):format(
    tostring(r.BatchSize or "default"), tostring(r.MaximumBatchingWindowInSeconds or 0),
    #(r.FunctionResponseTypes or {}) > 0 and table.concat(r.FunctionResponseTypes, ",")
      or "none (one failed record fails the whole batch)")
  local max = r.ScalingConfig and r.ScalingConfig.MaximumConcurrency
  if max then batch = batch .. (", ScalingConfig.MaximumConcurrency %d"):format(max) end
  lines[#lines + 1] = batch
  if m.kind == "stream" then
    lines[#lines + 1] = ("BisectBatchOnFunctionError %s, MaximumRetryAttempts %s, "
      .. "MaximumRecordAgeInSeconds %s, StartingPosition %s"):format(
      tostring(r.BisectBatchOnFunctionError or false), tostring(r.MaximumRetryAttempts or -1),
      tostring(r.MaximumRecordAgeInSeconds or -1), tostring(r.StartingPosition or "?"))
  end
  local on_failure = ((r.DestinationConfig or {}).OnFailure or {}).Destination
  if m.kind == "stream" or on_failure then
    lines[#lines + 1] = "on-failure destination: " .. (on_failure or "none")
  end
  return lines
end

-- The queue's attributes as evidence lines.
local function queue_lines(m, lines)
  local a = m.queue.attributes
  lines[#lines + 1] = ("queue %s: VisibilityTimeout %s s, ApproximateNumberOfMessages %s, "
    .. "ApproximateNumberOfMessagesNotVisible %s, MessageRetentionPeriod %s s"):format(
    m.queue.url, a.VisibilityTimeout or "?", a.ApproximateNumberOfMessages or "?",
    a.ApproximateNumberOfMessagesNotVisible or "?", a.MessageRetentionPeriod or "?")
  lines[#lines + 1] = m.queue.redrive
    and ("RedrivePolicy: dead-letter queue %s after %s receives"):format(
      tostring(m.queue.redrive.deadLetterTargetArn), tostring(m.queue.redrive.maxReceiveCount))
    or "RedrivePolicy: none (a failing message comes back until it expires)"
  lines[#lines + 1] = m.oldest_ms and ("ApproximateAgeOfOldestMessage (AWS/SQS, Maximum): %s")
    :format(stats.fmt_ms(m.oldest_ms)) or "ApproximateAgeOfOldestMessage: no datapoints"
  return lines
end

local function mapping_data(m, extra)
  local r = m.raw
  local out = { uuid = r.UUID, source = m.arn, kind = m.kind, state = r.State,
                reason = r.StateTransitionReason, last_result = r.LastProcessingResult,
                batch_size = r.BatchSize }
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

--- 1a. A disabled mapping.
function M.disabled(ctx, m)
  local r = m.raw
  local reason = r.StateTransitionReason or "no reason given"
  local by_lambda = reason:find("^PROBLEM") ~= nil
  ctx:finding{
    severity = by_lambda and "fail" or "warn",
    title = ("%s is %s: nothing reads it (%s)"):format(label(m), r.State, reason),
    evidence = M.settings(m),
    why = by_lambda and "Lambda turned the mapping off because it could not use it; the "
        .. "messages or records wait in the source and expire there"
      or "someone turned the mapping off (USER_INITIATED): messages or records pile up in "
        .. "the source, and nothing in the function's own metrics says so",
    fix = {
      explain = by_lambda and ("fix what the reason says (%s), then re-enable the mapping")
          :format(reason)
        or "re-enable the mapping once whatever it was paused for is over",
      commands = { ("runbook enable-event-sources.lua %s --uuid %s"):format(ctx.function_id,
        tostring(r.UUID)) },
    },
    confidence = "high",
    data = mapping_data(m, { headline = by_lambda
      and ("event source %s disabled by Lambda: %s"):format(m.name, reason) or nil }),
  }
end

--- 1b. The last batch failed.
function M.failing(ctx, m)
  ctx:finding{
    severity = "fail",
    title = ("%s is failing: %s"):format(label(m), m.raw.LastProcessingResult),
    evidence = M.settings(m),
    why = "Lambda could not process the last batch from this source; SQS messages return "
      .. "after their visibility timeout, stream records are retried and block their shard",
    fix = { explain = "the reason names the cause: the execution role's permissions on the "
      .. "source (access_denied step), the function's errors (errors step), or its timeout" },
    confidence = "high",
    data = mapping_data(m, { headline = ("event source %s failing: %s"):format(m.name,
      m.raw.LastProcessingResult) }),
  }
end

-- The stream plan: bisect failing batches, stop retrying forever (nil when both are set).
local function stream_plan(ctx, m)
  local r, changes = m.raw, {}
  if not r.BisectBatchOnFunctionError then changes.BisectBatchOnFunctionError = true end
  if (r.MaximumRetryAttempts or -1) < 0 then changes.MaximumRetryAttempts = ctx.args.stream_retries end
  if next(changes) == nil then return nil end
  return { actions.update_event_source_mapping(r.UUID, changes, r) }, changes
end

--- 2. IteratorAge high (and growing).
function M.iterator_age(ctx, _, m, age)
  local evidence = M.settings(m)
  table.insert(evidence, 1, ("IteratorAge (Maximum) in the last %s: up to %s; %s at the start, "
    .. "%s at the end"):format(ctx.window.label, stats.fmt_ms(age.max), stats.fmt_ms(age.first),
    stats.fmt_ms(age.last)))
  local p, changes = stream_plan(ctx, m)
  local words = {}
  for _, k in ipairs(text.sorted_keys(changes or {})) do
    words[#words + 1] = ("%s %s -> %s"):format(k, tostring(m.raw[k] or (k == "MaximumRetryAttempts"
      and -1 or false)), tostring(changes[k]))
  end
  ctx:finding{
    severity = age.growing and "fail" or "warn",
    title = age.growing
      and ("%s falls behind: IteratorAge grew from %s to %s"):format(label(m),
        stats.fmt_ms(age.first), stats.fmt_ms(age.last))
      or ("%s is behind: IteratorAge up to %s"):format(label(m), stats.fmt_ms(age.max)),
    evidence = evidence,
    why = ((m.raw.LastProcessingResult or ""):find("^PROBLEM")
        and ("the last batch failed (%s) and is retried, blocking its shard: "):format(
          m.raw.LastProcessingResult)
        or "the function reads the stream slower than it is written, or a failing batch is "
          .. "retried and blocks its shard: ")
      .. "records older than the stream's retention are lost",
    fix = {
      explain = "split failing batches and stop retrying a bad record forever so the shard "
        .. "moves on (send it to an on-failure destination); if the function is only slow, "
        .. "raise ParallelizationFactor or the memory",
      plan = p,
      changes = #words > 0 and table.concat(words, ", ") or nil,
    },
    confidence = age.growing and "high" or "medium",
    data = mapping_data(m, { iterator_age_ms = age.max, growing = age.growing,
                             headline = age.growing and ("%s %s falls behind: IteratorAge up to %s")
                               :format(kind_word(m), m.name, stats.fmt_ms(age.max)) or nil,
                             series = { label = "IteratorAge (ms)", unit = "ms",
                                        values = metrics.values(age.series) } }),
  }
end

--- 3a. The queue named by the mapping does not exist.
function M.no_queue(ctx, m, reason)
  ctx:finding{ severity = "info", title = ("%s: %s"):format(label(m), reason),
               evidence = M.settings(m), confidence = "medium", data = mapping_data(m) }
end

-- SetQueueAttributes VisibilityTimeout: the plan step and its verify entry.
local function visibility_plan(m, n, current)
  local url = m.queue.url
  local read = { service = "sqs", operation = "GetQueueAttributes",
                 params = { QueueUrl = url, AttributeNames = { "VisibilityTimeout" } } }
  local before = { Attributes = { VisibilityTimeout = tostring(current) } }
  local after = { Attributes = { VisibilityTimeout = tostring(n) } }
  local set = plan.call("sqs", "SetQueueAttributes", { QueueUrl = url, Attributes = after.Attributes }, {
    before = before, after = after, read = read,
    undo = { service = "sqs", operation = "SetQueueAttributes",
             params = { QueueUrl = url, Attributes = before.Attributes } },
  })
  return { set }, { { what = ("VisibilityTimeout == %d"):format(n), read = read,
                      path = "Attributes.VisibilityTimeout", op = "==", value = tostring(n) } }
end

--- 3b. VisibilityTimeout below the guidance (or below the function timeout).
function M.visibility(ctx, w, m, visibility)
  local timeout, factor = w.cfg.Timeout or 3, ctx.args.visibility_factor
  local n = math.min(M.MAX_VISIBILITY_S, factor * timeout)
  local p, verify = visibility_plan(m, n, visibility)
  local below = visibility < timeout
  local evidence = queue_lines(m, M.settings(m))
  table.insert(evidence, 1, ("VisibilityTimeout %d s against the function's Timeout %d s: "
    .. "%s times it, AWS recommends at least %d"):format(visibility, timeout,
    ("%.1f"):format(visibility / timeout), factor))
  ctx:finding{
    severity = below and "fail" or "warn",
    title = below
      and ("queue %s: VisibilityTimeout %d s is below the function's %d s timeout")
        :format(m.name, visibility, timeout)
      or ("queue %s: VisibilityTimeout %d s is below %d x the function's %d s timeout (%d s)")
        :format(m.name, visibility, factor, timeout, factor * timeout),
    evidence = evidence,
    why = below and "a message becomes visible again while the function is still working on "
        .. "it: another invocation receives it too, so it is processed twice"
      or "Lambda retries a failed or throttled batch while its messages are still invisible "
        .. "only if the visibility timeout leaves room: below six times the timeout, retries "
        .. "race the queue and messages are processed twice or sent to the DLQ early",
    fix = { explain = ("raise the queue's VisibilityTimeout to %d s (%d x the function's "
      .. "timeout)"):format(n, factor), plan = p, verify = verify,
      changes = ("VisibilityTimeout %d s -> %d s"):format(visibility, n) },
    confidence = "high",
    data = mapping_data(m, { visibility_timeout_s = visibility, timeout_s = timeout,
                             recommended_s = n, queue_url = m.queue.url,
                             headline = below and ("queue %s VisibilityTimeout %d s is below the "
                               .. "%d s timeout"):format(m.name, visibility, timeout) or nil }),
  }
end

--- 3c. No redrive policy while messages fail.
function M.no_redrive(ctx, w, m)
  local evidence = queue_lines(m, M.settings(m))
  if w.errors and (w.errors.total or 0) > 0 then
    table.insert(evidence, 1, ("Errors (Sum) of the function in the last %s: %d"):format(
      ctx.window.label, math.floor(w.errors.total)))
  end
  local policy = json.encode({ deadLetterTargetArn = "DLQ_ARN", maxReceiveCount = "5" })
  ctx:finding{
    severity = "warn",
    title = ("queue %s has no redrive policy and its messages fail"):format(m.name),
    evidence = evidence,
    why = "a message the function cannot process comes back after every visibility timeout "
      .. "until MessageRetentionPeriod ends: it is retried for days, costs an invocation "
      .. "each time and is then lost",
    fix = {
      explain = "give the queue a dead-letter queue you choose (replace DLQ_ARN): after "
        .. "maxReceiveCount receives SQS moves the message there",
      commands = { ("aws sqs set-queue-attributes --queue-url %s --attributes '%s'"):format(
        m.queue.url, json.encode({ RedrivePolicy = policy })) },
      manual = "the dead-letter queue is yours to choose",
      changes = "RedrivePolicy: + dead-letter queue",
    },
    confidence = "medium",
    data = mapping_data(m, { queue_url = m.queue.url }),
  }
end

--- 3d. The oldest message is old: the function does not keep up.
function M.backlog(ctx, w, m)
  ctx:finding{
    severity = "warn",
    title = ("queue %s: the oldest message waited %s"):format(m.name, stats.fmt_ms(m.oldest_ms)),
    evidence = queue_lines(m, M.settings(m)),
    why = "messages arrive faster than the function processes them, or they fail and come "
      .. "back; past MessageRetentionPeriod they are deleted unread",
    fix = { explain = "see the throttle step (MaximumConcurrency, reserved concurrency) and "
      .. "the errors step; a larger BatchSize with a batching window raises throughput" },
    confidence = "medium",
    data = mapping_data(m, { oldest_ms = m.oldest_ms, timeout_s = w.cfg.Timeout }),
  }
end

--- 4. Poison messages: the same id failing in several invocations.
function M.poison(ctx, _, m, hits)
  local evidence = {}
  for i = 1, math.min(3, #hits) do
    local h = hits[i]
    evidence[#evidence + 1] = ("%s in the error lines of %d invocations, first at %s, last at %s")
      :format(h.id, h.invocations, h.first.iso or "?", h.last.iso or "?")
    evidence[#evidence + 1] = text.quote(h.last)
  end
  for _, line in ipairs(M.settings(m)) do evidence[#evidence + 1] = line end
  local top, ids = hits[1], {}
  for i, h in ipairs(hits) do ids[i] = { id = h.id, invocations = h.invocations } end
  ctx:finding{
    severity = "fail",
    title = ("poison message: %s failed in %d invocations"):format(top.id, top.invocations),
    evidence = evidence,
    why = "the same message or record fails every time it is delivered: without a redrive "
      .. "policy, bisecting or partial batch responses it is retried until it expires, and "
      .. "takes the rest of its batch with it",
    fix = { explain = "return the failed ids (FunctionResponseTypes ReportBatchItemFailures) "
      .. "so the rest of the batch succeeds, give the queue a redrive policy (SQS) or the "
      .. "mapping BisectBatchOnFunctionError and a finite MaximumRetryAttempts (streams), "
      .. "then fix the handler for this input" },
    confidence = top.invocations >= 2 * ctx.args.poison_repeats and "high" or "medium",
    data = mapping_data(m, { poison_ids = ids, headline = ("poison message %s failed in %d "
      .. "invocations"):format(top.id, top.invocations) }),
  }
end

--- Nothing wrong with a mapping: ok with its settings.
function M.healthy(ctx, w, m)
  local evidence = M.settings(m)
  if m.queue then queue_lines(m, evidence) end
  if w.iterator_age and w.iterator_age.max and m.kind == "stream" then
    evidence[#evidence + 1] = ("IteratorAge (Maximum): up to %s"):format(
      stats.fmt_ms(w.iterator_age.max))
  end
  ctx:finding{
    severity = "ok",
    title = ("%s: %s, last result %s"):format(label(m), m.raw.State or "Enabled",
      m.raw.LastProcessingResult or "none"),
    evidence = evidence, confidence = "high", data = mapping_data(m),
  }
end

return M
