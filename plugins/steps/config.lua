--- config: the function's configuration, as the field guide's triage script prints it,
-- read and judged instead of dumped.
--
-- One GetFunctionConfiguration (shared with every other step) gives timeout, memory,
-- runtime, role, VPC, state and last update, architecture, package, layers and the
-- environment. The step says what is wrong with them: a function that is not Active
-- (Pending, Inactive, Failed with its reason code), an update that failed or is still in
-- progress, a runtime past or near its end of support, a changed configuration inside the
-- window, environment variable names that suggest plain-text secrets. It always ends with
-- one summary finding. Environment variable VALUES are never read into any output.
local json = require("runbook.json")
local logs = require("triage.logs")
local metrics = require("triage.metrics")
local stats = require("triage.stats")

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

-- What a StateReasonCode / LastUpdateStatusReasonCode means and what to do about it.
local REASONS = {
  Idle = "Lambda reclaimed the function's resources after it sat unused; the next "
    .. "invocation fails while they are recreated",
  Creating = "Lambda is still creating the function's resources",
  Restoring = "Lambda is restoring the function's resources",
  EniLimitExceeded = "the account reached its limit of network interfaces in the VPC",
  InsufficientRolePermissions = "the execution role lacks permissions Lambda needs "
    .. "(for a VPC function: ec2:CreateNetworkInterface and friends)",
  InvalidConfiguration = "the configuration is invalid",
  InternalError = "Lambda hit an internal error; retry the update",
  SubnetOutOfIPAddresses = "a subnet of the function has no free IP addresses for its ENIs",
  InvalidSubnet = "a subnet of the function does not exist or is not usable",
  InvalidSecurityGroup = "a security group of the function does not exist or is not usable",
  ImageDeleted = "the container image was deleted from ECR",
  ImageAccessDenied = "Lambda may not pull the container image from ECR",
  InvalidImage = "the container image is not valid for Lambda",
  KMSKeyAccessDenied = "Lambda may not use the KMS key that encrypts the environment",
  KMSKeyNotFound = "the KMS key that encrypts the environment does not exist",
  InvalidStateKMSKey = "the KMS key that encrypts the environment is not usable",
  DisabledKMSKey = "the KMS key that encrypts the environment is disabled",
  EFSMountFailure = "the EFS file system could not be mounted",
  EFSMountConnectivityError = "the function cannot reach the EFS mount target",
  EFSMountTimeout = "mounting the EFS file system timed out",
  EFSIOError = "EFS returned an I/O error",
  InvalidRuntime = "the runtime is not supported",
  InvalidZipFileException = "the deployment package is not a valid .zip archive",
  FunctionError = "the function's init code failed while the version or SnapStart snapshot "
    .. "was prepared",
}

-- Names that usually hold a credential; a name ending like a reference does not.
local SECRET_WORDS = { "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY",
                       "PRIVATE_KEY", "CREDENTIAL", "ACCESS_KEY" }
local REFERENCE_ENDINGS = { "_ARN", "_NAME", "_ID", "_URL", "_PATH", "_PARAM", "_PARAMETER",
                            "_SSM", "_REF" }

local function day_epoch(date)
  return metrics.epoch(date .. "T00:00:00Z")
end

