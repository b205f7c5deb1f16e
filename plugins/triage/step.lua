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
local text = require("lib.text")

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

-- The file `extends = "timeout"` means: the first steps/timeout.lua on package.path that
-- is not the extending file itself (a team's timeout.lua extending "timeout" gets the one
-- it overrides).
local function base_file(target, own_file)
  local name = "steps/" .. target:gsub("%.", "/")
  for template in package.path:gmatch("[^;]+") do
    local path = template:gsub("%?", name)
    if path ~= own_file then
      local fh = io.open(path, "rb")
      if fh then
        fh:close()
        return path
      end
    end
  end
  return nil
end

local function union(a, b)
  local all = {}
  table.move(a or {}, 1, #(a or {}), 1, all)
  table.move(b or {}, 1, #(b or {}), #all + 1, all)
  return text.unique(all)
end

local function merged(base, over)
  local out = {}
  for k, v in pairs(base or {}) do out[k] = v end
  for k, v in pairs(over or {}) do out[k] = v end
  return out
end

--- A step that extends another: `s.extends` names it; `own_file` is the file of `s`.
--- The result is the base step with s's title, description, applies when given; its
--- arguments, tags and needs merged with s's; each check in `s.checks` replacing the base's
--- check of that name (same arguments); and s.run, when given, called as
--- run(ctx, ev, base) in place of the base's. nil, message when it cannot be built.
function M.extend(s, own_file)
  local target = s.extends
  if type(target) ~= "string" or target == "" then return nil, "extends names a step id" end
  local path = base_file(target, own_file)
  if not path then
    return nil, ("it extends '%s', but no other steps/%s.lua is on the plugin path")
      :format(target, target)
  end
  local chunk, err = loadfile(path, "t")
  if not chunk then return nil, ("cannot load the step it extends: %s"):format(err) end
  local ok, base = pcall(chunk, "steps." .. target, path)
  if not ok or type(base) ~= "table" or type(base.run) ~= "function" then
    return nil, ("the step it extends (%s) did not load: %s"):format(path, tostring(base))
  end
  for name, fn in pairs(s.checks or {}) do
    if type(base.checks) ~= "table" or base.checks[name] == nil then
      local names = {}
      for k in pairs(base.checks or {}) do names[#names + 1] = k end
      table.sort(names)
      return nil, ("it replaces check '%s', which '%s' does not have (its checks: %s)")
        :format(tostring(name), target, #names > 0 and table.concat(names, ", ") or "none")
    end
    base.checks[name] = fn -- a fresh copy of the base: its run calls through this table
  end
  local args, help = M.split_args(s.args)
  local decide = base.decide or base.run
  local out = {
    id = s.id or target, extends = target, base = base, checks = base.checks,
    title = s.title or base.title, description = s.description or base.description,
    tags = union(base.tags, s.tags), needs = union(base.needs, s.needs),
    applies = s.applies or base.applies, fixes = union(base.fixes, s.fixes),
    reads = union(base.reads, s.reads),
    args = merged(base.args, args),
    run = s.run and function(ctx, ev) return s.run(ctx, ev, base) end or decide,
  }
  out = M.define(out)
  out.arg_help = merged(base.arg_help, help)
  return out
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
