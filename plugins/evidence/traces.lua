--- evidence.traces: the function's X-Ray traces in the window, read and parsed (lib.xray).
--
-- The field guide's first timeout step is "identify where time is being spent", and a
-- trace says it per call. Only a function with active tracing has traces, so without
-- TracingConfig.Mode Active the evidence is absent and nothing is read. Otherwise:
--   1. GetTraceSummaries over the window (X-Ray answers at most 6 hours per call: a longer
--      window keeps its last 6 hours) filtered to the function's own node
--      (`service(id(name: "FN", type: "AWS::Lambda::Function"))`), in M.slices time
--      slices read at once (pages are sequential), paged up to M.max_pages in all;
--   2. the failed traces first, then the slowest, at most M.max_traces (25) of them;
--   3. BatchGetTraces for those, M.batch_size (5) ids a call, the batches at once.
-- A list that is empty (and, when the window ends now, may still be being indexed: X-Ray
-- takes up to a minute), cut at the page cap, or with traces X-Ray is still processing
-- says so in `notes`, so a finding never reads "no traces" as "nothing happened".
--
--   ev.traces -> { mode, filter, start, finish, clipped, summaries, pages, truncated,
--                  requested, traces = {invocations (lib.xray.parse_trace)}, skipped,
--                  unprocessed, errors = {{what, err}}, notes = {lines}, aggregate }
--              | { absent = "X-Ray active tracing is off (TracingConfig PassThrough)" }
local runbook = require("runbook")
local evidence = require("triage.evidence")
local xray = require("lib.xray")

local M = {}

