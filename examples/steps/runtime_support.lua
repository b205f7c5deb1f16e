--- runtime_support (team check): the runtime is supported for at least another year.
--
-- A stricter team policy on top of the built-in `config` step, which already knows each
-- managed runtime's end-of-support date (the deprecation table of the AWS Lambda runtimes
-- page, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html: e.g. python3.9
-- 2025-12-15, nodejs18.x 2025-09-01, python3.12 2028-10-31) and the runtime to move to.
-- This check does not copy those dates: it loads the built-in step (require("steps.config"),
-- the same extends-style loading as examples/steps/timeout.lua), runs its decision with a
-- notice window wide enough to hear every known date, keeps only the runtime finding, and
-- ranks it by the team's rules:
--   * past end of support: fail (the built-in only warns);
--   * within `notice_days` (365, the built-in's window is 180): warn;
--   * later: ok, naming the date. A runtime the table does not know is info; a container
--     image (no managed runtime) is skipped.
-- The built-in's fix plan (UpdateFunctionConfiguration Runtime -> successor) is kept. A
-- team that also overrides `config` in its plugin directory gets its own config here (the
-- first steps/config.lua on the plugin path), which must keep the built-in's runtime
-- findings (data.end_of_support, data.days_left).
--
--   runbook --plugins examples triage.lua my-fn --steps runtime_support
local step = require("triage.step")

local builtin = require("steps.config") -- the built-in step: its table is the team's source

-- Far enough that the built-in reports every runtime it has a date for, with days_left.
local EVERY_DATE = 1000000

-- The built-in's runtime finding for this function, or nil: the one carrying days_left.
local function builtin_runtime_finding(ctx, ev)
  local found
  local args = {}
  for k, v in pairs(builtin.args or {}) do args[k] = v end -- the built-in's own defaults
  args.runtime_notice_days = EVERY_DATE
  local spy = setmetatable({
    args = args,
    finding = function(_, f)
      if type(f.data) == "table" and f.data.days_left ~= nil and f.data.end_of_support then
        found = f
      end
      return f
    end,
  }, { __index = ctx })
  builtin.run(spy, ev)
  return found
end

return step.define{
  id = "runtime_support",
  title = "Runtime support (team policy)",
  description = "The runtime is supported for at least notice_days more days (dates from "
    .. "the built-in config step's table of AWS's runtime deprecation dates)",
  tags = { "team", "config" },
  fixes = { "lambda UpdateFunctionConfiguration" },
  args = {
    notice_days = { default = 365,
      help = "warn when the runtime's end of support is this many days away or closer" },
    deprecated_severity = { default = "fail", help = "how a runtime past its end of support ranks" },
  },
  needs = { "config" },
  applies = function(_, ev)
    return ev.config.Runtime ~= nil, "no managed runtime (package type "
      .. tostring(ev.config.PackageType or "Image") .. ")"
  end,
  run = function(ctx, ev)
    local runtime = ev.config.Runtime
    local f = builtin_runtime_finding(ctx, ev)
    if not f then
      return ctx:finding{
        severity = "info",
        title = ("runtime %s is not in the deprecation table of this runbook"):format(runtime),
        evidence = { "the built-in config step has no end-of-support date for " .. runtime },
        confidence = "low",
        data = { runtime = runtime },
      }
    end
    local d = f.data
    local policy = ("team policy: warn %d days before end of support, fail after it")
      :format(ctx.args.notice_days)
    if d.days_left < 0 then
      return ctx:finding{
        severity = ctx.args.deprecated_severity,
        title = ("runtime %s is past its end of support (%s, %d days ago)"):format(runtime,
          d.end_of_support, -d.days_left),
        evidence = { ("Runtime %s: end of support %s"):format(runtime, d.end_of_support), policy },
        why = f.why, fix = f.fix, confidence = "high", data = d,
      }
    end
    if d.days_left <= ctx.args.notice_days then
      return ctx:finding{
        severity = "warn",
        title = ("runtime %s reaches end of support on %s, in %d days (team notice: %d days)")
          :format(runtime, d.end_of_support, d.days_left, ctx.args.notice_days),
        evidence = { ("Runtime %s: end of support %s"):format(runtime, d.end_of_support), policy },
        why = f.why, fix = f.fix, confidence = "high", data = d,
      }
    end
    return ctx:finding{
      severity = "ok",
      title = ("runtime %s is supported until %s (%d days)"):format(runtime, d.end_of_support,
        d.days_left),
      evidence = { policy },
      confidence = "high",
      data = d,
    }
  end,
}
