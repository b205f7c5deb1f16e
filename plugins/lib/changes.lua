--- lib.changes: what changed around a function, and whether a change explains a failure.
--
-- The `changes` step asks "what changed just before it broke?". CloudTrail answers who
-- changed what and when (LookupEvents items, whose CloudTrailEvent is a JSON string);
-- the function's metrics answer when it broke. This module is the pure part: it reads
-- CloudTrail items into changes, finds the onset of errors, throttles or duration growth
-- in the metric series the steps already read (`metric:NAME:STAT` evidence shapes:
-- { points = {{time, value}}, period }), measures before/after around a change, and picks
-- the change that most likely caused the onset. No AWS, no clock: time is passed in.
--
-- Lambda writes its CloudTrail event names with the API version they were called with
-- (UpdateFunctionCode20150331v2, PublishVersion20150331, PutFunctionConcurrency20171031);
-- IAM writes plain names (PutRolePolicy). Both are matched as written: base_name() strips
-- the version for the kind, the change keeps the name AWS wrote.
local json = require("runbook.json")
local stats = require("lib.stats")
local time = require("lib.time")

local M = {}

--- The changes to the function that can break it, by base name: what kind of change.
M.LAMBDA = {
  UpdateFunctionCode = "code", UpdateFunctionConfiguration = "configuration",
  PublishVersion = "version", UpdateAlias = "alias", CreateAlias = "alias",
  DeleteAlias = "alias", PutFunctionConcurrency = "concurrency",
  DeleteFunctionConcurrency = "concurrency", AddPermission = "permission",
  RemovePermission = "permission", CreateEventSourceMapping = "event source",
  UpdateEventSourceMapping = "event source", DeleteEventSourceMapping = "event source",
}

--- The changes to the execution role, by name (IAM event names carry no version).
M.IAM = {
  PutRolePolicy = "role policy", DeleteRolePolicy = "role policy",
  AttachRolePolicy = "role policy", DetachRolePolicy = "role policy",
  UpdateAssumeRolePolicy = "trust policy",
}

--- "UpdateFunctionCode20150331v2" -> "UpdateFunctionCode"; "PutRolePolicy" unchanged.
function M.base_name(event_name)
  if type(event_name) ~= "string" then return nil end
  return (event_name:gsub("%d%d%d%d%d%d%d%d[v%d]*$", ""))
end

local function tbl(v)
  return type(v) == "table" and v ~= json.null and v or nil
end

local function str(v)
  return type(v) == "string" and v or nil
end

-- "arn:aws:sts::1:assumed-role/deploy/ci" -> "deploy/ci"; an IAM user -> its name.
function M.short_who(who)
  if type(who) ~= "string" then return "someone" end
  return who:match(":assumed%-role/(.+)$") or who:match(":user/(.+)$")
    or who:match(":role/(.+)$") or who
end

-- The changed fields of a change, from its requestParameters / responseElements.
local SKIP_FIELDS = { functionName = true, name = true, revisionId = true, roleName = true,
                      qualifier = true }

local function field_list(params)
  local out = {}
  for k in pairs(params or {}) do
    if not SKIP_FIELDS[k] then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

