--- steps.changes.findings: what the changes step says, and the rollback it proposes.
--
-- steps/changes.lua decides (the onset, the change before it); this module writes the
-- findings: who (the CloudTrail userIdentity ARN), when, what (the changed fields), the
-- error rate and p95 duration before and after, and, when a change is the likely cause,
-- the fix: an alias that now points at the deployed version goes back to the version
-- before it (one UpdateAlias, as a plan; `runbook rollback.lua FN:ALIAS` does the same
-- interactively), otherwise the change is named for the operator to revert.
local actions = require("fix.actions")
local changes = require("lib.changes")
local stats = require("lib.stats")
local time = require("lib.time")

local M = {}

local function hhmm(t)
  return os.date("!%H:%MZ", math.floor(t))
end

local function change_line(c)
  return ("%s %s by %s: %s"):format(c.iso, c.event_name, c.who, table.concat(c.what, "; "))
end

local function listed(s, list, limit)
  local lines = {}
  local first = math.max(1, #list - limit + 1)
  if first > 1 then lines[1] = ("(%d earlier changes not listed)"):format(first - 1) end
  for i = first, #list do lines[#lines + 1] = change_line(list[i]) end
  return M.notes(s, lines)
end

--- What the trail could not say, appended to `lines`: a capped lookup, the role's
--- lookup failing (the function's events still count).
function M.notes(s, lines)
  if s.trail and s.trail.truncated then
    lines[#lines + 1] = "CloudTrail had more events than were read (capped at "
      .. "LookupEvents pages); the oldest are not shown"
  end
  for _, e in ipairs(s.trail and s.trail.errors or {}) do
    local err = e.err
    lines[#lines + 1] = ("CloudTrail events of %s not read: %s"):format(e.what,
      type(err) == "table" and ((err.code or "error") .. " " .. (err.message or "")) or tostring(err))
  end
  return lines
end

local function impact_lines(s, t)
  local i = changes.impact(s.metrics, t)
  local lines = {}
  if s.metrics.invocations then
    lines[#lines + 1] = ("error rate %s before, %s after (Errors / Invocations)"):format(
      changes.pct(i.errors.before), changes.pct(i.errors.after))
  end
  if s.metrics.throttles and ((i.throttles.after or 0) > 0 or (i.throttles.before or 0) > 0) then
    lines[#lines + 1] = ("throttle rate %s before, %s after"):format(
      changes.pct(i.throttles.before), changes.pct(i.throttles.after))
  end
  if i.duration.before or i.duration.after then
    lines[#lines + 1] = ("p95 duration %s before, %s after"):format(
      i.duration.before and stats.fmt_ms(i.duration.before) or "no data",
      i.duration.after and stats.fmt_ms(i.duration.after) or "no data")
  end
  return lines, i
end

local function version_of(s, v)
  for _, item in ipairs(s.versions) do
    if item.Version == v then return item end
  end
end

-- The highest numbered version below `v` that exists: the version before the deploy.
local function previous_version(s, v)
  local n, best = tonumber(v), nil
  if not n then return nil end
  for _, item in ipairs(s.versions) do
    local m = tonumber(item.Version)
    if m and m < n and (not best or m > tonumber(best.Version)) then best = item end
  end
  return best
end

-- The alias that now serves the deployed version (the run's qualifier first).
local function serving_alias(s, version)
  local found
  for _, a in ipairs(s.aliases) do
    local weights = a.RoutingConfig and a.RoutingConfig.AdditionalVersionWeights or {}
    if a.FunctionVersion == version or weights[version] then
      if a.Name == s.ctx.qualifier then return a end
      found = found or a
    end
  end
  return found
end

-- Configuration fields a revert may set back from a version published before the change
-- (CloudTrail records the new values only). Environment is never one: its values are
-- never put in a command.
local REVERTIBLE = { timeout = "Timeout", memorySize = "MemorySize", handler = "Handler",
                     runtime = "Runtime" }

-- The newest published version made before time t (its configuration is the one before).
local function version_before(s, t)
  local best
  for _, item in ipairs(s.versions) do
    local n, at = tonumber(item.Version), time.epoch(item.LastModified)
    if n and at and at < t and (not best or n > tonumber(best.Version)) then best = item end
  end
  return best
end

-- One UpdateFunctionConfiguration that sets the fields the cause changed back to their
-- values in the version published before it: fix | nil.
local function config_revert_fix(s, cause)
  local cfg = s.cfg
  for _, c in ipairs(cause.changes) do
    local old = c.name == "UpdateFunctionConfiguration" and version_before(s, c.time)
    if old then
      local back, lines = {}, {}
      for _, field in ipairs(c.info.fields or {}) do
        local name = REVERTIBLE[field]
        if name and old[name] ~= nil and old[name] ~= cfg[name] then
          back[name] = old[name]
          lines[#lines + 1] = ("%s %s -> %s"):format(name, tostring(cfg[name]), tostring(old[name]))
        end
      end
      if next(back) then
        table.sort(lines)
        return {
          explain = ("set %s back to the values of version %s, published before the change "
            .. "at %s"):format(table.concat(lines, ", "), old.Version, hhmm(c.time)),
          plan = { actions.update_configuration({ name = s.ctx.function_name }, cfg, back) },
          changes = table.concat(lines, ", "),
        }
      end
    end
  end
end

local function rollback_fix(s, cause)
  local fn = s.ctx.function_name
  local alias = cause.version and serving_alias(s, cause.version)
  local prev = cause.version and previous_version(s, cause.version)
  if alias and prev then
    local routing = alias.RoutingConfig and next(alias.RoutingConfig.AdditionalVersionWeights or {})
      and { AdditionalVersionWeights = {} } or nil
    return {
      explain = ("point alias %s back at version %s, the version before the deploy "
        .. "(or run `runbook rollback.lua %s:%s` to choose interactively)"):format(
        alias.Name, prev.Version, fn, alias.Name),
      plan = { actions.update_alias({ name = fn }, alias.Name, prev.Version, alias, routing) },
      verify = {},
      commands = { ("runbook rollback.lua %s:%s --to %s"):format(fn, alias.Name, prev.Version) },
      changes = ("alias %s: version %s -> %s"):format(alias.Name, cause.version, prev.Version),
    }, alias, prev
  end
  if alias then
    return { explain = ("point alias %s back at the version it served before %s: "
      .. "`runbook rollback.lua %s:%s` lists the versions"):format(alias.Name, hhmm(cause.time),
      fn, alias.Name),
      commands = { ("runbook rollback.lua %s:%s"):format(fn, alias.Name) } }, alias
  end
  local revert = config_revert_fix(s, cause)
  if revert then return revert end
  return { explain = ("revert %s (made at %s by %s): redeploy the previous code or "
    .. "configuration; no alias points at a version to roll back to"):format(
    changes.names(cause), hhmm(cause.time), cause.who) }
end

--- A change just before the onset: the likely cause, with the rollback.
function M.likely_cause(s, cause, lag)
  local ctx, onset = s.ctx, s.onset
  local lines = { changes.sentence(cause, onset) }
  for _, c in ipairs(cause.changes) do lines[#lines + 1] = change_line(c) end
  local impact = impact_lines(s, onset.time)
  for _, l in ipairs(impact) do lines[#lines + 1] = l end
  M.notes(s, lines)
  local new = cause.version and version_of(s, cause.version)
  local fix, alias, prev = rollback_fix(s, cause)
  if new and prev and new.CodeSha256 ~= prev.CodeSha256 then
    lines[#lines + 1] = ("version %s CodeSha256 %s (version %s: %s)"):format(new.Version,
      new.CodeSha256, prev.Version, prev.CodeSha256)
  end
  local headline = changes.headline(cause, onset)
  ctx:finding{
    severity = "fail",
    title = headline,
    evidence = lines,
    why = ("%s began %s after this change and not before it; the change is the most "
      .. "likely cause, and undoing it is the fastest way back while the code is fixed")
      :format(onset.kind, lag < 120 and "within minutes" or ("about " .. math.floor(lag / 60)
      .. " minutes")),
    fix = fix,
    confidence = cause.code_sha256 and "high" or "medium",
    data = {
      headline = headline, onset = { kind = onset.kind, time = time.iso(onset.time),
        before = onset.before, after = onset.after },
      change = { time = time.iso(cause.time), who = cause.who, names = changes.names(cause),
                 version = cause.version, alias = alias and alias.Name,
                 previous_version = prev and prev.Version, code_sha256 = cause.code_sha256 },
    },
  }
end

--- A failure began, but no recorded change lies before it.
function M.onset_without_change(s)
  local o = s.onset
  local lines = { ("%s went from %s to %s at %s"):format(o.kind,
    o.kind == "duration" and stats.fmt_ms(o.before) or changes.pct(o.before),
    o.kind == "duration" and stats.fmt_ms(o.after) or changes.pct(o.after), time.iso(o.time)) }
  local list = listed(s, s.changes, s.ctx.args.max_listed)
  for _, l in ipairs(list) do lines[#lines + 1] = l end
  s.ctx:finding{
    severity = "info",
    title = ("%s began at %s with no change to the function or its role before it"):format(
      o.kind, time.iso(o.time)),
    evidence = lines,
    why = "no deploy, configuration, alias or role change in CloudTrail explains the onset: "
      .. "look at what the function calls (dependencies, traffic, data) rather than at a rollback",
    confidence = s.trail and "medium" or "low",
    data = { onset = { kind = o.kind, time = time.iso(o.time) }, changes = #s.changes },
  }
end

--- CloudTrail could not be read, but the function (or a version) was modified just before
--- the onset: say so, without who or what.
function M.modified_before_onset(s, m)
  local o = s.onset
  local lines = { ("%s LastModified %s; %s began at %s"):format(m.what, time.iso(m.time), o.kind,
    time.iso(o.time)) }
  for _, l in ipairs(impact_lines(s, o.time)) do lines[#lines + 1] = l end
  s.ctx:finding{
    severity = "warn",
    title = ("%s was modified at %s, just before %s began (who and what: CloudTrail not read)")
      :format(m.what, hhmm(m.time), o.kind),
    evidence = lines,
    why = "a change just before errors begin is the usual cause; CloudTrail would say who "
      .. "made it and which fields changed",
    confidence = "low",
    data = { onset = { kind = o.kind, time = time.iso(o.time) }, modified = time.iso(m.time) },
  }
end

--- No failure onset in the window: list what changed, for the record.
function M.no_cause(s)
  local n = #s.changes
  local title = n == 0 and ("no changes to the function or its role in the last %s"):format(
      s.trail and s.trail.lookback or "24h")
    or ("%d %s in the last %s; none explains a failure"):format(n,
      n == 1 and "change" or "changes", s.trail and s.trail.lookback or "24h")
  s.ctx:finding{
    severity = "ok", title = title,
    evidence = listed(s, s.changes, s.ctx.args.max_listed),
    data = { changes = n },
  }
end

return M
