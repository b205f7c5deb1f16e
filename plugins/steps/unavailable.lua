--- unavailable: 503 ServiceUnavailableException and friends from the function's AWS calls.
--
-- The field guide's "Diagnosing Service Unavailable (503)": a 503, a 500 or a "Rate
-- exceeded" from DynamoDB, S3, SQS... is a transient fault on the AWS side (or the
-- service shedding load); the cure is the SDK's retries with exponential backoff and
-- jitter, never fixed-interval retries. This step reads those errors in the function's
-- logs in every SDK's wording (lib.sdk_error), keeps the ones lib.services puts in the
-- throttling or unavailable family, groups them by the service that answered, and says
-- whether the configuration shows SDK retry settings (by environment variable NAME only;
-- values are never read out). It owns downstream throttling: the throttle step only
-- points here. The findings are written by steps/unavailable/findings.lua.
local findings = require("steps.unavailable.findings")
local sdk_error = require("lib.sdk_error")
local services = require("lib.services")
local step = require("triage.step")
local text = require("lib.text")

local RETRY_VARS = { "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS" }

-- The checks run() names, defined below the manifest.
local checks = {}

local M = step.define{
  id = "unavailable",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Service unavailable",
  description = "ServiceUnavailableException, 5xx and throttling answers to the function's "
    .. "AWS SDK calls, by service, and whether retries with backoff are configured",
  tags = { "default", "logs", "downstream", "retries" },
  fixes = {},
  args = {
    fail_count = { default = 10, help = "this many failed calls to one service in the window "
      .. "is a fail (fewer is a warning)" },
    max_examples = { default = 3, help = "log lines quoted per service" },
    retry_mode = { default = "adaptive", help = "the SDK retry mode to advise "
      .. "(AWS_RETRY_MODE: standard or adaptive)" },
    max_attempts = { default = 5, help = "the SDK attempts to advise (AWS_MAX_ATTEMPTS)" },
  },
  needs = { "config", "events" },
  applies = function(_, ev)
    if ev.events.absent then return false, ev.events.absent .. ": the function has not logged" end
    return true
  end,
  run = function(ctx, ev)
    local groups = checks.transient_errors(ev.events, ctx.args.max_examples)
    local retry = checks.retry_settings(ev.config)
    if #groups == 0 then return findings.all_clear(ctx, #ev.events, retry) end
    for _, g in ipairs(groups) do findings.service(ctx, g, retry) end
  end,
}

--- Every transient SDK error in the events, grouped by the service that answered: a list
--- of {service, count, codes, operations, kinds, sdks, examples, first, last, retries,
--- attempts}, the busiest service first.
function checks.transient_errors(events, max_examples)
  local groups, counts = {}, {}
  for _, e in ipairs(events) do
    local p = sdk_error.worth_parsing(e.message) and sdk_error.parse(e.message)
    local kind, default_status
    if p then kind, default_status = services.error_kind(p.code, p.status) end
    if kind then
      p.kind, p.default_status, p.message, p.iso, p.time = kind, default_status, e.message,
        e.iso, e.time
      local service = p.service or "unknown service"
      local g = groups[service]
      if not g then
        g = { service = service, count = 0, codes = {}, operations = {}, kinds = {},
              examples = {}, seen = {}, sdks = {} }
        groups[service] = g
      end
      checks.add(g, p, max_examples)
      counts[service] = g.count
    end
  end
  local list = {}
  for i, service in ipairs(text.keys_by_count(counts)) do list[i] = groups[service] end
  return list
end

--- Counts one parsed error into its service's group; keeps one example per code and
--- operation, at most max_examples.
function checks.add(g, p, max_examples)
  g.count = g.count + 1
  g.first = g.first or p
  g.last = p
  local l = findings.label(p)
  g.codes[l] = (g.codes[l] or 0) + 1
  if p.operation then g.operations[p.operation] = (g.operations[p.operation] or 0) + 1 end
  g.kinds[p.kind] = true
  g.sdks[p.sdk] = true
  g.retries = p.retries or g.retries
  g.attempts = p.attempts or g.attempts
  local sig = l .. " " .. (p.operation or "")
  if not g.seen[sig] and #g.examples < max_examples then
    g.seen[sig] = true
    g.examples[#g.examples + 1] = p
  end
end

--- Which SDK retry variables the configuration sets, by name: {present, missing, names}.
function checks.retry_settings(cfg)
  local vars = cfg.Environment and cfg.Environment.Variables or {}
  local present, missing, names = {}, {}, {}
  for _, v in ipairs(RETRY_VARS) do
    if vars[v] ~= nil then present[#present + 1] = v else missing[#missing + 1] = v end
  end
  for name in pairs(vars) do names[#names + 1] = name end
  table.sort(names)
  return { present = present, missing = missing, names = names }
end

return M
