--- timeout: "Task timed out after X seconds": is the timeout too short, and by how much.
--
-- Automates the field guide's "Diagnosing Lambda Timeout" (its first table row, step 1
-- "where is the time spent", step 4 "increase the timeout, under 29 s behind API
-- Gateway"). The checks, in the guide's order, over the REPORT lines and log events, the
-- Duration p99 (the second witness, the only one without a log group) and the APIs in front:
--   1. out of memory ("signal: killed" at Max Memory Used = Memory Size, Runtime.OutOfMemory,
--      MemoryError, "JavaScript heap out of memory"...): fail, more memory; without one but
--      with Max Memory Used near Memory Size (near_memory): warn, the same fix;
--   2. timed out ("Task timed out", REPORT Status: timeout): fail, a timeout from p99 with
--      headroom (at least doubled), capped at the API's or Lambda's 900 s (steps/timeout/fix);
--   3. close (no timeouts, p99 near the timeout): warn, the same fix;
--   4. API ceiling (an API gives up before the function): warn, or fail past it;
--   otherwise ok, with the numbers (steps/timeout/findings explains each);
--   5. with active tracing, the findings name where the time went (steps/timeout/trace:
--      the downstream call with the largest share of the timed-out invocations' time);
--      with tracing off, an `info` finding says so once, with the plan that turns it on.
-- The APIs in front come from the `apis` evidence, not the resource policy: a policy says
-- who MAY invoke (a statement can outlive its API), an integration is who DOES, and it
-- carries the integration timeout, the real ceiling (REST APIs may raise it past 29 s).
local findings = require("steps.timeout.findings")
local fix = require("steps.timeout.fix")
local logs = require("evidence.logs")
local metrics = require("evidence.metrics")
local stats = require("lib.stats")
local step = require("triage.step")
local text = require("lib.text")
local trace = require("steps.timeout.trace")
local data = require("triage.evidence").data

local P99, ERRORS = "metric:Duration:p99", "metric:Errors:Sum"
local checks = {} -- the named checks, defined below the manifest

local M = step.define{
  id = "timeout",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Timeouts",
  description = "Configured timeout against observed durations, timeout and out-of-memory "
    .. "log lines, and the integration timeout of the APIs in front",
  tags = { "default", "execution", "logs", "metrics" },
  fixes = { "lambda UpdateFunctionConfiguration", "iam AttachRolePolicy" },
  args = {
    margin = { default = 0.8, help = "p99 at this share of the timeout is too close" },
    headroom = { default = 1.5, help = "a new timeout is p99 times this" },
    growth = { default = 2, help = "after timeouts, at least this multiple of the current timeout" },
    api_ceiling_s = { default = 29, help = "a REST API's timeout when the integration sets none" },
    http_ceiling_s = { default = 30, help = "an HTTP API's timeout when the integration sets none" },
    max_timeout_s = { default = 900, help = "Lambda's maximum timeout" },
    low_memory_mb = { default = 512, help = "below this, a new timeout comes with more memory" },
    memory_growth = { default = 2, help = "out of memory: multiply the memory by this" },
    near_memory = { default = 0.9, help = "Max Memory Used at this share of Memory Size is too close" },
    memory_share = { default = 0.7, help = "a new memory size puts the peak at most at this share" },
    disagree = { default = 0.25, help = "REPORT lines and Duration metric disagree beyond this share" },
    max_examples = { default = 3, help = "log lines quoted per finding" },
  },
  needs = { "config", "?events", "?reports", "?" .. P99, "?apis", "?role", "?traces",
            "?" .. ERRORS },
  run = function(ctx, ev)
    local err = checks.unreadable(ev)
    if err then return ctx:error_from(err) end
    local w = checks.window(ctx, ev)
    local oom = checks.out_of_memory(ctx, ev, w)
    local near = not oom and checks.memory_near_limit(ctx, ev, w)
    local timed_out = checks.timed_out(ctx, ev, w)
    local close = checks.close(ctx, ev, w, oom or timed_out)
    local ceiling = checks.api_ceiling(ctx, ev, w)
    if not (oom or timed_out or close) then checks.all_clear(ctx, w) end
    checks.tracing(ctx, ev, w, oom or near or timed_out or close or ceiling)
  end,
}

--- The error to report when no duration can be read at all: logs failed (not absent)
--- and the metric has nothing, or the logs are absent and the metric failed.
function checks.unreadable(ev)
  local events, p99 = ev.events, ev[P99]
  if data(events) or p99.max then return nil end
  return events.failed or p99.failed
end

-- Which APIs invoke the function, and the soonest any of them gives up (seconds).
local function front_door(ctx, ev)
  local apis = ev.apis
  if apis.failed then return { unknown = apis.failed } end
  local fronts = {}
  for _, api in ipairs(apis.rest or {}) do
    for _, m in ipairs(api.methods) do
      fronts[#fronts + 1] = { kind = "REST", name = api.name, id = api.id,
                              route = m.method .. " " .. m.path, timeout_ms = m.timeout_ms }
    end
  end
  for _, api in ipairs(apis.http or {}) do
    for _, i in ipairs(api.integrations) do
      fronts[#fronts + 1] = { kind = "HTTP", name = api.name, id = api.id,
                              route = i.routes[1] and i.routes[1].key or "(no route)",
                              timeout_ms = i.timeout_ms }
    end
  end
  if #fronts == 0 and apis.errors and #apis.errors > 0 then
    return { unknown = apis.errors[1].err or {} }
  end
  local ceiling
  for _, f in ipairs(fronts) do
    local default = f.kind == "HTTP" and ctx.args.http_ceiling_s or ctx.args.api_ceiling_s
    local s = f.timeout_ms and math.floor(f.timeout_ms / 1000) or default
    ceiling = math.min(ceiling or s, s)
  end
  return { fronts = fronts, ceiling_s = ceiling }
end

-- The durations to judge: the REPORT lines, else the Duration metric's p99 points.
local function durations(ctx, ev, extra)
  local values = {}
  for i, r in ipairs(data(ev.reports) or {}) do values[i] = r.duration_ms end
  local s = stats.summary(values)
  s.source = "REPORT lines"
  local p99 = data(ev[P99])
  local line, agree = findings.cross_check(ctx, s, p99)
  if line then extra[#extra + 1] = line end
  if ev.events.absent then
    extra[#extra + 1] = ev.events.absent .. ": durations come from the metric only"
  end
  if s.count == 0 and p99 and p99.max then
    s = stats.summary(metrics.values(p99))
    s.p99, s.max = p99.max, p99.max
    s.source = ("Duration metric p99 per %d s, no REPORT lines"):format(p99.period)
  end
  return s, agree
end

--- What every check looks at: the configuration, the durations, the APIs in front,
--- whether p99 is close to the timeout, and the evidence lines that go with them.
function checks.window(ctx, ev)
  local cfg, extra = ev.config, {}
  local s, agree = durations(ctx, ev, extra)
  local off = fix.mode_of(cfg) ~= "Active"
  return {
    cfg = cfg, durations = s, agree = agree, extra = extra, api = front_door(ctx, ev),
    trace = trace.read(ev),
    tracing_off = off and ("X-Ray active tracing is off (TracingConfig %s): no trace says "
      .. "which call took the time; the plan turns it on"):format(fix.mode_of(cfg)) or nil,
    reports = data(ev.reports) or {}, events = data(ev.events) or {},
    p99 = data(ev[P99]),
    close = s.count > 0 and s.p99 >= ctx.args.margin * cfg.Timeout * 1000,
  }
end

-- What the runtimes print when they run out of memory. "signal: killed" may be another
-- kill, so it counts only when its invocation's REPORT line is at the limit (or there is
-- none for it); the others say it.
local KILLED = "signal: killed"
local OUT_OF_MEMORY = { "Runtime.OutOfMemory", "MemoryError", "JavaScript heap out of memory",
                        "java.lang.OutOfMemoryError", "fatal error: runtime: out of memory" }

local function at_limit(r)
  return r.max_memory_mb and r.memory_mb and r.max_memory_mb >= r.memory_mb
end

--- 1. Out of memory: "signal: killed" with Max Memory Used at Memory Size, or a runtime's
--- own out-of-memory error (Runtime.OutOfMemory, MemoryError, JavaScript heap...).
function checks.out_of_memory(ctx, ev, w)
  local report_of = {}
  for _, r in ipairs(w.reports) do report_of[r.request_id] = r end
  local killed, lines, explicit = {}, {}, 0
  for _, e in ipairs(w.events) do
    local said = text.contains_any(e.message, OUT_OF_MEMORY)
    local id = logs.request_id(e.message)
    local r = id and report_of[id]
    if said or (e.message:find(KILLED, 1, true) and (r == nil or at_limit(r))) then
      lines[#lines + 1] = e
      if said or (id and not r) then explicit = explicit + 1 end
      if id then killed[id] = e end
    end
  end
  local oom = {}
  for _, r in ipairs(w.reports) do
    if at_limit(r) and (killed[r.request_id] or r.error_type == "Runtime.OutOfMemory"
        or (#lines > 0 and next(killed) == nil)) then
      oom[#oom + 1] = r
    end
  end
  if #oom == 0 and explicit == 0 then return false end
  local mem = w.cfg.MemorySize or 128
  local target = fix.memory_target(ctx, mem, mem, true)
  local plan, verify
  if target > mem then plan, verify = fix.plan(ctx, ev, { MemorySize = target }) end
  findings.out_of_memory(ctx, w, oom, lines, { plan = plan, verify = verify, target = target })
  return true
end

--- 1b. No out-of-memory error, but the peak Max Memory Used of the invocations at the
--- current Memory Size is at `near_memory` of it: the next larger input fails.
function checks.memory_near_limit(ctx, ev, w)
  local mem, peaks = w.cfg.MemorySize or 128, {}
  for _, r in ipairs(w.reports) do
    if r.max_memory_mb and r.memory_mb == mem then peaks[#peaks + 1] = r.max_memory_mb end
  end
  if #peaks == 0 then return false end
  local s = stats.summary(peaks)
  if s.max < ctx.args.near_memory * mem then return false end
  local target = fix.memory_target(ctx, mem, s.max, false)
  local plan, verify
  if target > mem then plan, verify = fix.plan(ctx, ev, { MemorySize = target }) end
  findings.memory_near_limit(ctx, w, s, { plan = plan, verify = verify, target = target })
  return true
end

--- 2. Timed-out invocations: "Task timed out after X seconds" lines and REPORT Status:
--- timeout, one entry per request id (lines without an id count on their own).
function checks.timed_out(ctx, ev, w)
  local by_id, list = {}, {}
  for _, e in ipairs(w.events) do
    local after = e.message:match("Task timed out after ([%d.]+) seconds")
    if after then
      local id = logs.request_id(e.message)
      local item = { id = id, event = e, after_s = tonumber(after) }
      if id then by_id[id] = item end
      list[#list + 1] = item
    end
  end
  for _, r in ipairs(w.reports) do
    local item = by_id[r.request_id]
    if item then
      item.report = r
    elseif r.status == "timeout" then
      item = { id = r.request_id, report = r }
      by_id[r.request_id] = item
      list[#list + 1] = item
    end
  end
  if #list == 0 then return false end
  findings.timed_out(ctx, w, list, fix.too_short(ctx, ev, w, true))
  return true
end

--- 3. No timeouts yet, but p99 close to the timeout (reported unless 1 or 2 was).
function checks.close(ctx, ev, w, reported)
  if w.close and not reported then findings.close(ctx, w, fix.too_short(ctx, ev, w, false)) end
  return w.close
end

--- 4. An API that gives up before the function: its timeout is above the integration's,
--- or invocations ran past it.
function checks.api_ceiling(ctx, ev, w)
  local ceiling = w.api.ceiling_s
  if not ceiling then return false end
  local over = 0
  for _, r in ipairs(w.reports) do
    if r.duration_ms > ceiling * 1000 then over = over + 1 end
  end
  if w.cfg.Timeout <= ceiling and over == 0 then return false end
  local plan, verify = fix.plan(ctx, ev, { Timeout = ceiling })
  findings.api_ceiling(ctx, w, over, { plan = plan, verify = verify })
  return true
end

--- 5. The traces: an operator who may not read them gets the finding naming the
--- permission. With tracing off and invocations failing (CloudWatch Errors) while this
--- step found nothing of its own (`reported`: a timeout or close fix already turns tracing
--- on, and a memory or API fix is the one plan --fix=timeout offers), the one `info`
--- finding that says so and offers to turn it on.
function checks.tracing(ctx, ev, w, reported)
  if ev.traces.failed then return ctx:error_from(ev.traces.failed, "X-Ray traces") end
  if not w.tracing_off or reported then return end
  local errors = data(ev[ERRORS])
  if not (errors and (errors.total or 0) > 0) then return end
  trace.tracing_off(ctx, ev, ("%s invocation errors in the last %s (CloudWatch Errors), "
    .. "none of them traced"):format(stats.fmt_count(errors.total), ctx.window.label))
end

--- Nothing wrong: ok with the numbers, or a skip when there was nothing to judge.
function checks.all_clear(ctx, w)
  if w.durations.count > 0 then return findings.all_clear(ctx, w) end
  if w.api.ceiling_s and w.cfg.Timeout > w.api.ceiling_s then return end -- 4 said it
  ctx:skip(("no invocations in the last %s to compare with the %d s timeout")
    :format(ctx.window.label, w.cfg.Timeout))
end

return M
