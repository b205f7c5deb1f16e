--- steps.config.findings: the config step's findings, written out, with their fixes.
--
-- steps/config.lua decides (the state is not Active, the last update failed, the runtime
-- is past its end of support...) and hands the decision here; these builders say it with
-- the function's real values and the fix: a plan (fix.actions) where the fix is an API
-- call, a waiter or a look-up as text, and a `verify` that re-reads the configuration. `d`
-- is the step's description of the configuration (d.cfg the reply itself).
local actions = require("fix.actions")
local arn = require("lib.arn")
local json = require("runbook.json")
local reasons = require("lib.reasons")
local stats = require("lib.stats")
local time = require("lib.time")

local M = {}

local function list(t) return table.concat(t, ", ") end

-- The AWS text of a reason: "Code: message", "Code", "message" or "no reason given".
local function said(code, message)
  local parts = {}
  if code then parts[#parts + 1] = code end
  if message and message ~= "" then parts[#parts + 1] = message end
  return #parts > 0 and table.concat(parts, ": ") or "no reason given"
end

local function meaning_of(code)
  local entry = reasons.describe(code)
  return entry and (entry.meaning .. "; ") or ""
end

-- A waiter: not an API call, so it stays text.
local function wait(ctx, waiter)
  return ("aws lambda wait %s --function-name %s"):format(waiter, ctx.function_id)
end

local function state_lines(ctx, d)
  return { ("State %s, StateReasonCode %s, StateReason %q"):format(d.state,
             tostring(d.state_reason_code or "-"), d.state_reason or ""),
           ("function %s"):format(d.arn or ctx.function_id) }
end

local function update_lines(d)
  return { ("LastUpdateStatus %s, LastUpdateStatusReasonCode %s, LastUpdateStatusReason %q")
    :format(d.last_update, tostring(d.last_update_reason_code or "-"),
    d.last_update_reason or "") }
end

-- What to do about a reason code this step owns; `settled` is the check that must hold
-- afterwards (State Active, LastUpdateStatus Successful).
local function reason_fix(ctx, d, code, settled)
  local entry = reasons.describe(code)
  if code and code:find("KMS") and d.kms_key then
    return { explain = ("make key %s usable and let role %s call kms:Decrypt on it")
               :format(d.kms_key, arn.role_name(d.role) or "?"),
             -- a look-up; KMS is not among the embedded models, so the line stays text
             commands = { ("aws kms describe-key --key-id %s --query 'KeyMetadata.{State:"
               .. "KeyState,Enabled:Enabled}'"):format(d.kms_key) },
             verify = { settled } }
  elseif code == "Idle" then
    return { explain = entry.fix, commands = { wait(ctx, "function-active-v2") },
             verify = { settled } }
  end
  return { explain = "correct what the reason names, then update the function again",
           verify = { settled } }
end

local function active(ctx)
  return actions.verify_field(ctx.function_name, "State", "==", "Active")
end

--- The state is not Active, for a reason this step owns.
function M.not_active(ctx, d, severity)
  local fix = reason_fix(ctx, d, d.state_reason_code, active(ctx))
  if d.state == "Pending" then
    fix = { explain = "wait for the function to become Active; if it stays Pending, the "
              .. "reason above names what blocks it",
            commands = { wait(ctx, "function-active-v2") }, verify = { active(ctx) } }
  end
  ctx:finding{
    severity = severity,
    title = ("function is %s: %s"):format(d.state, d.state_reason_code
      or said(nil, d.state_reason)),
    evidence = state_lines(ctx, d),
    why = meaning_of(d.state_reason_code) .. "invocations of a function that is not "
      .. "Active fail (ResourceNotReadyException) or wait until it is",
    fix = fix,
    confidence = "high",
    data = { state = d.state, reason_code = d.state_reason_code },
  }
end

--- A reason code another step owns (the vpc step's, for a VPC function): said once, at
--- info, pointing at the owner, which reports the cause with its fix.
function M.owned_elsewhere(ctx, d, field, owner)
  local code = field == "State" and d.state_reason_code or d.last_update_reason_code
  local title = field == "State" and ("function is %s: %s"):format(d.state, code)
    or ("the last update failed: %s"):format(code)
  ctx:finding{
    severity = "info",
    title = ("%s (diagnosed by the %s step)"):format(title, owner),
    evidence = field == "State" and state_lines(ctx, d) or update_lines(d),
    why = meaning_of(code) .. ("the %s step reads what this depends on and reports the "
      .. "cause with its fix"):format(owner),
    fix = { explain = ("see the %s step's finding"):format(owner),
            commands = { ("runbook triage.lua %s --steps %s"):format(ctx.function_id, owner) } },
    confidence = "high",
    data = { [field == "State" and "state" or "last_update_status"] =
               field == "State" and d.state or d.last_update,
             reason_code = code, owner = owner },
  }
end

function M.update_in_progress(ctx, d)
  ctx:finding{
    severity = "info",
    title = "a configuration or code update is in progress",
    evidence = { ("LastUpdateStatus InProgress (%s)"):format(said(d.last_update_reason_code,
      d.last_update_reason)) },
    why = "until it settles, invocations run the previous code and configuration, and "
      .. "further updates fail with ResourceConflictException",
    fix = { explain = "wait for the update to finish before changing anything else",
            commands = { wait(ctx, "function-updated-v2") } },
    confidence = "high",
    data = { last_update_status = d.last_update },
  }
end

function M.update_failed(ctx, d)
  local code = d.last_update_reason_code
  ctx:finding{
    severity = "fail",
    title = ("the last update failed: %s"):format(code or said(nil, d.last_update_reason)),
    evidence = update_lines(d),
    why = meaning_of(code) .. "the function keeps running the previous code and "
      .. "configuration, so the change you made is not live",
    fix = reason_fix(ctx, d, code, actions.verify_field(ctx.function_name, "LastUpdateStatus",
      "==", "Successful")),
    confidence = "high",
    data = { last_update_status = d.last_update, reason_code = code },
  }
end

-- UpdateFunctionConfiguration Runtime -> target, verified by reading it back.
local function runtime_fix(ctx, d, target)
  if not target then return nil end
  return {
    explain = ("move to %s (test the code on it first; an alias lets you shift traffic "
      .. "gradually)"):format(target),
    plan = { actions.update_configuration(ctx.function_name, d.cfg, { Runtime = target }) },
    verify = { actions.verify_field(ctx.function_name, "Runtime", "==", target) },
    changes = ("Runtime %s -> %s"):format(d.runtime, target),
    manual = "a new runtime can break the code or its dependencies: test it on the new "
      .. "runtime first, then run the command",
  }
end

function M.runtime_deprecated(ctx, d, date, days, target)
  ctx:finding{
    severity = "warn",
    title = ("runtime %s is deprecated since %s"):format(d.runtime, date),
    evidence = { ("Runtime %s: end of support %s (%d days ago)"):format(d.runtime, date, -days) },
    why = "a deprecated runtime gets no security patches, no technical support, and soon "
      .. "no function updates: a fix to this function may be blocked when it matters",
    fix = runtime_fix(ctx, d, target), confidence = "high",
    data = { runtime = d.runtime, end_of_support = date, days_left = days },
  }
end

function M.runtime_ending(ctx, d, date, days, target)
  ctx:finding{
    severity = "info",
    title = ("runtime %s reaches end of support on %s (in %d days)"):format(d.runtime, date,
      days),
    evidence = { ("Runtime %s: end of support %s"):format(d.runtime, date) },
    why = "after that date the runtime gets no security patches and updates are blocked "
      .. "soon after",
    fix = runtime_fix(ctx, d, target), confidence = "high",
    data = { runtime = d.runtime, end_of_support = date, days_left = days },
  }
end

function M.changed_in_window(ctx, _, changed)
  ctx:finding{
    severity = "info",
    title = ("the function changed %d min ago, inside the window"):format(
      math.floor((ctx.now - changed) / 60 + 0.5)),
    evidence = { ("LastModified %s (window %s to %s)"):format(time.iso(changed),
      time.iso(ctx.window.start), time.iso(ctx.window.finish)) },
    why = "errors that start after a deployment usually come from it: compare the "
      .. "findings before and after this time",
    fix = { explain = "if the problems began with the change, roll back to the previous "
      .. "version (or alias) while you investigate",
      -- a look-up of the versions to roll back to, not a change
      commands = { ("aws lambda list-versions-by-function --function-name %s --query "
        .. "'Versions[-3:].{Version:Version,Modified:LastModified,Sha:CodeSha256}'")
        :format(ctx.function_name) } },
    confidence = "medium",
    data = { last_modified = time.iso(changed) },
  }
end

function M.secret_names(ctx, d, suspicious)
  ctx:finding{
    severity = "info",
    title = ("environment variable %s may hold a secret in plain configuration")
      :format(list(suspicious)),
    evidence = { ("environment variable names: %s (values not read)"):format(list(d.env_names)),
      d.kms_key and ("environment encrypted with customer key " .. d.kms_key)
        or "environment encrypted with the AWS managed key" },
    why = "anyone with lambda:GetFunctionConfiguration reads environment values in clear; "
      .. "secrets belong in Secrets Manager or Parameter Store, fetched at init",
    -- Secrets Manager is not among the embedded models, and the value is the operator's
    -- to type: the command stays text
    fix = { explain = "store the value in Secrets Manager, pass the secret's ARN instead, "
      .. "and grant the role secretsmanager:GetSecretValue on that ARN",
      commands = { ("aws secretsmanager create-secret --name %s/%s --secret-string "
        .. "file://secret.txt"):format(ctx.function_name, suspicious[1]:lower()) } },
    confidence = "low",
    data = { names = suspicious },
  }
end

function M.summary(ctx, d, runtime_end)
  local arch = list(d.architectures)
  local what = d.runtime or ("container image (" .. d.package_type .. ")")
  local evidence = {
    ("function %s (version %s, last modified %s)"):format(d.arn or ctx.function_id,
      tostring(d.version or "$LATEST"), d.last_modified and time.iso(time.epoch(d.last_modified))
      or "?"),
    ("runtime %s%s, handler %s, architecture %s, package %s"):format(what,
      runtime_end and (" (end of support " .. runtime_end .. ")") or "",
      tostring(d.handler or "-"), arch, d.package_type),
    ("memory %d MB, timeout %d s, ephemeral storage %d MB"):format(d.memory_mb or 0,
      d.timeout_s or 0, d.ephemeral_mb),
    ("execution role %s"):format(tostring(d.role)),
    d.vpc_id and ("VPC %s: subnets %s; security groups %s"):format(d.vpc_id,
      list(d.subnets), list(d.security_groups))
      or "no VPC: the function reaches the internet and AWS APIs directly",
    ("state %s, last update %s"):format(d.state, d.last_update),
    ("code size %s%s"):format(stats.fmt_bytes(d.code_size or 0), #d.layers > 0 and
      ("; layers (%s): %s"):format(stats.fmt_bytes(d.layer_bytes), list(d.layers))
      or "; no layers"),
    #d.env_names > 0 and ("environment variable names: %s (values not shown)")
      :format(list(d.env_names)) or "no environment variables",
    ("tracing %s, SnapStart %s"):format(d.tracing, d.snap_start),
  }
  ctx:finding{
    severity = "ok",
    title = ("%s on %s, %d MB, timeout %d s, %s"):format(what, arch, d.memory_mb or 0,
      d.timeout_s or 0, d.state),
    evidence = evidence,
    confidence = "high",
    data = {
      arn = d.arn, runtime = d.runtime, package_type = d.package_type, handler = d.handler,
      architectures = json.array(d.architectures), memory_mb = d.memory_mb,
      timeout_s = d.timeout_s, ephemeral_mb = d.ephemeral_mb, role = d.role,
      vpc_id = d.vpc_id, subnets = d.subnets, security_groups = d.security_groups,
      state = d.state, last_update_status = d.last_update, code_size = d.code_size,
      layers = d.layers, layer_code_size = d.layer_bytes, env_names = d.env_names,
      tracing = d.tracing, last_modified = d.last_modified,
    },
  }
end

return M
