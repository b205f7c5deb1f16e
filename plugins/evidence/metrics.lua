--- evidence.metrics: the function's AWS/Lambda CloudWatch metrics over the run's window.
--
-- The guide reads Throttles, Duration p99 and friends with get-metric-statistics; steps
-- do the same through this module so each (metric, statistic) is fetched once per run,
-- with a period that keeps a series short enough for a sparkline (at most 60 points,
-- never under CloudWatch's 60 s) and timestamps as epoch seconds.
--
--   local s, err = metrics.series(ctx, "Throttles", "Sum")
--   if s then print(s.total, s.max, #s.points) end
local time = require("lib.time")

local M = {}

--- Most points per series: the period is the window divided by this, in whole minutes.
M.max_points = 60

--- "2026-11-27T02:41:00.000Z" (or an epoch number) -> epoch seconds (lib.time.epoch).
M.epoch = time.epoch

--- The period (seconds) for a window: a multiple of 60 giving at most M.max_points points.
function M.period_for(seconds)
  local minutes = math.ceil(seconds / 60 / M.max_points)
  if minutes < 1 then minutes = 1 end
  return math.floor(minutes * 60)
end

--- The Dimensions CloudWatch files the function's metrics under.
function M.dimensions(ctx)
  local dims = { { Name = "FunctionName", Value = ctx.function_name } }
  if ctx.qualifier then
    dims[2] = { Name = "Resource", Value = ctx.function_name .. ":" .. ctx.qualifier }
  end
  return dims
end

local BASIC = { Sum = true, Average = true, Maximum = true, Minimum = true, SampleCount = true }

local function fetch(ctx, name, statistic, opts)
  local period = opts.period or M.period_for(ctx.window.seconds or
                                             (ctx.window.finish - ctx.window.start))
  local params = {
    Namespace = opts.namespace or "AWS/Lambda",
    MetricName = name,
    Dimensions = opts.dimensions or M.dimensions(ctx),
    StartTime = ctx.window.start,
    EndTime = ctx.window.finish,
    Period = period,
  }
  if BASIC[statistic] then
    params.Statistics = { statistic }
  else
    params.ExtendedStatistics = { statistic }
  end
  local reply, err = ctx.aws.call("monitoring", "GetMetricStatistics", params)
  if not reply then return nil, err end
  local points = {}
  for _, d in ipairs(reply.Datapoints or {}) do
    local value = d[statistic]
    if value == nil and d.ExtendedStatistics then value = d.ExtendedStatistics[statistic] end
    local at = M.epoch(d.Timestamp)
    if value ~= nil and at then points[#points + 1] = { time = at, value = value } end
  end
  return M.series_of(points, period, name, statistic)
end

--- A series from its points ({time, value}, any order): sorted, with its total and max.
--- (GetMetricStatistics here and a fleet's GetMetricData sweep give the same shape.)
function M.series_of(points, period, name, statistic)
  table.sort(points, function(a, b) return a.time < b.time end)
  local total, max = 0, nil
  for _, p in ipairs(points) do
    total = total + p.value
    if max == nil or p.value > max then max = p.value end
  end
  return { points = points, total = total, max = max, period = period, metric = name,
           statistic = statistic }
end

--- One AWS/Lambda metric of the function over ctx.window:
--- {points = {{time = epoch_s, value = n}, ...} sorted, total, max (nil when empty), period}
--- or nil, err. `statistic` is Sum/Average/Maximum/Minimum/SampleCount or a pNN.
--- opts: period (seconds), dimensions (instead of the function's), namespace.
function M.series(ctx, name, statistic, opts)
  opts = opts or {}
  local key = ("metrics.series:%s:%s:%s:%s"):format(opts.namespace or "AWS/Lambda", name,
                                                     statistic, tostring(opts.period or ""))
  if opts.dimensions then -- given dimensions, even none (account-wide), are another series
    key = key .. ":dimensions"
    for _, d in ipairs(opts.dimensions) do key = key .. ":" .. d.Name .. "=" .. d.Value end
  end
  return ctx:once(key, function() return fetch(ctx, name, statistic, opts) end)
end

--- The plain values of a series, oldest first (for a sparkline).
function M.values(series)
  local out = {}
  for i, p in ipairs(series and series.points or {}) do out[i] = p.value end
  return out
end

return M
