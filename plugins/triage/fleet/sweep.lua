--- triage.fleet.sweep: one GetMetricData sweep over every function of a target, and the
--- symptoms it shows.
--
-- A single-function triage reads each metric with its own GetMetricStatistics call. For a
-- fleet that would be a dozen calls per function; GetMetricData takes up to 500 queries
-- a call, so the sweep reads every series every selected step declares ("metric:NAME:STAT"
-- in its needs) plus the symptom metrics, for every function, in a few calls under
-- CloudWatch's 50 per second. Each series comes back in the shape evidence.metrics gives
-- (same period, same points), and is handed to the function's run as preset evidence, so
-- the steps decide on exactly the numbers a single-function triage would read.
--
-- API Gateway answers a 403 or a 5xx before Lambda sees the call, so the sweep also reads
-- 4XXError/5XXError of every REST API and 4xx/5xx of every HTTP API that integrates one of
-- the functions.
local metrics = require("evidence.metrics")

local M = {}

--- Queries per GetMetricData call (the API's maximum).
M.batch = 500

--- The function series every fleet sweep reads, whatever the steps declare: what decides
--- whether a function gets its logs, traces and policies read.
M.SYMPTOMS = {
  "Errors:Sum", "Throttles:Sum", "Invocations:Sum", "Duration:Maximum",
  "AsyncEventsDropped:Sum", "DeadLetterErrors:Sum", "DestinationDeliveryFailures:Sum",
  "IteratorAge:Maximum", "Url4xxCount:Sum", "Url5xxCount:Sum",
}

--- The "NAME:STAT" series to read: the symptoms, then every "metric:NAME:STAT" the items'
--- steps need, each once; and the account-wide "account_metric:NAME:STAT" ones.
function M.series_names(items)
  local seen, out, account = {}, {}, {}
  local function add(list, name)
    if not seen[list][name] then
      seen[list][name] = true
      list[#list + 1] = name
    end
  end
  seen[out], seen[account] = {}, {}
  for _, name in ipairs(M.SYMPTOMS) do add(out, name) end
  for _, item in ipairs(items) do
    for _, need in ipairs(item.step and item.step.needs or {}) do
      local n = tostring(need):gsub("^%?", "")
      local fn_series, account_series = n:match("^metric:(.+:.+)$"), n:match("^account_metric:(.+:.+)$")
      if fn_series then add(out, fn_series) end
      if account_series then add(account, account_series) end
    end
  end
  return out, account
end

-- One query: id "q<n>", the metric, the period and statistic.
local function query(n, namespace, name, dims, period, stat)
  return { Id = "q" .. n, ReturnData = true, MetricStat = {
    Metric = { Namespace = namespace, MetricName = name, Dimensions = dims },
    Period = period, Stat = stat } }
end

-- A GetMetricData result -> the evidence.metrics series shape.
local function series_of(result, name, stat, period)
  local points = {}
  for i, t in ipairs(result and result.Timestamps or {}) do
    local at, value = metrics.epoch(t), result.Values[i]
    if at and value ~= nil then points[#points + 1] = { time = at, value = value } end
  end
  return metrics.series_of(points, period, name, stat)
end

-- Sends the queries in batches of M.batch, following NextToken; results by query id:
-- {id = result} (Timestamps and Values of every page joined) | nil, err.
local function fetch(api, queries, window)
  local by_id = {}
  for first = 1, #queries, M.batch do
    local batch = { table.unpack(queries, first, math.min(#queries, first + M.batch - 1)) }
    local params = { MetricDataQueries = batch, StartTime = window.start,
                     EndTime = window.finish, ScanBy = "TimestampAscending" }
    repeat
      local reply, err = api.call("monitoring", "GetMetricData", params)
      if not reply then return nil, err end
      for _, r in ipairs(reply.MetricDataResults or {}) do
        local into = by_id[r.Id]
        if into then
          for i, t in ipairs(r.Timestamps or {}) do
            into.Timestamps[#into.Timestamps + 1] = t
            into.Values[#into.Values + 1] = r.Values[i]
          end
        else
          by_id[r.Id] = { Timestamps = r.Timestamps or {}, Values = r.Values or {} }
        end
      end
      params.NextToken = reply.NextToken
    until params.NextToken == nil or params.NextToken == ""
  end
  return by_id
end

--- Reads `names` ("NAME:STAT") for every function, the account-wide `account_names` and
--- the error metrics of `apis` over the window. functions: { {name = FunctionName}, ... };
--- apis: { {kind = "rest"|"http", id, name}, ... }.
--- -> { [fn name] = { ["metric:NAME:STAT"] = series } },
---    { [api id] = { errors4 = n, errors5 = n } },
---    { ["account_metric:NAME:STAT"] = series } | nil, err
function M.read(api, functions, names, account_names, apis, window)
  local period = metrics.period_for(window.seconds or (window.finish - window.start))
  local queries, wanted, account = {}, {}, {}
  for _, series in ipairs(account_names) do
    local name, stat = series:match("^(.+):(.+)$")
    queries[#queries + 1] = query(#queries + 1, "AWS/Lambda", name, {}, period, stat)
    wanted[#queries] = { account = true, key = "account_metric:" .. series, name = name,
                         stat = stat }
  end
  for _, fn in ipairs(functions) do
    local dims = { { Name = "FunctionName", Value = fn.name } }
    for _, series in ipairs(names) do
      local name, stat = series:match("^(.+):(.+)$")
      queries[#queries + 1] = query(#queries + 1, "AWS/Lambda", name, dims, period, stat)
      wanted[#queries] = { fn = fn.name, key = "metric:" .. series, name = name, stat = stat }
    end
  end
  for _, a in ipairs(apis) do
    local rest = a.kind == "rest"
    local dims = rest and { { Name = "ApiName", Value = a.name } } or { { Name = "ApiId", Value = a.id } }
    for _, code in ipairs({ "4", "5" }) do
      local name = rest and (code .. "XXError") or (code .. "xx")
      queries[#queries + 1] = query(#queries + 1, "AWS/ApiGateway", name, dims, period, "Sum")
      wanted[#queries] = { api = a.id, key = "errors" .. code }
    end
  end
  local results, err = fetch(api, queries, window)
  if not results then return nil, err end
  local by_fn, by_api = {}, {}
  for i, w in ipairs(wanted) do
    local r = results["q" .. i]
    if w.account then
      account[w.key] = series_of(r, w.name, w.stat, period)
    elseif w.fn then
      by_fn[w.fn] = by_fn[w.fn] or {}
      by_fn[w.fn][w.key] = series_of(r, w.name, w.stat, period)
    else
      by_api[w.api] = by_api[w.api] or {}
      by_api[w.api][w.key] = series_of(r, w.key, "Sum", period).total
    end
  end
  return by_fn, by_api, account
end

local function total(s) return s and s.total or 0 end
local function max_of(s) return s and s.max or 0 end

--- Why the function needs a full triage, from its swept series, its configuration and its
--- APIs' error counts: a list of short reasons ("12 errors"), empty when the sweep shows
--- nothing. margin: the timeout step's (Duration at this share of the timeout is a symptom).
function M.symptoms(series, cfg, api_errors, opts)
  local out = {}
  local function say(cond, fmt, ...)
    if cond then out[#out + 1] = fmt:format(...) end
  end
  local timeout_ms = (cfg.Timeout or 3) * 1000
  say(total(series["metric:Errors:Sum"]) > 0, "%d errors", total(series["metric:Errors:Sum"]))
  say(total(series["metric:Throttles:Sum"]) > 0, "%d throttles",
    total(series["metric:Throttles:Sum"]))
  local longest = max_of(series["metric:Duration:Maximum"])
  say(longest >= opts.margin * timeout_ms, "Duration up to %d ms of the %d ms timeout",
    longest, timeout_ms)
  for _, m in ipairs({ "AsyncEventsDropped", "DeadLetterErrors", "DestinationDeliveryFailures",
                       "Url4xxCount", "Url5xxCount" }) do
    local n = total(series["metric:" .. m .. ":Sum"])
    say(n > 0, "%s %d", m, n)
  end
  local age = max_of(series["metric:IteratorAge:Maximum"])
  say(age > opts.iterator_age_s * 1000, "IteratorAge %d s", age / 1000)
  for _, e in ipairs(api_errors) do
    say(e.errors4 > 0 or e.errors5 > 0, "API %s: %d 4xx, %d 5xx", e.id, e.errors4, e.errors5)
  end
  return out
end

return M