local function sorted_keys(t)
  local out = json.array()
  for k in pairs(t or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function role_name(arn)
  return arn and arn:match(":role/(.+)$") and arn:match("([^/]+)$") or nil
end

local function looks_secret(name)
  local upper = name:upper()
  for _, ending in ipairs(REFERENCE_ENDINGS) do
    if upper:sub(-#ending) == ending then return false end
  end
  for _, word in ipairs(SECRET_WORDS) do
    if upper:find(word, 1, true) then return true end
  end
  return false
end

-- gather -----------------------------------------------------------------------------------

local function describe(cfg)
  local vpc = cfg.VpcConfig
  local subnets = vpc and vpc.SubnetIds or {}
  local layers, layer_bytes = json.array(), 0
  for _, l in ipairs(cfg.Layers or {}) do
    layers[#layers + 1] = l.Arn
    layer_bytes = layer_bytes + (l.CodeSize or 0)
  end
  return {
    arn = cfg.FunctionArn,
    runtime = cfg.Runtime,
    package_type = cfg.PackageType or "Zip",
    handler = cfg.Handler,
    architectures = cfg.Architectures or { "x86_64" },
    memory_mb = cfg.MemorySize,
    timeout_s = cfg.Timeout,
    ephemeral_mb = cfg.EphemeralStorage and cfg.EphemeralStorage.Size or 512,
    role = cfg.Role,
    vpc_id = (#subnets > 0) and vpc.VpcId or nil,
    subnets = json.array(subnets),
    security_groups = json.array(vpc and vpc.SecurityGroupIds or {}),
    state = cfg.State or "Active",
    state_reason = cfg.StateReason,
    state_reason_code = cfg.StateReasonCode,
    last_update = cfg.LastUpdateStatus or "Successful",
    last_update_reason = cfg.LastUpdateStatusReason,
    last_update_reason_code = cfg.LastUpdateStatusReasonCode,
    code_size = cfg.CodeSize,
    layers = layers,
    layer_bytes = layer_bytes,
    env_names = sorted_keys(cfg.Environment and cfg.Environment.Variables),
    kms_key = cfg.KMSKeyArn,
    tracing = cfg.TracingConfig and cfg.TracingConfig.Mode or "PassThrough",
    last_modified = cfg.LastModified,
    version = cfg.Version,
    snap_start = cfg.SnapStart and cfg.SnapStart.ApplyOn or "None",
  }
end

-- decide and explain -----------------------------------------------------------------------

local function reason_text(code, message)
  local meaning = code and REASONS[code]
  local parts = {}
  if code then parts[#parts + 1] = code end
  if message and message ~= "" then parts[#parts + 1] = message end
  local said = #parts > 0 and table.concat(parts, ": ") or "no reason given"
  return said, meaning
end

-- Commands that address a reason code (with the function's real names), and what they do.
local function reason_fix(ctx, d, code)
  local role = role_name(d.role)
  if code == "InsufficientRolePermissions" and d.vpc_id and role then
    return { ("aws iam attach-role-policy --role-name %s --policy-arn "
      .. "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"):format(role) },
      "give the execution role the ENI permissions of AWSLambdaVPCAccessExecutionRole, "
      .. "then wait for the function to become Active"
  elseif code == "SubnetOutOfIPAddresses" or code == "EniLimitExceeded"
      or code == "InvalidSubnet" or code == "InvalidSecurityGroup" then
    return { ("aws ec2 describe-subnets --subnet-ids %s --query "
      .. "'Subnets[].{Id:SubnetId,Az:AvailabilityZone,Free:AvailableIpAddressCount}'")
      :format(table.concat(d.subnets, " ")) },
      "see the vpc step: give the function subnets with free addresses in more than one "
      .. "Availability Zone (or a larger CIDR), then update its VpcConfig"
  elseif code and code:find("KMS") and d.kms_key then
    return { ("aws kms describe-key --key-id %s --query 'KeyMetadata.{State:KeyState,"
      .. "Enabled:Enabled}'"):format(d.kms_key) },
      ("make key %s usable and let role %s call kms:Decrypt on it"):format(d.kms_key,
        role or "?")
  elseif code == "Idle" then
    return { ("aws lambda wait function-active-v2 --function-name %s"):format(ctx.function_id) },
      "the next invocation re-activates the function; callers should retry "
      .. "ResourceNotReadyException, and a steady trickle of traffic keeps it Active"
  end
  return { ("aws lambda get-function-configuration --function-name %s --query "
    .. "'{State:State,Reason:StateReason,Code:StateReasonCode,Update:LastUpdateStatus,"
    .. "UpdateReason:LastUpdateStatusReason}'"):format(ctx.function_id) },
    "correct what the reason names, then update the function again"
end

local function check_state(ctx, d)
  if d.state == "Active" then return end
  local said, meaning = reason_text(d.state_reason_code, d.state_reason)
  local severity = "warn"
  if d.state == "Failed" or (d.state == "Inactive" and d.state_reason_code ~= "Idle") then
    severity = "fail"
  end
  local commands, explain = reason_fix(ctx, d, d.state_reason_code)
  if d.state == "Pending" then
    commands = { ("aws lambda wait function-active-v2 --function-name %s"):format(ctx.function_id) }
    explain = "wait for the function to become Active; if it stays Pending, the reason "
      .. "above names what blocks it"
  end
  ctx:finding{
    severity = severity,
    title = ("function is %s: %s"):format(d.state, d.state_reason_code or said),
    evidence = {
      ("State %s, StateReasonCode %s, StateReason %q"):format(d.state,
        tostring(d.state_reason_code or "-"), d.state_reason or ""),
      ("function %s"):format(d.arn or ctx.function_id),
    },
    why = (meaning and (meaning .. "; ") or "") .. "invocations of a function that is not "
      .. "Active fail (ResourceNotReadyException) or wait until it is",
    fix = { explain = explain, commands = commands },
    confidence = "high",
    data = { state = d.state, reason_code = d.state_reason_code },
  }
end

local function check_update(ctx, d)
  if d.last_update == "Successful" then return end
  local said, meaning = reason_text(d.last_update_reason_code, d.last_update_reason)
  if d.last_update == "InProgress" then
    ctx:finding{
      severity = "info",
      title = "a configuration or code update is in progress",
      evidence = { ("LastUpdateStatus InProgress (%s)"):format(said) },
      why = "until it settles, invocations run the previous code and configuration, and "
        .. "further updates fail with ResourceConflictException",
      fix = { explain = "wait for the update to finish before changing anything else",
              commands = { ("aws lambda wait function-updated-v2 --function-name %s")
                :format(ctx.function_id) } },
      confidence = "high",
      data = { last_update_status = d.last_update },
    }
    return
  end
  local commands, explain = reason_fix(ctx, d, d.last_update_reason_code)
  ctx:finding{
    severity = "fail",
    title = ("the last update failed: %s"):format(d.last_update_reason_code or said),
    evidence = { ("LastUpdateStatus %s, LastUpdateStatusReasonCode %s, "
      .. "LastUpdateStatusReason %q"):format(d.last_update,
      tostring(d.last_update_reason_code or "-"), d.last_update_reason or "") },
    why = (meaning and (meaning .. "; ") or "") .. "the function keeps running the "
      .. "previous code and configuration, so the change you made is not live",
    fix = { explain = explain, commands = commands },
    confidence = "high",
    data = { last_update_status = d.last_update, reason_code = d.last_update_reason_code },
  }
end

local function check_runtime(ctx, d)
  local runtime = d.runtime
  if not runtime then return nil end
  local date = RUNTIME_END[runtime]
  if not date then return nil end
  local ends = day_epoch(date)
  local days = math.floor((ends - ctx.now) / 86400)
  local family = runtime:match("^(%a+)")
  local target = SUCCESSOR[family]
  local fix = target and target ~= runtime and {
    explain = ("move to %s (test the code on it first; an alias lets you shift traffic "
      .. "gradually)"):format(target),
    commands = { ("aws lambda update-function-configuration --function-name %s --runtime %s")
      :format(ctx.function_name, target) },
    changes = ("Runtime %s -> %s"):format(runtime, target),
  } or nil
  if days < 0 then
    ctx:finding{
      severity = "warn",
      title = ("runtime %s is deprecated since %s"):format(runtime, date),
      evidence = { ("Runtime %s: end of support %s (%d days ago)"):format(runtime, date, -days) },
      why = "a deprecated runtime gets no security patches, no technical support, and soon "
        .. "no function updates: a fix to this function may be blocked when it matters",
      fix = fix, confidence = "high",
      data = { runtime = runtime, end_of_support = date, days_left = days },
    }
  elseif days <= ctx.args.runtime_notice_days then
    ctx:finding{
      severity = "info",
      title = ("runtime %s reaches end of support on %s (in %d days)"):format(runtime, date, days),
      evidence = { ("Runtime %s: end of support %s"):format(runtime, date) },
      why = "after that date the runtime gets no security patches and updates are blocked soon after",
      fix = fix, confidence = "high",
      data = { runtime = runtime, end_of_support = date, days_left = days },
    }
  end
  return date
end

local function check_recent_change(ctx, d)
  local changed = metrics.epoch(d.last_modified)
  if not changed or changed < ctx.window.start or changed > ctx.window.finish then return end
  ctx:finding{
    severity = "info",
    title = ("the function changed %d min ago, inside the window"):format(
      math.floor((ctx.now - changed) / 60 + 0.5)),
    evidence = { ("LastModified %s (window %s to %s)"):format(logs.iso(changed),
      logs.iso(ctx.window.start), logs.iso(ctx.window.finish)) },
    why = "errors that start after a deployment usually come from it: compare the "
      .. "findings before and after this time",
    fix = { explain = "if the problems began with the change, roll back to the previous "
      .. "version (or alias) while you investigate",
      commands = { ("aws lambda list-versions-by-function --function-name %s --query "
        .. "'Versions[-3:].{Version:Version,Modified:LastModified,Sha:CodeSha256}'")
        :format(ctx.function_name) } },
    confidence = "medium",
    data = { last_modified = logs.iso(changed) },
  }
end

local function check_env_names(ctx, d)
  local suspicious = {}
  for _, name in ipairs(d.env_names) do
    if looks_secret(name) then suspicious[#suspicious + 1] = name end
  end
  if #suspicious == 0 then return end
  ctx:finding{
    severity = "info",
    title = ("environment variable %s may hold a secret in plain configuration")
      :format(table.concat(suspicious, ", ")),
    evidence = { ("environment variable names: %s (values not read)")
      :format(table.concat(d.env_names, ", ")),
      d.kms_key and ("environment encrypted with customer key " .. d.kms_key)
        or "environment encrypted with the AWS managed key" },
    why = "anyone with lambda:GetFunctionConfiguration reads environment values in clear; "
      .. "secrets belong in Secrets Manager or Parameter Store, fetched at init",
    fix = { explain = "store the value in Secrets Manager, pass the secret's ARN instead, "
      .. "and grant the role secretsmanager:GetSecretValue on that ARN",
      commands = { ("aws secretsmanager create-secret --name %s/%s --secret-string file://secret.txt")
        :format(ctx.function_name, suspicious[1]:lower()) } },
    confidence = "low",
    data = { names = suspicious },
  }
end

local function summary(ctx, d, runtime_end)
  local arch = table.concat(d.architectures, ",")
  local what = d.runtime or ("container image (" .. d.package_type .. ")")
  local evidence = {
    ("function %s (version %s, last modified %s)"):format(d.arn or ctx.function_id,
      tostring(d.version or "$LATEST"), d.last_modified and logs.iso(metrics.epoch(d.last_modified)) or "?"),
    ("runtime %s%s, handler %s, architecture %s, package %s"):format(what,
      runtime_end and (" (end of support " .. runtime_end .. ")") or "",
      tostring(d.handler or "-"), arch, d.package_type),
    ("memory %d MB, timeout %d s, ephemeral storage %d MB"):format(d.memory_mb or 0,
      d.timeout_s or 0, d.ephemeral_mb),
    ("execution role %s"):format(tostring(d.role)),
    d.vpc_id and ("VPC %s: subnets %s; security groups %s"):format(d.vpc_id,
      table.concat(d.subnets, ", "), table.concat(d.security_groups, ", "))
      or "no VPC: the function reaches the internet and AWS APIs directly",
    ("state %s, last update %s"):format(d.state, d.last_update),
    ("code size %s%s"):format(stats.fmt_bytes(d.code_size or 0), #d.layers > 0 and
      ("; layers (%s): %s"):format(stats.fmt_bytes(d.layer_bytes), table.concat(d.layers, ", "))
      or "; no layers"),
    #d.env_names > 0 and ("environment variable names: %s (values not shown)")
      :format(table.concat(d.env_names, ", ")) or "no environment variables",
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
      architectures = d.architectures, memory_mb = d.memory_mb, timeout_s = d.timeout_s,
      ephemeral_mb = d.ephemeral_mb, role = d.role, vpc_id = d.vpc_id, subnets = d.subnets,
      security_groups = d.security_groups, state = d.state, last_update_status = d.last_update,
      code_size = d.code_size, layers = d.layers, layer_code_size = d.layer_bytes,
      env_names = d.env_names, tracing = d.tracing, last_modified = d.last_modified,
    },
  }
end

return {
  id = "config",
  title = "Configuration",
  description = "Function state, last update, runtime support, role, VPC, package and "
    .. "environment variable names, judged against what breaks invocations",
  tags = { "config" },
  args = {
    runtime_notice_days = 180, -- say when a runtime's end of support is this close
  },
  run = function(ctx)
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err, "lambda GetFunctionConfiguration") end
    local d = describe(cfg)
    check_state(ctx, d)
    check_update(ctx, d)
    local runtime_end = check_runtime(ctx, d)
    check_recent_change(ctx, d)
    check_env_names(ctx, d)
    summary(ctx, d, runtime_end)
  end,
}