local function details(name, params, resp)
  params, resp = params or {}, resp or {}
  if name == "UpdateFunctionCode" then
    return { "new code" .. (str(resp.codeSha256) and (", CodeSha256 " .. resp.codeSha256) or "") },
      { code_sha256 = str(resp.codeSha256) } -- its version is $LATEST: not a deploy's
  elseif name == "PublishVersion" then
    return { "published version " .. tostring(str(resp.version) or "?") },
      { version = str(resp.version), code_sha256 = str(resp.codeSha256) }
  elseif name == "UpdateAlias" or name == "CreateAlias" then
    local routing = tbl(params.routingConfig)
    local weights = routing and tbl(routing.additionalVersionWeights)
    local line = ("alias %s -> version %s"):format(tostring(str(params.name) or "?"),
      tostring(str(params.functionVersion) or "?"))
    if weights and next(weights) then line = line .. " (weighted routing)" end
    return { line }, { alias = str(params.name), version = str(params.functionVersion),
                       weights = weights }
  elseif name == "UpdateFunctionConfiguration" then
    local fields = field_list(params)
    return { "changed " .. (#fields > 0 and table.concat(fields, ", ") or "configuration") },
      { fields = fields }
  elseif M.IAM[name] then
    local what = str(params.policyName) or str(params.policyArn) or "trust policy"
    return { ("%s on role %s: %s"):format(name, tostring(str(params.roleName) or "?"), what) },
      { role = str(params.roleName), policy = what }
  end
  local fields = field_list(params)
  return { #fields > 0 and ("fields " .. table.concat(fields, ", ")) or name }, { fields = fields }
end

--- One LookupEvents item (EventName, EventTime, Username, CloudTrailEvent) -> a change:
--- { name, event_name, kind, time, iso, who, short, params, what = {lines}, info = {...},
---   id, region } or nil when it is not a change this module knows.
function M.parse_event(item)
  if type(item) ~= "table" then return nil end
  local raw = str(item.CloudTrailEvent) and json.decode(item.CloudTrailEvent)
  raw = tbl(raw) or {}
  local event_name = str(raw.eventName) or str(item.EventName)
  local name = M.base_name(event_name)
  local kind = name and (M.LAMBDA[name] or M.IAM[name])
  if not kind then return nil end
  if raw.errorCode and raw.errorCode ~= json.null then return nil end -- a refused call changed nothing
  local identity = tbl(raw.userIdentity) or {}
  local who = str(identity.arn) or str(item.Username) or str(identity.principalId)
  local at = time.epoch(raw.eventTime or item.EventTime)
  if not at then return nil end
  local params, resp = tbl(raw.requestParameters), tbl(raw.responseElements)
  local what, info = details(name, params, resp)
  return { name = name, event_name = event_name, kind = kind, time = at, iso = time.iso(at),
           who = who or "unknown", short = M.short_who(who), params = params or {},
           what = what, info = info, id = str(raw.eventID) or str(item.EventId),
           region = str(raw.awsRegion) }
end

-- Changes made in the same second sort in the order a deploy makes them.
local ORDER = { UpdateFunctionCode = 1, UpdateFunctionConfiguration = 2, PublishVersion = 3,
                CreateAlias = 4, UpdateAlias = 5 }

--- LookupEvents items (any number of lists) -> changes, oldest first, each event once.
function M.parse_events(...)
  local out, seen = {}, {}
  for _, items in ipairs({ ... }) do
    for _, item in ipairs(items or {}) do
      local c = M.parse_event(item)
      local key = c and (c.id or (c.event_name .. c.time))
      if c and not seen[key] then
        seen[key] = true
        out[#out + 1] = c
      end
    end
  end
  table.sort(out, function(a, b)
    if a.time ~= b.time then return a.time < b.time end
    return (ORDER[a.name] or 99) < (ORDER[b.name] or 99) -- one second: a deploy's order
  end)
  return out
end

--- Consecutive changes by one identity within `gap` seconds (default 600) form a deploy:
--- { changes, time (the first), last, who, short, version, alias, code_sha256 }.
function M.group(changes, gap)
  gap = gap or 600
  local groups = {}
  for _, c in ipairs(changes) do
    local g = groups[#groups]
    if not (g and g.who == c.who and c.time - g.last <= gap) then
      g = { changes = {}, time = c.time, who = c.who, short = c.short }
      groups[#groups + 1] = g
    end
    g.changes[#g.changes + 1] = c
    g.last = c.time
    g.version = c.info.version or g.version
    g.alias = c.info.alias or g.alias
    g.code_sha256 = c.info.code_sha256 or g.code_sha256
  end
  return groups
end

--- The version alias `name` pointed at before its latest change, from changes (oldest
--- first): the latest UpdateAlias/CreateAlias of the alias must point where the alias
--- points now (`current`), and the one before it says where it pointed before.
--- -> version, change | nil, why.
function M.alias_before(list, name, current)
  local mine = {}
  for _, c in ipairs(list) do
    if (c.name == "UpdateAlias" or c.name == "CreateAlias") and c.info.alias == name
        and c.info.version then
      mine[#mine + 1] = c
    end
  end
  local last, before = mine[#mine], mine[#mine - 1]
  if not last then return nil, "CloudTrail has no change of alias " .. name end
  if last.info.version ~= current then
    return nil, ("CloudTrail's last change of alias %s (%s) pointed it at %s, but it now points "
      .. "at %s"):format(name, last.iso, last.info.version, tostring(current))
  end
  if not before then
    return nil, ("CloudTrail has no change of alias %s before %s"):format(name, last.iso)
  end
  return before.info.version, last
end

--- The names of a group's changes in order: "UpdateFunctionCode + PublishVersion + ...".
function M.names(group)
  local names = {}
  for _, c in ipairs(group.changes) do names[#names + 1] = c.name end
  return table.concat(names, " + ")
end

-- metric helpers -------------------------------------------------------------------------

local function by_time(series)
  local out = {}
  for _, p in ipairs(series and series.points or {}) do out[p.time] = p.value end
  return out
end

-- Sum of a series' values in [from, to).
local function sum_between(series, from, to)
  local s = 0
  for _, p in ipairs(series and series.points or {}) do
    if p.time >= from and p.time < to then s = s + p.value end
  end
  return s
end

local function values_between(series, from, to)
  local out = {}
  for _, p in ipairs(series and series.points or {}) do
    if p.time >= from and p.time < to then out[#out + 1] = p.value end
  end
  return out
end

--- The failure rate of `bad` over `total` (+ `bad` when add) in [from, to): rate, bad, total
--- (rate nil without traffic).
function M.rate(bad, total, from, to, add)
  local b, t = sum_between(bad, from, to), sum_between(total, from, to)
  if add then t = t + b end
  if t <= 0 then return nil, b, t end
  return b / t, b, t
end

--- The median of a series' per-period values in [from, to) (a pNN series: its typical level).
function M.level(series, from, to)
  local v = values_between(series, from, to)
  if #v == 0 then return nil end
  return stats.percentile(v, 50)
end

--- The onset of a failure in the metrics: the first period from which on the failure
--- holds and before which it did not (with traffic before it: a failure present since the
--- window began has no onset in it). `m` = { errors, invocations, throttles, duration }
--- (series; any may be nil). opts: min_rate (0.05), growth (1.5: duration p95 against
--- its level before), min_ms (100: smaller durations are no growth).
--- -> { kind = "errors"|"throttles"|"duration", time, before, after } or nil.
function M.onset(m, opts)
  opts = opts or {}
  local min_rate, growth = opts.min_rate or 0.05, opts.growth or 1.5
  local found
  local function try(kind, bad, total, add)
    local tot = by_time(total)
    for _, p in ipairs(bad and bad.points or {}) do
      local n = (tot[p.time] or 0) + (add and p.value or 0)
      if n > 0 and p.value / n >= min_rate then
        local before = M.rate(bad, total, -math.huge, p.time, add)
        local after = M.rate(bad, total, p.time, math.huge, add)
        if before ~= nil and before < min_rate / 2 and (after or 0) >= min_rate then
          if not found or p.time < found.time then
            found = { kind = kind, time = p.time, before = before, after = after }
          end
          return
        end
      end
    end
  end
  try("errors", m.errors, m.invocations)
  try("throttles", m.throttles, m.invocations, true)
  if m.duration and not found then
    for _, p in ipairs(m.duration.points or {}) do
      local before = M.level(m.duration, -math.huge, p.time)
      local after = M.level(m.duration, p.time, math.huge)
      if before and after and after >= math.max(before * growth, opts.min_ms or 100)
        and p.value >= before * growth then
        found = { kind = "duration", time = p.time, before = before, after = after }
        break
      end
    end
  end
  return found
end

--- Error rate and p95 duration before and after time `t`: { errors = {before, after},
--- duration = {before, after} } (rates as fractions, durations in ms; nil without data).
function M.impact(m, t)
  local out = { errors = {}, throttles = {}, duration = {} }
  out.errors.before = M.rate(m.errors, m.invocations, -math.huge, t)
  out.errors.after = M.rate(m.errors, m.invocations, t, math.huge)
  out.throttles.before = M.rate(m.throttles, m.invocations, -math.huge, t, true)
  out.throttles.after = M.rate(m.throttles, m.invocations, t, math.huge, true)
  out.duration.before = M.level(m.duration, -math.huge, t)
  out.duration.after = M.level(m.duration, t, math.huge)
  return out
end

--- The group (deploy) most likely to have caused `onset`: the last one that ended at
--- most one metric period after the onset began (periods are coarse) and no more than
--- `max_lag` seconds (default 1800) before it. -> group, lag_s | nil.
function M.likely_cause(groups, onset, period, max_lag)
  if not onset then return nil end
  max_lag, period = max_lag or 1800, period or 60
  local best
  for _, g in ipairs(groups) do
    if g.time <= onset.time + period and onset.time - g.time <= max_lag then best = g end
  end
  if not best then return nil end
  return best, math.max(0, onset.time + period - best.time)
end

--- A rate as people read it: 0.001 -> "0.1 %", 0.2413 -> "24 %", nil -> "no traffic".
function M.pct(r)
  if r == nil then return "no traffic" end
  local p = r * 100
  if p == 0 then return "0 %" end
  if p < 10 then return (("%.1f %%"):format(p):gsub("%.0 ", " ")) end
  return ("%d %%"):format(math.floor(p + 0.5))
end

local KIND_WORDS = { errors = "errors", throttles = "throttles", duration = "p95 duration" }

local function level_text(kind, v)
  if kind == "duration" then return v and stats.fmt_ms(v) or "no data" end
  return M.pct(v)
end

--- "errors went from 0.1 % to 24 % 3 min after UpdateFunctionCode + PublishVersion +
--- UpdateAlias by arn:...:assumed-role/deploy/ci at 02:41Z; CodeSha256 changed"
function M.sentence(group, onset)
  local lag = math.max(0, onset.time - group.time)
  local when = lag < 60 and "within a minute" or (time.age(lag))
  local s = ("%s went from %s to %s %s after %s by %s at %s"):format(
    KIND_WORDS[onset.kind], level_text(onset.kind, onset.before),
    level_text(onset.kind, onset.after), when, M.names(group), group.who,
    os.date("!%H:%MZ", math.floor(group.time)))
  local notes = {}
  if group.code_sha256 then notes[#notes + 1] = "CodeSha256 changed" end
  for _, c in ipairs(group.changes) do
    if c.name == "UpdateFunctionConfiguration" and #(c.info.fields or {}) > 0 then
      notes[#notes + 1] = table.concat(c.info.fields, ", ") .. " changed"
    end
  end
  if #notes > 0 then s = s .. "; " .. table.concat(notes, "; ") end
  return s
end

--- The one-line headline of a likely cause: "since deploy of version 42 at 02:41Z by ci:
--- 24 % errors".
function M.headline(group, onset)
  local what = group.version and ("deploy of version " .. group.version)
    or ("change " .. M.names(group))
  return ("since %s at %s by %s: %s %s"):format(what, os.date("!%H:%MZ", math.floor(group.time)),
    group.short, level_text(onset.kind, onset.after), KIND_WORDS[onset.kind])
end

return M
