--- config: the function's configuration, as the field guide's triage script prints it,
-- read and judged instead of dumped.
--
-- The guide's "Quick triage script" (get-function-configuration: timeout, memory, runtime,
-- role, VPC, state and last update) and its state checks. One GetFunctionConfiguration
-- (shared with every other step) gives timeout, memory, runtime, role, VPC, state and last
-- update, architecture, package, layers and the environment. The step says what is wrong
-- with them: a function that is not Active (Pending, Inactive, Failed with its reason
-- code), an update that failed or is still in progress, a runtime past or near its end of
-- support, a changed configuration inside the window, environment variable names that
-- suggest plain-text secrets. It always ends with one summary finding. Reason codes of the
-- VPC set-up belong to the vpc step (lib.reasons): for a VPC-attached function this step
-- only points at it. Environment variable VALUES are never read into any output. This file
-- decides; steps/config/findings.lua explains.
local F = require("steps.config.findings")
local json = require("runbook.json")
local reasons = require("lib.reasons")
local step = require("triage.step")
local text = require("lib.text")
local time = require("lib.time")

-- The named checks, in the field guide's order (defined below the manifest).
local checks = {}

local M = step.define{
  id = "config",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Configuration",
  description = "Function state, last update, runtime support, role, VPC, package and "
    .. "environment variable names, judged against what breaks invocations",
  tags = { "default", "config" },
  fixes = { "lambda UpdateFunctionConfiguration" },
  args = {
    runtime_notice_days = { default = 180,
      help = "say when a runtime's end of support is this many days away or closer" },
  },
  needs = { "config" },
  run = function(ctx, ev)
    local d = checks.describe(ev.config)
    checks.state(ctx, d)
    checks.update(ctx, d)
    local runtime_end = checks.runtime(ctx, d)
    checks.recent_change(ctx, d)
    checks.env_names(ctx, d)
    F.summary(ctx, d, runtime_end)
  end,
}

-- End of support (deprecation phase 1) of each Lambda managed runtime, from the AWS Lambda
-- runtimes page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
local RUNTIME_END = {
  ["nodejs24.x"] = "2028-04-30", ["nodejs22.x"] = "2027-04-30", ["nodejs20.x"] = "2026-04-30",
  ["nodejs18.x"] = "2025-09-01", ["nodejs16.x"] = "2024-06-12", ["nodejs14.x"] = "2023-12-04",
  ["nodejs12.x"] = "2023-03-31", ["nodejs10.x"] = "2021-07-30", ["nodejs8.10"] = "2020-03-06",
  ["nodejs6.10"] = "2019-08-12", ["nodejs4.3"] = "2020-03-05", ["nodejs4.3-edge"] = "2020-03-05",
  ["nodejs"] = "2016-10-31",
  ["python3.14"] = "2029-06-30", ["python3.13"] = "2029-06-30", ["python3.12"] = "2028-10-31",
  ["python3.11"] = "2027-06-30", ["python3.10"] = "2026-06-30", ["python3.9"] = "2025-12-15",
  ["python3.8"] = "2024-10-14", ["python3.7"] = "2023-12-04", ["python3.6"] = "2022-07-18",
  ["python2.7"] = "2021-07-15",
  ["java25"] = "2029-06-30", ["java21"] = "2029-06-30", ["java17"] = "2026-06-30",
  ["java11"] = "2026-06-30", ["java8.al2"] = "2026-06-30", ["java8"] = "2024-01-08",
  ["dotnet10"] = "2028-11-14", ["dotnet8"] = "2026-11-10", ["dotnet7"] = "2024-05-14",
  ["dotnet6"] = "2024-11-12", ["dotnet5.0"] = "2022-05-10", ["dotnetcore3.1"] = "2023-04-03",
  ["dotnetcore2.1"] = "2022-01-05", ["dotnetcore2.0"] = "2019-05-30",
  ["dotnetcore1.0"] = "2019-07-27",
  ["ruby3.4"] = "2028-03-31", ["ruby3.3"] = "2027-03-31", ["ruby3.2"] = "2026-03-31",
  ["ruby2.7"] = "2023-11-27", ["ruby2.5"] = "2021-07-30",
  ["provided.al2023"] = "2029-06-30", ["provided.al2"] = "2026-06-30",
  ["provided"] = "2024-01-08", ["go1.x"] = "2024-01-08",
}

-- The runtime to move to, by language family (the supported one with the longest support).
local SUCCESSOR = {
  nodejs = "nodejs24.x", python = "python3.13", java = "java21", dotnet = "dotnet10",
  ruby = "ruby3.4", provided = "provided.al2023", go = "provided.al2023",
}

