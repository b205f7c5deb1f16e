--- timeout (team override): the built-in timeout step, with our stricter policy on top.
--
-- A step file in a --plugins directory replaces the built-in step of the same name
-- (docs/writing-steps.md), for triage.lua and for every team runbook:
--   runbook --plugins examples triage.lua my-fn
-- This override does not copy the built-in: it loads it (builtin() below), runs it with
-- the team's defaults (warn when p99 reaches 60% of the timeout, not 80%), and adds one
-- rule of ours after it: a timeout far above what the function ever needs is a warning,
-- because a hung invocation then holds its concurrency slot, and is billed, for the whole
-- timeout. When the built-in step changes, this file keeps its improvements.

-- The built-in this file overrides: the first steps/timeout.lua on package.path that is not
-- this file (the engine's require found this one first). Compared by content, so the same
-- plugin directory given twice under two spellings is still skipped.
local function builtin(id)
  local function read(path)
    local fh = io.open(path, "rb")
    if not fh then return nil end
    local text = fh:read("a")
    fh:close()
    return text
  end
  local own = read((debug.getinfo(1, "S").source:gsub("^@", "")))
  for template in package.path:gmatch("[^;]+") do
    local path = template:gsub("%?", "steps/" .. id)
    local text = read(path)
    if text and text ~= own then
      return assert(load(text, "@" .. path))()
    end
  end
  error(("no built-in steps/%s.lua on package.path to override"):format(id))
end

local base = builtin("timeout")

-- The built-in's arguments with the team's defaults and the team rule's own.
local args = {}
for k, v in pairs(base.args or {}) do args[k] = v end
args.margin = 0.6          -- team SLO: p99 at 60% of the timeout is already too close
args.oversize = 20         -- a timeout above this multiple of the slowest invocation is waste
args.right_size = 3        -- the timeout we propose: slowest invocation x this
args.min_timeout_s = 3     -- never propose less than this (Lambda's default)
args.min_invocations = 50  -- judge the size of the timeout only on this many invocations

-- The team rule: the built-in found nothing wrong, but the timeout dwarfs every duration.
local function oversized(ctx, ok)
  local d, a = ok.data or {}, ctx.args
  if not (d.timeout_s and d.max_ms and d.invocations) then return end
  if d.invocations < a.min_invocations or d.timeout_s * 1000 <= a.oversize * d.max_ms then
    return
  end
  local target = math.max(a.min_timeout_s, math.ceil(d.max_ms * a.right_size / 1000))
  if target >= d.timeout_s then return end
  ctx:finding{
    severity = "warn",
    title = ("timeout %d s is %dx the slowest of %d invocations (%.0f ms): team policy is "
      .. "at most %dx"):format(d.timeout_s, math.floor(d.timeout_s * 1000 / d.max_ms),
      d.invocations, d.max_ms, a.oversize),
    evidence = {
      ("configured Timeout %d s; Duration max %.0f ms, p99 %.0f ms over %d invocations in "
        .. "the last %s"):format(d.timeout_s, d.max_ms, d.p99_ms or d.max_ms, d.invocations,
        ctx.window.label),
      "team rule from examples/steps/timeout.lua (override of the built-in timeout step)",
    },
    why = "a hung call (a dependency that never answers) runs until the timeout: it holds "
      .. "one unit of concurrency and is billed for all of it, and callers wait that long "
      .. "before they see an error",
    fix = {
      explain = ("lower the timeout to %d s (the slowest invocation x %g); the built-in "
        .. "timeout step warns once p99 reaches %d%% of it"):format(target,
        a.right_size, math.floor(a.margin * 100 + 0.5)),
      commands = { ("aws lambda update-function-configuration --function-name %s --timeout %d")
        :format(ctx.function_name, target) },
      changes = ("Timeout %d s -> %d s"):format(d.timeout_s, target),
    },
    confidence = "medium",
    data = { timeout_s = d.timeout_s, max_ms = d.max_ms, recommended_timeout_s = target },
  }
end

return {
  id = "timeout",
  title = "Timeouts (team policy)",
  description = base.description .. "; team policy: warn at 60% of the timeout, and on a "
    .. "timeout far above the slowest invocation",
  tags = base.tags,
  args = args,
  run = function(ctx)
    -- Run the built-in with a ctx that remembers its findings; everything else is ctx's.
    local seen = {}
    local spy = setmetatable({
      finding = function(_, f)
        local n = ctx:finding(f)
        seen[#seen + 1] = n
        return n
      end,
    }, { __index = ctx })
    base.run(spy)
    if #seen == 1 and seen[1].severity == "ok" then oversized(ctx, seen[1]) end
  end,
}
