--- steps.timeout.trace: what the X-Ray traces say about a timeout, in words and data.
--
-- The field guide's timeout step 1 is "identify where time is being spent". With active
-- tracing the `traces` evidence (evidence.traces, lib.xray) says it per downstream call;
-- this module turns its aggregate into the evidence lines, title clause, headline and
-- report data of the timeout findings, and, with tracing off, into the one `info` finding
-- that says so and offers to turn it on (the timeout step owns it, so it is said once).
local fix = require("steps.timeout.fix")
local stats = require("lib.stats")
local xray = require("lib.xray")
local data = require("triage.evidence").data

local M = {}

--- The trace summary of the run, or nil when there is none to speak of:
--- { tr (the evidence), agg (lib.xray.aggregate), sentence, worst }.
function M.read(ev)
  local tr = data(ev.traces)
  if not tr then return nil end
  local agg = tr.aggregate
  return { tr = tr, agg = agg, sentence = xray.sentence(agg), worst = agg and agg.worst }
end

--- Evidence lines: the sentence, one line per downstream, and what limits the sample.
function M.lines(t)
  local out = {}
  if t.sentence then out[#out + 1] = t.sentence .. " (X-Ray)" end
  if t.agg and t.agg.count > 0 then
    for _, line in ipairs(xray.lines(t.agg, 4)) do out[#out + 1] = "  " .. line end
  end
  out[#out + 1] = ("%d of %d traces read in full (slowest and failed first, %s)"):format(
    #t.tr.traces, t.tr.summaries, t.tr.filter)
  for _, note in ipairs(t.tr.notes or {}) do out[#out + 1] = note end
  return out
end

--- The title clause naming the slow call: ": 93 % of their time in POST https://...".
function M.title_clause(t)
  if not (t and t.worst) then return "" end
  return (": %s of their time in %s"):format(xray.pct(t.worst.share), t.worst.label)
end

--- The verdict's headline when the traces explain the timeouts (nil otherwise).
function M.headline(t)
  if not (t and t.worst and t.agg.scope == "timed-out") then return nil end
  return ("%s of the timed-out invocations' time in %s (p95 %s over %d traces)"):format(
    xray.pct(t.worst.share), t.worst.label, stats.fmt_ms(t.worst.p95_ms), t.worst.traces)
end

--- What the fix says when the traces name the slow call (nil otherwise).
function M.advice(t)
  local w = t and t.worst
  if not w then return nil end
  return ("the traces name the slow call: %s (p95 %s). Give it a client timeout below the "
    .. "function's and handle its failure (retry with backoff, or queue the work and answer "
    .. "at once), and take its latency to its owner: a longer timeout only buys time")
    :format(w.label, stats.fmt_ms(w.p95_ms))
end

local function row_data(r)
  return { label = r.label, kind = r.kind, service = r.service, operation = r.operation,
           method = r.method, url = r.url, host = r.host, share = r.share,
           covered_ms = r.covered_ms, p50_ms = r.p50_ms, p95_ms = r.p95_ms, max_ms = r.max_ms,
           calls = r.calls, traces = r.traces, errors = r.errors, faults = r.faults,
           throttles = r.throttles }
end

--- The findings' `data.trace` (docs/report-schema.md, "Trace data").
function M.data(t)
  if not t then return nil end
  local agg, tr = t.agg, t.tr
  local rows = {}
  for i, r in ipairs(agg.downstreams) do
    if i > 10 then break end
    rows[i] = row_data(r)
  end
  return {
    summaries = tr.summaries, read = #tr.traces, truncated = tr.truncated,
    unprocessed = #tr.unprocessed, scope = agg.scope, scoped = agg.count,
    invocation_ms = agg.invocation_ms, own_share = agg.own.share,
    worst = t.worst and row_data(t.worst) or nil, downstreams = rows,
    sentence = t.sentence, notes = tr.notes,
  }
end

--- With tracing off: the one `info` finding that says so, with the plan that turns it on
--- (and grants the role X-Ray's write permission when it lacks it).
function M.tracing_off(ctx, ev, why_now)
  local cfg = ev.config
  local plan, verify = fix.plan(ctx, ev, { TracingConfig = { Mode = "Active" } })
  ctx:finding{
    severity = "info",
    title = "X-Ray active tracing is off: no trace can say which call takes the time",
    evidence = { ("TracingConfig %s (GetFunctionConfiguration of %s)"):format(
      fix.mode_of(cfg), cfg.FunctionArn), why_now },
    why = "with active tracing every sampled invocation records its calls (AWS SDK, HTTP, "
      .. "SQL) with their durations and failures, so the next timeout or error names the "
      .. "slow or failing dependency instead of leaving it to guesswork",
    fix = { explain = "turn on X-Ray active tracing (sampled: the first request each second "
              .. "and 5 % of the rest, at a small cost per trace)",
            plan = plan, verify = verify,
            changes = fix.changes_text(cfg, { TracingConfig = { Mode = "Active" } }, plan) },
    confidence = "high",
    data = { tracing = fix.mode_of(cfg) },
  }
end

return M
