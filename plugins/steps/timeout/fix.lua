--- steps.timeout.fix: the timeout step's fixes as plans (fix.actions), from what it read.
--
-- The field guide's step 4 ("increase the timeout") and step 1 ("enable X-Ray active
-- tracing"): one UpdateFunctionConfiguration with the new Timeout, MemorySize and
-- TracingConfig, after an AttachRolePolicy of AWSXRayDaemonWriteAccess when X-Ray is
-- turned on and the execution role may not send traces (Lambda refuses active tracing
-- then: "The provided execution role does not have permissions to call PutTraceSegments
-- on XRAY"). Each changed field has a verify entry ("Timeout >= 6").
local actions = require("fix.actions")
local arn = require("lib.arn")
local policy = require("lib.policy")

local M = {}

--- Lambda's largest and smallest memory sizes (MB), and the step a new size is rounded
--- up to.
M.MAX_MEMORY_MB = 10240
M.MIN_MEMORY_MB = 128
M.MEMORY_STEP_MB = 64

--- The memory size (MB) to raise `mem` to: enough that `peak` (Max Memory Used) sits at
--- ctx.args.memory_share of it, rounded up to 64 MB; after an out-of-memory error (the
--- real peak is unknown: it hit the limit) at least memory_growth times `mem`, otherwise at
--- least one step more. Within Lambda's 128..10240 MB.
function M.memory_target(ctx, mem, peak, out_of_memory)
  local a, step = ctx.args, M.MEMORY_STEP_MB
  local by_peak = math.ceil(peak / a.memory_share / step) * step
  local floor = out_of_memory and math.ceil(mem * a.memory_growth) or mem + step
  local n = math.max(by_peak, floor)
  return math.max(M.MIN_MEMORY_MB, math.min(M.MAX_MEMORY_MB, math.tointeger(n) or n))
end

--- The function's tracing mode: "Active" or "PassThrough" (Lambda's default).
function M.mode_of(cfg)
  return cfg.TracingConfig and cfg.TracingConfig.Mode or "PassThrough"
end

-- Whether the execution role may send traces to X-Ray (nil: unknown).
local function role_traces(ev)
  local role = ev.role
  if role.absent or role.failed then return nil end
  return policy.evaluate(role.list, "xray:PutTraceSegments", "*").decision == "allow"
end

--- The plan of configuration `changes` ({ Timeout = 6, MemorySize = 512, TracingConfig =
--- { Mode = "Active" } }) and its verify entries; nil when there is nothing to change.
function M.plan(ctx, ev, changes)
  if next(changes) == nil then return nil end
  local cfg, fn = ev.config, { name = ctx.function_name }
  local plan, verify = {}, {}
  local role = arn.role_name(cfg.Role)
  if changes.TracingConfig and role_traces(ev) ~= true and role then
    plan[1] = actions.attach_role_policy(role,
      arn.managed_policy(ctx.partition, "AWSXRayDaemonWriteAccess"))
  end
  plan[#plan + 1] = actions.update_configuration(fn, cfg, changes)
  for _, k in ipairs({ "Timeout", "MemorySize" }) do
    if changes[k] then
      local op = changes[k] >= (cfg[k] or 0) and ">=" or "<="
      verify[#verify + 1] = actions.verify_field(fn, k, op, changes[k])
    end
  end
  if changes.TracingConfig then
    verify[#verify + 1] = actions.verify_field(fn, "TracingConfig.Mode", "==", "Active")
  end
  return plan, verify
end

-- The new timeout (seconds), whether it hit the ceiling, the ceiling (the API's
-- integration timeout when one invokes the function, never above Lambda's 900 s) and the
-- timeout the durations call for.
local function new_timeout(ctx, w, timed_out)
  local a, cfg = ctx.args, w.cfg
  local need_ms = (w.durations.p99 or 0) * a.headroom
  if timed_out then need_ms = math.max(need_ms, cfg.Timeout * 1000 * a.growth) end
  local n = math.max(1, math.ceil(need_ms / 1000))
  local cap = math.min(w.api.ceiling_s or a.max_timeout_s, a.max_timeout_s)
  if n > cap then return cap, true, cap, n end
  return n, false, cap, n
end

--- The fix of a timeout that is too short (after timeouts, or with p99 close to it): a
--- longer timeout, more memory when it is low (CPU scales with it), X-Ray while tracing
--- is off. Returns { plan, verify, timeout, capped, cap, timed_out, changes }.
function M.too_short(ctx, ev, w, timed_out)
  local cfg, a = w.cfg, ctx.args
  local n, capped, cap, need = new_timeout(ctx, w, timed_out)
  local changes = {}
  if n > cfg.Timeout then
    changes.Timeout = n
    local mem = cfg.MemorySize or 128
    if mem < a.low_memory_mb then
      changes.MemorySize = math.min(M.MAX_MEMORY_MB, math.max(a.low_memory_mb, mem * 2))
    end
  end
  if not (cfg.TracingConfig and cfg.TracingConfig.Mode == "Active") then
    changes.TracingConfig = { Mode = "Active" }
  end
  local plan, verify = M.plan(ctx, ev, changes)
  return { plan = plan, verify = verify, timeout = n, capped = capped, cap = cap, need = need,
           timed_out = timed_out, changes = changes }
end

--- "Timeout 3 s -> 6 s, MemorySize 256 MB -> 512 MB, TracingConfig PassThrough -> Active,
--- role r + AWSXRayDaemonWriteAccess": the plan's changes in words.
function M.changes_text(cfg, changes, plan)
  local out = {}
  if changes.Timeout then out[#out + 1] = ("Timeout %d s -> %d s"):format(cfg.Timeout, changes.Timeout) end
  if changes.MemorySize then
    out[#out + 1] = ("MemorySize %d MB -> %d MB"):format(cfg.MemorySize or 128, changes.MemorySize)
  end
  if changes.TracingConfig then
    out[#out + 1] = ("TracingConfig %s -> Active"):format(
      cfg.TracingConfig and cfg.TracingConfig.Mode or "PassThrough")
  end
  if plan and plan[1].operation == "AttachRolePolicy" then
    out[#out + 1] = ("role %s + AWSXRayDaemonWriteAccess"):format(plan[1].params.RoleName)
  end
  return #out > 0 and table.concat(out, ", ") or nil
end

return M
