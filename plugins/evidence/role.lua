--- evidence.role: the execution role and every policy that applies to it, read once.
--
-- The access-denied diagnosis (and the VPC and configuration checks that need the
-- role's permissions) ask "does the role allow ACTION on RESOURCE?": that needs the role,
-- its attached managed policies at their default versions, its inline policies and its
-- permissions boundary. They are read concurrently; a policy that cannot be read is listed
-- in `errors` and the rest is still returned, so one denied GetPolicyVersion does not hide
-- what the other policies allow.
--
--   ev.role -> { name, arn, list = {{name, kind, arn, document, text (inline: the
--                document's JSON text as read)}}, inline_names,
--                role (GetRole's Role), boundary = {name, arn, document}|nil,
--                errors = {{what, err}} }  or  { absent = "..." }
local arn = require("lib.arn")
local evidence = require("triage.evidence")
local policy = require("lib.policy")
local runbook = require("runbook")

local M = {}

local function load_role(ctx, role_name)
  local aws = ctx.aws
  local out = { list = {}, errors = {}, role = nil, boundary = nil }
  -- The role and both policy lists at once: each later read waits only for its list.
  local got, errs = runbook.gather{
    role = function() return aws.iam.GetRole{ RoleName = role_name } end,
    attached = function()
      return aws.collect("iam", "ListAttachedRolePolicies", { RoleName = role_name })
    end,
    inline = function() return aws.collect("iam", "ListRolePolicies", { RoleName = role_name }) end,
  }
  if got.role then
    out.role = got.role.Role
  else
    out.errors[#out.errors + 1] = { what = "GetRole", err = errs.role }
  end
  local attached, inline = got.attached, got.inline
  if not attached then
    out.errors[#out.errors + 1] = { what = "ListAttachedRolePolicies", err = errs.attached }
    attached = {}
  end
  if not inline then
    out.errors[#out.errors + 1] = { what = "ListRolePolicies", err = errs.inline }
    inline = {}
  end
  local function managed(policy_arn)
    local p, err = aws.iam.GetPolicy{ PolicyArn = policy_arn }
    if not p then return nil, err end
    local v, verr = aws.iam.GetPolicyVersion{ PolicyArn = policy_arn,
      VersionId = p.Policy.DefaultVersionId }
    if not v then return nil, verr end
    return policy.parse_document(v.PolicyVersion.Document)
  end
  local fns = {}
  for i, a in ipairs(attached) do
    fns[i] = function()
      local doc, err = managed(a.PolicyArn)
      return { name = a.PolicyName, arn = a.PolicyArn, kind = "managed", document = doc, err = err }
    end
  end
  for _, name in ipairs(inline) do
    fns[#fns + 1] = function()
      local r, err = aws.iam.GetRolePolicy{ RoleName = role_name, PolicyName = name }
      local doc = r and policy.parse_document(r.PolicyDocument)
      -- the text as IAM holds it (URL-decoded): a fix that adds to the policy keeps it
      local text = r and type(r.PolicyDocument) == "string" and (r.PolicyDocument:find("^%s*{")
        and r.PolicyDocument or policy.url_decode(r.PolicyDocument)) or nil
      return { name = name, kind = "inline", document = doc, text = text, err = err }
    end
  end
  local boundary_arn = out.role and out.role.PermissionsBoundary
    and out.role.PermissionsBoundary.PermissionsBoundaryArn
  if boundary_arn then
    fns[#fns + 1] = function()
      local doc, err = managed(boundary_arn)
      return { name = boundary_arn:match("[^/]+$"), arn = boundary_arn, kind = "boundary",
               document = doc, err = err }
    end
  end
  for _, r in ipairs(runbook.all(fns)) do
    local p = r[1] and r[2]
    if p and p.kind == "boundary" then
      out.boundary = p
    elseif p and p.document then
      out.list[#out.list + 1] = p
    elseif p then
      out.errors[#out.errors + 1] = { what = p.kind == "inline" and "GetRolePolicy " .. p.name
        or "GetPolicyVersion " .. (p.arn or p.name), err = p.err }
    end
  end
  out.inline_names = inline
  return out
end

--- The role's identity policies, read once per run: {list = {{name, kind, arn, document}},
--- inline_names, role (GetRole's Role), boundary = {name, arn, document}|nil,
--- errors = {{what, err}}}.
function M.policies(ctx, role_name)
  return ctx:once("iam.role_policies:" .. role_name, function()
    return load_role(ctx, role_name)
  end)
end


--- The provider behind ev.role: the configuration's Role, its policies. ev["role:NAME"]
--- reads another role the same way (the identity an access-denied line names).
function M.provider(ctx, ev, other)
  local role_arn, name
  if other then
    name = other
  else
    local cfg = ev.config
    if cfg.failed then return nil, cfg.failed end
    if cfg.absent then return cfg end
    role_arn = cfg.Role
    name = arn.role_name(role_arn)
    if not name then return evidence.absent("the function has no execution role") end
  end
  local out = M.policies(ctx, name)
  out.name, out.arn = name, role_arn or (out.role and out.role.Arn)
  -- Every read failed: that is a failure of the evidence, not an empty role.
  if not out.role and #out.list == 0 and #out.errors > 0 then
    local first = out.errors[1].err
    if type(first) == "table" and first.code ~= "NoSuchEntity" then return nil, first end
    return evidence.absent(("role %s does not exist"):format(name))
  end
  return out
end

return M
