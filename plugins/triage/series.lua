--- triage.series: the metric series a finished run already read, for the report's charts.
--
-- The HTML report draws Duration against the timeout, Errors, Throttles and Invocations
-- over the window. The steps have read those series (evidence "metric:NAME:STAT", kept in
-- the run's memo) or a fleet handed them to the run (run.preset), so the report takes them
-- from there and never makes an AWS call of its own: a series no step read is absent.
-- Duration is the first statistic the run holds of p99, Maximum, p95 and Average.
local json = require("runbook.json")

local M = {}

--- The series the report carries, by "NAME:STAT"; for Duration the first held of these.
M.DURATION = { "p99", "Maximum", "p95", "Average" }
M.COUNTS = { "Errors:Sum", "Throttles:Sum", "Invocations:Sum" }

-- The value of evidence `name` if the run holds it already: the preset (a fleet's reads;
-- rawget, so a fleet's "not read" fallback is never consulted), else a finished memo task.
local function held(run, name)
  local preset = run.preset and rawget(run.preset, name)
  if type(preset) == "table" then return preset end
  local task = run.memo and run.memo["evidence:" .. name]
  if type(task) == "table" and task.done and task.results and task.results.n > 0 then
    local value = task.results[1]
    if type(value) == "table" then return value end
  end
  return nil
end

-- A series evidence value -> {period, points = [{time, value}]} | nil (absent or failed).
local function chart_series(value)
  if not value or value.failed or value.absent or type(value.points) ~= "table" then
    return nil
  end
  local points = {}
  for i, p in ipairs(value.points) do
    if type(p.time) ~= "number" or type(p.value) ~= "number" then return nil end
    points[i] = { time = p.time, value = p.value }
  end
  return { period = value.period, points = json.array(points) }
end

--- The report's `series`: {["Duration:p99"] = {period, points}, ["Errors:Sum"] = ...} or
--- nil when the run read none of them.
function M.of(run)
  local out, any = {}, false
  for _, stat in ipairs(M.DURATION) do
    local s = chart_series(held(run, "metric:Duration:" .. stat))
    if s then
      out["Duration:" .. stat], any = s, true
      break
    end
  end
  for _, name in ipairs(M.COUNTS) do
    local s = chart_series(held(run, "metric:" .. name))
    if s then out[name], any = s, true end
  end
  return any and out or nil
end

--- The configured timeout in seconds, from the configuration the run read | nil.
function M.timeout_s(run)
  local cfg = held(run, "config")
  if cfg and not cfg.failed and not cfg.absent and type(cfg.Timeout) == "number" then
    return cfg.Timeout
  end
  return nil
end

return M
