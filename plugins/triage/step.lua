--- triage.step: the step manifest, checked and completed in one place.
--
--   local step = require("triage.step")
--   return step.define{
--     id = "vpc", title = "VPC networking", description = "...", tags = { "network" },
--     args = { min_free_ips = { default = 10, help = "fewer free IPs in a subnet is a warning" } },
--     needs = { "config", "network", "?role" },
--     fixes = { "lambda UpdateFunctionConfiguration" },  -- writes its fix plans may propose
--     applies = function(ctx, ev) ... return false, "not attached to a VPC" end,
--     run = function(ctx, ev) ... end,
--   }
--
-- The manifest comes first in a step file (what the step is, what it reads, when it
-- applies), as an NSE script states its categories and portrule before its action. An
-- argument is declared with its default and a one-line meaning; define() keeps `args` as
-- plain defaults (name -> value, the shape runbooks and older team steps use) and puts the
-- meanings in `arg_help`. Built-in steps carry the tag "default". `fixes` (the writes its
-- fix plans may propose) and `reads` (AWS operations it calls beyond its needs' providers,
-- such as evidence it names in run) are "service Operation" lists for `runbook show`.
--
-- define() also makes the step callable the old way, run(ctx) with one argument, as a
-- team override that wraps a built-in does (examples/steps/timeout.lua): the evidence is
-- then gathered on the spot, a failed required read is reported, and `applies` is
-- honoured, exactly as the engine would have done.
local evidence = require("triage.evidence")

local M = {}

--- Whether an args entry is a declaration { default = v, help = "..." }.
local function is_declaration(v)
  return type(v) == "table" and type(v.help) == "string" and v.default ~= nil
end

--- Splits declared args into defaults and meanings: args, arg_help.
function M.split_args(declared)
  local args, help = {}, {}
  for k, v in pairs(declared or {}) do
    if is_declaration(v) then
      args[k], help[k] = v.default, v.help
    else
      args[k] = v
    end
  end
  return args, help
end

--- What must hold before the step decides: its required evidence read, and `applies`.
--- Records the error or skip finding and returns false when the step must not run.
function M.prepare(s, ctx, ev)
  local name, err = evidence.first_failure(ev, s.needs)
  if name then
    ctx:error_from(err, err.operation and nil or ("evidence '" .. name .. "'"))
    return false
  end
  if s.applies then
    local ok, reason = s.applies(ctx, ev)
    if not ok then
      ctx:skip(reason or ("does not apply to " .. tostring(ctx.function_name)))
      return false
    end
  end
  return true
end

--- Checks and completes a manifest; returns it (raises, at the step file, on misuse).
function M.define(s)
  if type(s) ~= "table" then error("step.define takes the step's table", 2) end
  for _, field in ipairs({ "id", "title" }) do
    if type(s[field]) ~= "string" or s[field] == "" then
      error(("a step needs %s (a non-empty string)"):format(field), 2)
    end
  end
  if type(s.run) ~= "function" then error("step '" .. s.id .. "' needs a run function", 2) end
  if s.needs ~= nil and type(s.needs) ~= "table" then
    error("step '" .. s.id .. "': needs is a list of evidence names", 2)
  end
  if s.applies ~= nil and type(s.applies) ~= "function" then
    error("step '" .. s.id .. "': applies is a function(ctx, ev) -> bool, reason", 2)
  end
  s.args, s.arg_help = M.split_args(s.args)
  s.needs = s.needs or {}
  local decide = s.run
  s.decide = decide
  s.run = function(ctx, ev)
    if ev ~= nil then return decide(ctx, ev) end
    -- Called as run(ctx), outside the engine: gather and check here.
    ev = ctx.ev
    evidence.prefetch(ev, s.needs)
    if not M.prepare(s, ctx, ev) then return end
    return decide(ctx, ev)
  end
  return s
end

return M
