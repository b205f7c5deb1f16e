--- changes: what changed just before the function started failing, and who changed it.
--
-- An SRE's second question at 3 a.m. is "what changed?". This step reads the CloudTrail
-- management events on the function and on its execution role over the window plus a
-- lookback (the `trail` evidence: UpdateFunctionCode, UpdateFunctionConfiguration,
-- PublishVersion, UpdateAlias, concurrency, permissions, event source mappings; role
-- policy changes), the published versions and aliases, and the Errors, Invocations,
-- Throttles and Duration p95 metrics the other steps read too. It finds when errors,
-- throttles or duration growth began (lib.changes.onset), and when a change lies just
-- before that onset it says so with who, when, what, and the error rate and p95 before
-- and after; the fix is the rollback (steps/changes/findings.lua).
--
-- Without cloudtrail:LookupEvents the step says which permission is missing and still
-- reports what the versions show; the other steps are unaffected.
local changes = require("lib.changes")
local evidence = require("triage.evidence")
local explain = require("steps.changes.findings")
local step = require("triage.step")
local time = require("lib.time")

local checks = {}

local M = step.define{
  id = "changes",
  checks = checks,
  title = "What changed",
  description = "CloudTrail changes to the function and its role (deploys, configuration, "
    .. "aliases, concurrency, permissions) against the onset of errors, throttles or slowness",
  tags = { "default", "changes", "cloudtrail", "metrics" },
  fixes = { "lambda UpdateAlias", "lambda UpdateFunctionConfiguration" },
  args = {
    min_rate = { default = 0.05, help = "an error or throttle rate at or above this is a "
      .. "failure (its onset is sought)" },
    growth = { default = 1.5, help = "p95 duration this many times its earlier level is "
      .. "duration growth" },
    max_lag = { default = 1800, help = "a change at most this many seconds before the onset "
      .. "may have caused it" },
    max_listed = { default = 8, help = "changes listed in a finding's evidence" },
  },
  needs = { "config", "?trail", "?versions", "?aliases", "?metric:Errors:Sum",
            "?metric:Invocations:Sum", "?metric:Throttles:Sum", "?metric:Duration:p95" },
  run = function(ctx, ev)
    local s = checks.picture(ctx, ev)
    if s.failed then ctx:error_from(s.failed, "CloudTrail events of " .. ctx.function_name) end
    local cause, lag = changes.likely_cause(s.groups, s.onset, s.period, ctx.args.max_lag)
    if cause then
      explain.likely_cause(s, cause, lag)
    elseif s.failed then
      -- without CloudTrail, say what the function's own timestamps show, never "no change"
      local modified = checks.modified_before(s, ctx.args.max_lag)
      if modified then explain.modified_before_onset(s, modified) end
    elseif s.onset then
      explain.onset_without_change(s)
    else
      explain.no_cause(s)
    end
  end,
}

local function series(ev, name)
  return evidence.data(ev[name])
end

--- Everything the decision reads: { ctx, cfg, trail, changes, groups, onset, metrics,
--- period, versions, aliases, failed }.
function checks.picture(ctx, ev)
  local a = ctx.args
  local m = { errors = series(ev, "metric:Errors:Sum"),
              invocations = series(ev, "metric:Invocations:Sum"),
              throttles = series(ev, "metric:Throttles:Sum"),
              duration = series(ev, "metric:Duration:p95") }
  local trail = evidence.data(ev.trail)
  local list = trail and changes.parse_events(trail.events, trail.role_events) or {}
  local any = m.errors or m.invocations or m.duration
  return {
    ctx = ctx, cfg = ev.config, trail = trail, changes = list, groups = changes.group(list),
    metrics = m, period = any and any.period or 60,
    onset = changes.onset(m, { min_rate = a.min_rate, growth = a.growth }),
    versions = evidence.list(ev.versions), aliases = evidence.list(ev.aliases),
    failed = ev.trail and ev.trail.failed,
  }
end

--- Without CloudTrail: the newest of $LATEST's LastModified and the versions' that lies
--- at most max_lag before the onset: { what, time } | nil.
function checks.modified_before(s, max_lag)
  if not s.onset then return nil end
  local best
  local function consider(what, stamp)
    local at = time.epoch(stamp)
    if at and at <= s.onset.time + s.period and s.onset.time - at <= max_lag
        and (not best or at > best.time) then
      best = { what = what, time = at }
    end
  end
  consider("$LATEST", s.cfg.LastModified)
  for _, v in ipairs(s.versions) do consider("version " .. v.Version, v.LastModified) end
  return best
end

return M