M.max_pages = 10       -- GetTraceSummaries pages read at most (M.max_pages / M.slices a slice)
M.slices = 5           -- time slices of the range searched at once
M.max_traces = 25      -- traces read in full at most
M.batch_size = 5       -- BatchGetTraces ids per call (X-Ray's limit)
M.max_batch_pages = 3  -- BatchGetTraces pages per batch (a page per large trace)
M.max_range_s = 6 * 3600 -- GetTraceSummaries' longest time range
M.indexing_s = 60      -- traces this recent may not be searchable yet

--- The tracing mode of a configuration: "Active" or "PassThrough".
function M.mode(cfg)
  local tc = type(cfg) == "table" and cfg.TracingConfig
  return type(tc) == "table" and tc.Mode or "PassThrough"
end

-- One time slice's summaries, up to `cap` pages: list, pages, truncated | nil, err.
local function slice(ctx, params, cap)
  local list, pages = {}, 0
  for _ = 1, cap do
    local page, err = ctx.aws.call("xray", "GetTraceSummaries", params)
    if not page then return nil, err end
    pages = pages + 1
    for _, s in ipairs(page.TraceSummaries or {}) do list[#list + 1] = s end
    if not page.NextToken or page.NextToken == "" then return list, pages, false end
    params.NextToken = page.NextToken
  end
  return list, pages, true
end

-- Every summary of the range, up to the page cap. Pages are sequential, so the range is
-- cut into M.slices time slices searched at once, each with its share of the page cap:
-- the list costs about one round of calls instead of one round a page.
-- -> list, pages, truncated | nil, err
local function summaries(ctx, start, finish, filter)
  local n = math.max(1, math.min(M.slices, math.floor(finish - start)))
  local cap = math.max(1, M.max_pages // n)
  local ranges = {}
  for i = 1, n do
    ranges[i] = { start + (finish - start) * (i - 1) // n, start + (finish - start) * i // n }
  end
  local parts = runbook.map(ranges, function(r)
    return { slice(ctx, { StartTime = r[1], EndTime = r[2], FilterExpression = filter }, cap) }
  end)
  local list, seen, pages, truncated = {}, {}, 0, false
  for _, part in ipairs(parts) do
    if not part[1] then return nil, part[2] end
    pages, truncated = pages + part[2], truncated or part[3]
    for _, s in ipairs(part[1]) do
      if not seen[s.Id] then -- a trace on a slice boundary is listed once
        seen[s.Id] = true
        list[#list + 1] = s
      end
    end
  end
  return list, pages, truncated
end

-- One BatchGetTraces batch, its pages followed: traces, unprocessed ids | nil, err.
local function batch(ctx, ids)
  local params, traces, unprocessed = { TraceIds = ids }, {}, {}
  for _ = 1, M.max_batch_pages do
    local page, err = ctx.aws.call("xray", "BatchGetTraces", params)
    if not page then return nil, err end
    for _, t in ipairs(page.Traces or {}) do traces[#traces + 1] = t end
    for _, id in ipairs(page.UnprocessedTraceIds or {}) do unprocessed[#unprocessed + 1] = id end
    if not page.NextToken or page.NextToken == "" then break end
    params.NextToken = page.NextToken
  end
  return traces, unprocessed
end

-- The lines that keep an empty or partial list from reading as "nothing happened".
local function notes_for(out, ctx)
  local notes = {}
  if out.clipped then
    notes[#notes + 1] = ("X-Ray searches at most 6 hours at a time: traces read from %s on")
      :format(os.date("!%Y-%m-%dT%H:%M:%SZ", out.start))
  end
  if out.truncated then
    notes[#notes + 1] = ("partial: the trace list was cut after %d pages (%d summaries); the "
      .. "sample is the slowest and failed among those"):format(out.pages, out.summaries)
  end
  if out.indexing and out.summaries == 0 then
    notes[#notes + 1] = ("traces of the last %d s may still be being indexed by X-Ray")
      :format(M.indexing_s)
  end
  if #out.unprocessed > 0 then
    notes[#notes + 1] = ("%d %s still being processed by X-Ray (UnprocessedTraceIds)")
      :format(#out.unprocessed, #out.unprocessed == 1 and "trace is" or "traces are")
  end
  if out.summaries == 0 then
    notes[#notes + 1] = ("no traces of %s in the last %s (%s)"):format(ctx.function_name,
      ctx.window.label, out.filter)
  end
  return notes
end

--- The traces evidence (needs ev.config): absent without active tracing; a failed
--- GetTraceSummaries fails it (the step names xray:GetTraceSummaries); failed batches are
--- kept in `errors`, and fail it only when no trace could be read at all.
function M.provider(ctx, ev)
  local cfg = ev.config
  if cfg.absent or cfg.failed then return evidence.absent("no function configuration") end
  local mode = M.mode(cfg)
  if mode ~= "Active" then
    return evidence.absent(("X-Ray active tracing is off (TracingConfig %s)"):format(mode))
  end
  local finish = ctx.window.finish
  local start = math.max(ctx.window.start, finish - M.max_range_s)
  local out = { mode = mode, filter = xray.filter_expression(ctx.function_name), start = start,
                finish = finish, clipped = start > ctx.window.start, errors = {},
                indexing = (ctx.now or finish) - finish < M.indexing_s }
  local list, pages, truncated = summaries(ctx, start, finish, out.filter)
  if not list then return nil, pages end
  out.summaries, out.pages, out.truncated = #list, pages, truncated
  out.requested = xray.pick(list, M.max_traces)
  local batches = xray.batches(out.requested, M.batch_size)
  local results = runbook.map(batches, function(ids) return { batch(ctx, ids) } end)
  local raw, unprocessed = {}, {}
  for i, r in ipairs(results) do
    if r[1] then
      for _, t in ipairs(r[1]) do raw[#raw + 1] = t end
      for _, id in ipairs(r[2]) do unprocessed[#unprocessed + 1] = id end
    else
      out.errors[#out.errors + 1] = { what = ("BatchGetTraces of %d traces"):format(#batches[i]),
                                      err = r[2] }
    end
  end
  if #batches > 0 and #out.errors == #batches then return nil, out.errors[1].err end
  out.traces, out.skipped = xray.parse_traces(raw)
  out.unprocessed = unprocessed
  out.notes = notes_for(out, ctx)
  out.aggregate = xray.aggregate(out.traces, { timeout_s = cfg.Timeout })
  return out
end

return M