-- Names that usually hold a credential; a name ending like a reference does not.
local SECRET_WORDS = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY",
                       "PRIVATE_KEY", "CREDENTIAL", "ACCESS_KEY" }
local REFERENCE_ENDINGS = { "_ARN", "_NAME", "_ID", "_URL", "_PATH", "_PARAM", "_PARAMETER",
                            "_SSM", "_REF" }

local function looks_secret(name)
  local upper = name:upper()
  for _, ending in ipairs(REFERENCE_ENDINGS) do
    if upper:sub(-#ending) == ending then return false end
  end
  return text.contains_any(upper, SECRET_WORDS) ~= nil
end

--- The configuration in the step's words (defaults filled in, names only for the
--- environment), kept beside the reply itself (`cfg`) for the fix plans.
function checks.describe(cfg)
  local vpc = cfg.VpcConfig
  local subnets = vpc and vpc.SubnetIds or {}
  local layers, layer_bytes = json.array(), 0
  for _, l in ipairs(cfg.Layers or {}) do
    layers[#layers + 1] = l.Arn
    layer_bytes = layer_bytes + (l.CodeSize or 0)
  end
  return {
    cfg = cfg, arn = cfg.FunctionArn, runtime = cfg.Runtime,
    package_type = cfg.PackageType or "Zip", handler = cfg.Handler,
    architectures = cfg.Architectures or { "x86_64" },
    memory_mb = cfg.MemorySize, timeout_s = cfg.Timeout,
    ephemeral_mb = cfg.EphemeralStorage and cfg.EphemeralStorage.Size or 512,
    role = cfg.Role,
    vpc_id = (#subnets > 0) and vpc.VpcId or nil,
    subnets = json.array(subnets),
    security_groups = json.array(vpc and vpc.SecurityGroupIds or {}),
    state = cfg.State or "Active",
    state_reason = cfg.StateReason, state_reason_code = cfg.StateReasonCode,
    last_update = cfg.LastUpdateStatus or "Successful",
    last_update_reason = cfg.LastUpdateStatusReason,
    last_update_reason_code = cfg.LastUpdateStatusReasonCode,
    code_size = cfg.CodeSize, layers = layers, layer_bytes = layer_bytes,
    env_names = json.array(text.sorted_keys(cfg.Environment and cfg.Environment.Variables)),
    kms_key = cfg.KMSKeyArn,
    tracing = cfg.TracingConfig and cfg.TracingConfig.Mode or "PassThrough",
    last_modified = cfg.LastModified, version = cfg.Version,
    snap_start = cfg.SnapStart and cfg.SnapStart.ApplyOn or "None",
  }
end

-- Who reports a reason code: this step, or the vpc step (a VPC code of a VPC function).
local function owner(d, code)
  return reasons.owner(code, d.vpc_id ~= nil)
end

function checks.state(ctx, d)
  if d.state == "Active" then return end
  local code = d.state_reason_code
  if owner(d, code) ~= "config" then return F.owned_elsewhere(ctx, d, "State", owner(d, code)) end
  local severity = "warn"
  if d.state == "Failed" or (d.state == "Inactive" and code ~= "Idle") then severity = "fail" end
  F.not_active(ctx, d, severity)
end

function checks.update(ctx, d)
  if d.last_update == "Successful" then return end
  if d.last_update == "InProgress" then return F.update_in_progress(ctx, d) end
  local code = d.last_update_reason_code
  if owner(d, code) ~= "config" then
    return F.owned_elsewhere(ctx, d, "LastUpdateStatus", owner(d, code))
  end
  F.update_failed(ctx, d)
end

--- The runtime's end-of-support date (for the summary), after judging how close it is.
function checks.runtime(ctx, d)
  local date = d.runtime and RUNTIME_END[d.runtime]
  if not date then return nil end
  local days = math.floor((time.parse_iso(date) - ctx.now) / 86400)
  local target = SUCCESSOR[d.runtime:match("^(%a+)")]
  if target == d.runtime then target = nil end
  if days < 0 then
    F.runtime_deprecated(ctx, d, date, days, target)
  elseif days <= ctx.args.runtime_notice_days then
    F.runtime_ending(ctx, d, date, days, target)
  end
  return date
end

function checks.recent_change(ctx, d)
  local changed = time.epoch(d.last_modified)
  if changed and changed >= ctx.window.start and changed <= ctx.window.finish then
    F.changed_in_window(ctx, d, changed)
  end
end

function checks.env_names(ctx, d)
  local suspicious = {}
  for _, name in ipairs(d.env_names) do
    if looks_secret(name) then suspicious[#suspicious + 1] = name end
  end
  if #suspicious > 0 then F.secret_names(ctx, d, suspicious) end
end

return M
