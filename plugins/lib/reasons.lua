--- lib.reasons: what a Lambda StateReasonCode / LastUpdateStatusReasonCode means, which
--- step owns the diagnosis, and what to do.
--
-- The field guide's triage script prints State and LastUpdateStatus with their reasons;
-- the config step reads them. Five of the codes come from the VPC set-up (the guide's
-- "ENI creation timeout (VPC)" row) and the vpc step diagnoses those with the network in
-- view, so one root cause gives one finding: for a VPC-attached function the vpc step owns
-- them and the config step only points at it; for a function without a VPC (the vpc step
-- does not apply) the config step keeps them.
--
--   local reasons = require("lib.reasons")
--   reasons.describe("EniLimitExceeded")        --> { meaning = "...", owner = "vpc", fix = "..." }
--   reasons.owner("SubnetOutOfIPAddresses", true) --> "vpc"
local M = {}

local VPC, CONFIG = "vpc", "config"

-- code -> { meaning, owner, fix (what to do, in words; the owning step builds the plan) }
M.CODES = {
  Idle = { owner = CONFIG,
    meaning = "Lambda reclaimed the function's resources after it sat unused; the next "
      .. "invocation fails while they are recreated",
    fix = "the next invocation re-activates the function; callers should retry "
      .. "ResourceNotReadyException, and a steady trickle of traffic keeps it Active" },
  Creating = { owner = CONFIG, meaning = "Lambda is still creating the function's resources" },
  Restoring = { owner = CONFIG, meaning = "Lambda is restoring the function's resources" },
  InsufficientRolePermissions = { owner = VPC,
    meaning = "the execution role lacks permissions Lambda needs (for a VPC function: "
      .. "ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, "
      .. "ec2:DeleteNetworkInterface)",
    fix = "attach the AWS managed policy AWSLambdaVPCAccessExecutionRole, which grants "
      .. "exactly the ENI permissions, then wait for the function to become Active" },
  EniLimitExceeded = { owner = VPC,
    meaning = "the account reached its network-interface quota in the region",
    fix = "ask for more network interfaces per region, or delete unused ones (interfaces "
      .. "in state 'available' are unused)" },
  SubnetOutOfIPAddresses = { owner = VPC,
    meaning = "a subnet of the function has no free IP addresses for its ENIs",
    fix = "give the function subnets with free addresses in more than one Availability "
      .. "Zone (or a larger CIDR), then update its VpcConfig" },
  InvalidSubnet = { owner = VPC,
    meaning = "a configured subnet does not exist or is not usable",
    fix = "point the function at subnets and security groups that exist" },
  InvalidSecurityGroup = { owner = VPC,
    meaning = "a configured security group does not exist or is not usable",
    fix = "point the function at subnets and security groups that exist" },
  InvalidConfiguration = { owner = CONFIG, meaning = "the configuration is invalid" },
  InternalError = { owner = CONFIG, meaning = "Lambda hit an internal error; retry the update" },
  ImageDeleted = { owner = CONFIG, meaning = "the container image was deleted from ECR" },
  ImageAccessDenied = { owner = CONFIG,
    meaning = "Lambda may not pull the container image from ECR" },
  InvalidImage = { owner = CONFIG, meaning = "the container image is not valid for Lambda" },
  KMSKeyAccessDenied = { owner = CONFIG,
    meaning = "Lambda may not use the KMS key that encrypts the environment" },
  KMSKeyNotFound = { owner = CONFIG,
    meaning = "the KMS key that encrypts the environment does not exist" },
  InvalidStateKMSKey = { owner = CONFIG,
    meaning = "the KMS key that encrypts the environment is not usable" },
  DisabledKMSKey = { owner = CONFIG,
    meaning = "the KMS key that encrypts the environment is disabled" },
  EFSMountFailure = { owner = CONFIG, meaning = "the EFS file system could not be mounted" },
  EFSMountConnectivityError = { owner = CONFIG,
    meaning = "the function cannot reach the EFS mount target" },
  EFSMountTimeout = { owner = CONFIG, meaning = "mounting the EFS file system timed out" },
  EFSIOError = { owner = CONFIG, meaning = "EFS returned an I/O error" },
  InvalidRuntime = { owner = CONFIG, meaning = "the runtime is not supported" },
  InvalidZipFileException = { owner = CONFIG,
    meaning = "the deployment package is not a valid .zip archive" },
  FunctionError = { owner = CONFIG,
    meaning = "the function's init code failed while the version or SnapStart snapshot "
      .. "was prepared" },
}

--- The entry of a code ({ meaning, owner, fix }), or nil for nil or an unknown code.
function M.describe(code)
  return code and M.CODES[code] or nil
end

--- The step that reports a code: "vpc" for a VPC code of a VPC-attached function,
--- otherwise "config" (also for codes this table does not know).
function M.owner(code, in_vpc)
  local entry = M.describe(code)
  if entry and entry.owner == VPC and in_vpc then return VPC end
  return CONFIG
end

--- The reason codes of a configuration that `step` owns, once each: a list of
--- { code, reason (the AWS text), what ("State Failed" | "LastUpdateStatus Failed") },
--- State first.
function M.owned(cfg, step, in_vpc)
  local out, seen = {}, {}
  local sources = {
    { cfg.StateReasonCode, cfg.StateReason, "State " .. tostring(cfg.State) },
    { cfg.LastUpdateStatusReasonCode, cfg.LastUpdateStatusReason,
      "LastUpdateStatus " .. tostring(cfg.LastUpdateStatus) },
  }
  for _, c in ipairs(sources) do
    local code = c[1]
    if code and M.describe(code) and not seen[code] and M.owner(code, in_vpc) == step then
      seen[code] = true
      out[#out + 1] = { code = code, reason = c[2] or "", what = c[3] }
    end
  end
  return out
end

return M
