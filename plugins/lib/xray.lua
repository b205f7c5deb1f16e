--- lib.xray: where an invocation's time went, read from X-Ray trace segment documents.
--
-- The field guide's first timeout step is "identify where time is being spent". A traced
-- Lambda invocation is two segments: AWS::Lambda (the service: dwell time, attempts) and
-- AWS::Lambda::Function (the function: Initialization, Invocation and Overhead
-- subsegments). The function's calls out are subsegments with `namespace` "aws" (an SDK
-- call: `name` is the service, `aws.operation` the operation), "remote" (HTTP:
-- `http.request.method` and `.url`) or a `sql` block (`sql.url`). This module turns
-- BatchGetTraces' Traces[].Segments[].Document (JSON text) into invocations with their
-- calls, then aggregates a sample: per downstream, its share of the invocation time
-- (overlapping calls counted once), p50/p95 call duration, error/fault/throttle counts;
-- the rest of the invocation time is the function's own code.
--
-- Pure: no AWS. evidence.traces reads the traces; the timeout, errors and cold_start
-- steps decide with what this returns.
--
--   local agg = xray.aggregate(xray.parse_traces(reply.Traces), { timeout_s = 3 })
--   print(xray.sentence(agg))  -- "94 % of the timed-out invocations' time was spent in ..."
local json = require("runbook.json")
local stats = require("lib.stats")

local M = {}

--- The origins X-Ray gives Lambda's two segments.
M.SERVICE_ORIGIN = "AWS::Lambda"
M.FUNCTION_ORIGIN = "AWS::Lambda::Function"

--- An invocation at this share of the timeout (or more) counts as timed out even without
--- a "Task timed out" cause in the trace.
M.TIMEOUT_SHARE = 0.98

--- The GetTraceSummaries filter expression for a function's own traces (X-Ray's complex
--- `id` keyword, which names the node by name and type).
function M.filter_expression(function_name)
  local name = tostring(function_name):gsub("[\\\"]", "\\%0")
  return ('service(id(name: "%s", type: "%s"))'):format(name, M.FUNCTION_ORIGIN)
end

-- A trace summary that is worth reading first: failed (fault, error, throttle) before the
-- others, then the slowest.
local function failed(s)
  return s.HasFault == true or s.HasError == true or s.HasThrottle == true
end

--- The trace ids to read from GetTraceSummaries' TraceSummaries: failed first, then by
--- Duration, slowest first; at most `max` (default 25).
function M.pick(summaries, max)
  local list = {}
  for _, s in ipairs(summaries or {}) do
    if type(s.Id) == "string" then list[#list + 1] = s end
  end
  table.sort(list, function(a, b)
    local fa, fb = failed(a), failed(b)
    if fa ~= fb then return fa end
    local da, db = a.Duration or 0, b.Duration or 0
    if da ~= db then return da > db end
    return a.Id < b.Id
  end)
  local ids = {}
  for i = 1, math.min(#list, max or 25) do ids[i] = list[i].Id end
  return ids
end

--- `ids` in batches of `size` (BatchGetTraces takes at most 5 ids a call).
function M.batches(ids, size)
  size = size or 5
  local out = {}
  for i, id in ipairs(ids) do
    local b = math.floor((i - 1) / size) + 1
    out[b] = out[b] or {}
    out[b][#out[b] + 1] = id
  end
  return out
end

-- "https://user:pw@api.example/charge?id=1#x" -> "https://api.example/charge": the calls
-- of one endpoint group together, and no credential or query value reaches a report.
local function clean_url(url)
  if type(url) ~= "string" then return nil end
  url = url:gsub("[?#].*$", "")
  url = url:gsub("^(%a[%w+.-]*://)[^/@]*@", "%1")
  return url
end

local function host_of(url)
  return url and url:match("^%a[%w+.-]*://([^/:]+)")
end

local function flag(doc)
  return doc.fault == true, doc.error == true, doc.throttle == true
end

-- What a subsegment calls, or nil when it is the function's own work (a custom or
-- runtime subsegment): { key, label, kind, service, operation, method, url, host }.
local function downstream_of(sub)
  local ns = sub.namespace
  if ns == "aws" then
    local aws = type(sub.aws) == "table" and sub.aws or {}
    local op = aws.operation
    local label = op and (sub.name .. " " .. op) or sub.name
    local resource = aws.table_name or aws.queue_url or aws.bucket_name
    if type(resource) == "string" then label = label .. " " .. resource end
    return { key = "aws " .. label, label = label, kind = "aws", service = sub.name,
             operation = op, resource = resource }
  end
  if type(sub.sql) == "table" then
    local url = clean_url(sub.sql.url) or sub.name
    return { key = "sql " .. tostring(url), label = tostring(url), kind = "sql", url = url,
             host = host_of(url), database = sub.sql.database_type }
  end
  if ns == "remote" then
    local req = type(sub.http) == "table" and type(sub.http.request) == "table"
      and sub.http.request or {}
    local url = clean_url(req.url)
    local method = type(req.method) == "string" and req.method:upper() or nil
    local target = url or sub.name
    local label = method and (method .. " " .. target) or target
    return { key = "remote " .. label, label = label, kind = "remote", method = method,
             url = url, host = host_of(url) or sub.name }
  end
  return nil
end

-- The status an HTTP subsegment saw (nil when none).
local function status_of(sub)
  local resp = type(sub.http) == "table" and sub.http.response
  return type(resp) == "table" and tonumber(resp.status) or nil
end

-- Walks `subs`, collecting downstream calls into `calls` (a call's own children, such as
-- an SDK's Marshal or Attempt subsegments, are part of it) and Lambda's named phases into
-- `phases`. `limit` is the end to give a call still in progress.
local function walk(subs, calls, phases, limit)
  for _, sub in ipairs(type(subs) == "table" and subs or {}) do
    if type(sub) == "table" then
      local d = downstream_of(sub)
      if d then
        local start = tonumber(sub.start_time)
        local finish = tonumber(sub.end_time)
        d.in_progress = finish == nil
        finish = finish or limit
        if start and finish then
          d.start, d.finish = start, math.max(start, finish)
          d.ms = (d.finish - d.start) * 1000
          d.fault, d.error, d.throttle = flag(sub)
          d.status = status_of(sub)
          calls[#calls + 1] = d
        end
      else
        local phase = sub.name
        if (phase == "Initialization" or phase == "Invocation" or phase == "Overhead")
            and not phases[phase] then
          phases[phase] = sub
        end
        -- calls made while initializing are the cold start's, not the invocation's
        if phase ~= "Initialization" then walk(sub.subsegments, calls, phases, limit) end
      end
    end
  end
end

-- The seconds of [a, b) covered by `intervals` (a list of {start, finish}), overlaps once.
local function covered(intervals, a, b)
  local list = {}
  for _, iv in ipairs(intervals) do
    local s, f = math.max(iv.start, a), math.min(iv.finish, b)
    if f > s then list[#list + 1] = { s, f } end
  end
  table.sort(list, function(x, y) return x[1] < y[1] end)
  local total, cur_s, cur_f = 0, nil, nil
  for _, iv in ipairs(list) do
    if cur_f and iv[1] <= cur_f then
      cur_f = math.max(cur_f, iv[2])
    else
      if cur_f then total = total + (cur_f - cur_s) end
      cur_s, cur_f = iv[1], iv[2]
    end
  end
  if cur_f then total = total + (cur_f - cur_s) end
  return total
end
M.covered = covered

local function span(doc)
  local s, f = tonumber(doc and doc.start_time), tonumber(doc and doc.end_time)
  if s and f and f >= s then return s, f end
  return nil
end

-- "Task timed out after 3.00 seconds" in a segment's cause, or nil.
local function cause_message(doc)
  local cause = type(doc) == "table" and doc.cause
  if type(cause) ~= "table" then return nil end
  for _, e in ipairs(type(cause.exceptions) == "table" and cause.exceptions or {}) do
    if type(e) == "table" and type(e.message) == "string" then return e.message end
  end
  return nil
end

--- One trace of BatchGetTraces (`{ Id, Duration, Segments = {{ Id, Document }} }`) as an
--- invocation: { id, function_name, start, invocation_ms, init_ms, overhead_ms, calls,
--- init_calls (made during Initialization), fault, error, throttle, timed_out, cause,
--- own_ms }; nil, reason when the trace has no
--- AWS::Lambda::Function segment (still being indexed, or not this function's).
function M.parse_trace(trace)
  local service, fn
  for _, seg in ipairs(type(trace) == "table" and trace.Segments or {}) do
    local doc = seg.Document
    if type(doc) == "string" then doc = json.decode(doc) end
    if type(doc) == "table" then
      if doc.origin == M.FUNCTION_ORIGIN and not fn then fn = doc end
      if doc.origin == M.SERVICE_ORIGIN and not service then service = doc end
    end
  end
  if not fn then return nil, "no " .. M.FUNCTION_ORIGIN .. " segment" end
  local fs, ff = span(fn)
  if not fs then return nil, "the function segment has no start and end time" end
  local calls, phases = {}, {}
  walk(fn.subsegments, calls, phases, ff)
  local inv_s, inv_f = span(phases.Invocation)
  if not inv_s then -- an older runtime: the segment less its initialization and overhead
    inv_s, inv_f = fs, ff
    local is, i_f = span(phases.Initialization)
    if is and i_f < ff then inv_s = math.max(inv_s, i_f) end
    local os_ = span(phases.Overhead)
    if os_ then inv_f = math.min(inv_f, os_) end
  end
  local inv = { fault = false, error = false, throttle = false }
  for _, doc in ipairs({ fn, service or {} }) do
    local f, e, t = flag(doc)
    inv.fault, inv.error, inv.throttle = inv.fault or f, inv.error or e, inv.throttle or t
    inv.cause = inv.cause or cause_message(doc)
  end
  local is, i_f = span(phases.Initialization)
  local os_, of = span(phases.Overhead)
  inv.init_calls = {}
  if phases.Initialization then
    walk(phases.Initialization.subsegments, inv.init_calls, {}, i_f or ff)
  end
  inv.id = trace.Id
  inv.function_name = fn.name
  inv.start, inv.finish = inv_s, inv_f
  inv.invocation_ms = (inv_f - inv_s) * 1000
  inv.init_ms = is and (i_f - is) * 1000 or nil
  inv.overhead_ms = os_ and (of - os_) * 1000 or nil
  inv.calls = calls
  inv.own_ms = math.max(0, inv.invocation_ms - covered(calls, inv_s, inv_f) * 1000)
  inv.timed_out = (inv.cause or ""):find("Task timed out", 1, true) ~= nil
  return inv
end

--- The calls made during the cold starts' Initialization, per downstream, slowest total
--- first: { {label, kind, calls, p95_ms, max_ms}, ... }.
function M.init_calls(invs)
  local rows, order = {}, {}
  for _, inv in ipairs(invs or {}) do
    for _, c in ipairs(inv.init_calls or {}) do
      local r = rows[c.key]
      if not r then
        r = { label = c.label, kind = c.kind, calls = 0, total = 0, durations = {} }
        rows[c.key] = r
        order[#order + 1] = r
      end
      r.calls, r.total = r.calls + 1, r.total + c.ms
      r.durations[#r.durations + 1] = c.ms
    end
  end
  table.sort(order, function(a, b) return a.total > b.total end)
  for _, r in ipairs(order) do
    local s = stats.summary(r.durations)
    r.p95_ms, r.max_ms = math.floor(s.p95 + 0.5), math.floor(s.max + 0.5)
    r.durations, r.total = nil, nil
  end
  return order
end

--- Every trace of BatchGetTraces' Traces parsed: invocations, and the ids of traces
--- without a function segment (`skipped`).
function M.parse_traces(traces)
  local out, skipped = {}, {}
  for _, trace in ipairs(traces or {}) do
    local inv = M.parse_trace(trace)
    if inv then out[#out + 1] = inv else skipped[#skipped + 1] = trace.Id end
  end
  table.sort(out, function(a, b) return a.invocation_ms > b.invocation_ms end)
  return out, skipped
end

local function round_ms(x)
  return x and math.floor(x + 0.5) or nil
end

-- Per downstream over `invs`: total covered time, call durations and failure counts.
local function by_downstream(invs)
  local rows, order = {}, {}
  for _, inv in ipairs(invs) do
    local per = {}
    for _, c in ipairs(inv.calls) do
      local r = rows[c.key]
      if not r then
        r = { key = c.key, label = c.label, kind = c.kind, service = c.service,
              operation = c.operation, resource = c.resource, method = c.method, url = c.url,
              host = c.host, calls = 0, traces = 0, failed_traces = 0, durations = {},
              errors = 0, faults = 0, throttles = 0, in_progress = 0, covered_ms = 0 }
        rows[c.key] = r
        order[#order + 1] = r
      end
      r.calls = r.calls + 1
      r.durations[#r.durations + 1] = c.ms
      if c.error then r.errors = r.errors + 1 end
      if c.fault then r.faults = r.faults + 1 end
      if c.throttle then r.throttles = r.throttles + 1 end
      if c.in_progress then r.in_progress = r.in_progress + 1 end
      per[c.key] = per[c.key] or {}
      table.insert(per[c.key], c)
    end
    for key, list in pairs(per) do
      local r = rows[key]
      r.traces = r.traces + 1
      for _, c in ipairs(list) do
        if c.fault or c.error or c.throttle then
          r.failed_traces = r.failed_traces + 1
          break
        end
      end
      r.covered_ms = r.covered_ms + covered(list, inv.start, inv.finish) * 1000
    end
  end
  return order
end

--- The sample's story: which invocations it speaks of (the timed-out ones when there are
--- any: `scope` "timed-out", else "failed", else "sampled"), their total invocation time,
--- the function's own share, and every downstream sorted by its share (largest first):
--- { key, label, kind, calls, traces, failed_traces (traces where a call of it failed),
--- share, covered_ms, p50_ms, p95_ms, max_ms, errors, faults, throttles }; `worst` is the
--- first when its share is at least opts.min_share (default 0.5). opts.timeout_s marks
--- invocations that ran to the timeout as timed out; opts.failed_first speaks of the failed
--- ones when none timed out, opts.only_failed of the failed ones (fault, error or
--- throttle) whatever else.
function M.aggregate(invs, opts)
  opts = opts or {}
  local limit_ms = opts.timeout_s and opts.timeout_s * 1000 * M.TIMEOUT_SHARE
  local timed, failed_list = {}, {}
  for _, inv in ipairs(invs or {}) do
    if inv.timed_out or (limit_ms and inv.invocation_ms >= limit_ms) then
      timed[#timed + 1] = inv
    end
    if inv.fault or inv.error or inv.throttle then failed_list[#failed_list + 1] = inv end
  end
  local scope, scoped = "sampled", invs or {}
  if opts.only_failed then
    scope, scoped = "failed", failed_list
  elseif #timed > 0 then
    scope, scoped = "timed-out", timed
  elseif #failed_list > 0 and opts.failed_first then
    scope, scoped = "failed", failed_list
  end
  local total, own, inits = 0, 0, {}
  for _, inv in ipairs(scoped) do
    total = total + inv.invocation_ms
    own = own + inv.own_ms
  end
  for _, inv in ipairs(invs or {}) do
    if inv.init_ms then inits[#inits + 1] = inv.init_ms end
  end
  local rows = by_downstream(scoped)
  for _, r in ipairs(rows) do
    local s = stats.summary(r.durations)
    r.p50_ms, r.p95_ms, r.max_ms = round_ms(s.p50), round_ms(s.p95), round_ms(s.max)
    r.share = total > 0 and r.covered_ms / total or 0
    r.covered_ms = round_ms(r.covered_ms)
    r.durations = nil
  end
  table.sort(rows, function(a, b)
    if a.share ~= b.share then return a.share > b.share end
    return a.key < b.key
  end)
  local init = stats.summary(inits)
  local agg = {
    traces = #(invs or {}), scope = scope, count = #scoped, timed_out = #timed,
    failed = #failed_list, invocation_ms = round_ms(total),
    own = { ms = round_ms(own), share = total > 0 and own / total or 0 },
    cold_starts = init.count, init_p50_ms = round_ms(init.p50),
    init_p95_ms = round_ms(init.p95), downstreams = rows,
  }
  local min_share = opts.min_share or 0.5
  if rows[1] and rows[1].share >= min_share and rows[1].share > agg.own.share then
    agg.worst = rows[1]
  end
  return agg
end

--- The downstream that failed most in `agg` (faults + errors + throttles, then share), or
--- nil when no call failed.
function M.failing(agg)
  local best, best_n
  for _, r in ipairs(agg and agg.downstreams or {}) do
    local n = r.faults + r.errors + r.throttles
    if n > 0 and (best == nil or n > best_n) then best, best_n = r, n end
  end
  return best, best_n
end

--- A share as a whole percentage: 0.937 -> "94 %".
function M.pct(share)
  return ("%d %%"):format(math.floor(share * 100 + 0.5))
end

local SCOPE_WORDS = { ["timed-out"] = "the timed-out invocations'", failed = "the failed invocations'",
                      sampled = "the sampled invocations'" }

--- The one line that names where the time went: "94 % of the timed-out invocations' time
--- was spent in POST https://api.partner.example/charge: p95 2.8 s over 8 traces"; the
--- function's own code when no downstream dominates; nil for an empty sample.
function M.sentence(agg)
  if not agg or agg.count == 0 then return nil end
  local who = SCOPE_WORDS[agg.scope] or SCOPE_WORDS.sampled
  local w = agg.worst
  if w then
    return ("%s of %s time was spent in %s: p95 %s over %d %s"):format(M.pct(w.share), who,
      w.label, stats.fmt_ms(w.p95_ms), w.traces, w.traces == 1 and "trace" or "traces")
  end
  return ("%s of %s time was spent in the function's own code (no downstream call "
    .. "dominates) over %d %s"):format(M.pct(agg.own.share), who, agg.count,
    agg.count == 1 and "trace" or "traces")
end

local function plural(n, word)
  return ("%d %s%s"):format(n, word, n == 1 and "" or "s")
end

--- One evidence line per downstream (at most `max`, default 5), largest share first:
--- "POST https://api.partner.example/charge: 94 % of the time, 8 calls in 8 traces, p50
--- 2.7 s, p95 2.8 s, 2 faults".
function M.lines(agg, max)
  local out = {}
  for i, r in ipairs(agg and agg.downstreams or {}) do
    if i > (max or 5) then break end
    local extra = {}
    if r.faults > 0 then extra[#extra + 1] = plural(r.faults, "fault") end
    if r.errors > 0 then extra[#extra + 1] = plural(r.errors, "error") end
    if r.throttles > 0 then
      extra[#extra + 1] = ("%d throttled"):format(r.throttles)
    end
    if r.in_progress > 0 then
      extra[#extra + 1] = ("%d still running when the invocation ended"):format(r.in_progress)
    end
    out[#out + 1] = ("%s: %s of the time, %d %s in %d %s, p50 %s, p95 %s%s"):format(
      r.label, M.pct(r.share), r.calls, r.calls == 1 and "call" or "calls", r.traces,
      r.traces == 1 and "trace" or "traces", stats.fmt_ms(r.p50_ms), stats.fmt_ms(r.p95_ms),
      #extra > 0 and (", " .. table.concat(extra, ", ")) or "")
  end
  if agg and agg.count > 0 then
    out[#out + 1] = ("the function's own code: %s of the time"):format(M.pct(agg.own.share))
  end
  return out
end

return M
