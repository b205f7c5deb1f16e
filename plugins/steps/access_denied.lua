--- access_denied: does the execution role lack a permission the code uses? (AccessDenied)
--
-- The guide: "You will see this in CloudWatch Logs when the Lambda tries to call another
-- AWS service ... is not authorized to perform: secretsmanager:GetSecretValue on
-- resource: ARN" and "Fix — attach the required policy to the execution role ... scope the
-- Resource to the exact ARN, not *". So: read every access-denied line in the window (all
-- SDKs' wordings, lib.policy.parse_denial) into (action, resource) pairs with counts and
-- times; take the role's managed and inline policies and its permissions boundary
-- (ev.role, or ev["role:NAME"] when the line names another identity); evaluate each pair
-- as IAM would; then either write the least-privilege policy that is missing, name the
-- explicit Deny that wins, or say the role already allows it and the refusal comes from
-- elsewhere (resource policy, KMS key policy, SCP, boundary). The findings are written by
-- steps/access_denied/findings.lua.
local arn = require("lib.arn")
local findings = require("steps.access_denied.findings")
local logs = require("evidence.logs")
local policy = require("lib.policy")
local step = require("triage.step")
local text = require("lib.text")

-- The line of a multi-line message that carries the denial.
local DENIAL_LINES = { "not authorized to perform", "Access Denied", "AccessDenied" }

-- The checks run() names, defined below the manifest.
local checks = {}

local M = step.define{
  id = "access_denied",
  checks = checks, -- the named checks below: `extends` may replace one
  title = "Execution role permissions (AccessDenied)",
  description = "Access-denied errors in the logs against the execution role's policies",
  tags = { "default", "permissions", "iam", "logs" },
  fixes = { "iam PutRolePolicy" },
  args = {
    max_line = { default = 600, help = "longest log line quoted as evidence, in characters" },
    max_pairs = { default = 20, help = "most (action, resource) pairs examined, the most "
      .. "refused first" },
  },
  needs = { "config", "events", "?role" },
  applies = function(_, ev)
    if ev.events.absent then
      return false, ev.events.absent .. ": no logs to read access-denied errors from"
    end
    return true
  end,
  run = function(ctx, ev)
    local groups = checks.denials(ev.events, ctx.args.max_line)
    if #groups == 0 then return findings.none(ctx, #ev.events) end
    while #groups > ctx.args.max_pairs do table.remove(groups) end
    local exec_role = arn.role_name(ev.config.Role)
    for _, who in ipairs(checks.by_role(groups, exec_role)) do
      local role = checks.role(ctx, ev, who.role, exec_role)
      if who.role ~= exec_role then findings.other_identity(ctx, who.groups[1], exec_role) end
      if role then checks.judge(ctx, role, who.groups) end
    end
  end,
}

-- The line of `message` that carries the denial (its first line when none does).
local function denial_line(message)
  for line in (message .. "\n"):gmatch("([^\r\n]*)[\r\n]") do
    if text.contains_any(line, DENIAL_LINES) then return line end
  end
  return text.first_line(message)
end

--- Every access-denied event grouped by (identity, action, resource), the most refused
--- first: {{action, resource, exact, principal, role, reason, count, first, last, line,
--- nrequests}}. S3 object ARNs differ per request: they are grouped (and granted) by bucket.
function checks.denials(events, max_line)
  local groups, order = {}, {}
  for _, e in ipairs(events) do
    local d = policy.parse_denial(e.message)
    if d and d.action then
      local exact = d.resource
      local bucket = exact and exact:match("^(arn:[%w-]+:s3:::[^/]+)/.")
      if bucket then d.resource = bucket .. "/*" end
      local key = table.concat({ d.principal or "", d.action, d.resource or "" }, "|")
      local g = groups[key]
      if not g then
        g = { action = d.action, resource = d.resource, principal = d.principal,
              role = arn.role_name(d.principal), reason = d.reason, count = 0, requests = {},
              nrequests = 0 }
        groups[key] = g
        order[#order + 1] = g
      end
      g.count, g.exact, g.first, g.last = g.count + 1, exact, g.first or e, e
      local rid = logs.request_id(e.message)
      if rid and not g.requests[rid] then
        g.requests[rid] = true
        g.nrequests = g.nrequests + 1
      end
      g.line = text.clip(denial_line(e.message), max_line)
    end
  end
  table.sort(order, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.action < b.action
  end)
  return order
end

--- The groups by the role refused (the execution role when the line names none), in order
--- of first appearance: {{role, groups}}.
function checks.by_role(groups, exec_role)
  local by, out = {}, {}
  for _, g in ipairs(groups) do
    local role = g.role or exec_role
    if not by[role] then
      by[role] = { role = role, groups = {} }
      out[#out + 1] = by[role]
    end
    table.insert(by[role].groups, g)
  end
  return out
end

--- The role's policies (evidence.role), its ARN filled in; nil when they cannot be read
--- (reported). Reads that failed beside others that did not are reported too.
function checks.role(ctx, ev, name, exec_role)
  local r = ev[name == exec_role and "role" or ("role:" .. name)]
  if r.failed then
    ctx:error_from(r.failed, "iam role " .. name)
    return nil
  elseif r.absent then
    findings.unreadable_role(ctx, name, r.absent)
    return nil
  end
  for _, e in ipairs(r.errors) do ctx:error_from(e.err, "iam " .. e.what) end
  r.arn = r.arn or arn.role(ctx.partition, ctx.account, name)
  return r
end

--- Each refused pair against the role's policies, as IAM would: the missing ones in one
--- least-privilege policy, then each explicit Deny and each refusal from elsewhere.
function checks.judge(ctx, role, groups)
  local missing, later = {}, {}
  for _, g in ipairs(groups) do
    local resource = g.exact or g.resource
    local verdict = policy.evaluate(role.list, g.action, resource)
    local boundary = role.boundary and role.boundary.document
      and policy.evaluate({ role.boundary }, g.action, resource).decision ~= "allow"
      and role.boundary or nil
    if verdict.decision == "deny" then
      later[#later + 1] = function() findings.denied(ctx, role, g, verdict) end
    elseif verdict.decision == "allow" then
      later[#later + 1] = function() findings.allowed(ctx, role, g, verdict, boundary) end
    else
      missing[#missing + 1] = g
    end
  end
  -- With no policy read at all, "none allows it" would be a guess.
  if #missing > 0 and (#role.errors == 0 or #role.list > 0) then
    findings.missing(ctx, role, missing)
  end
  for _, report in ipairs(later) do report() end
end

return M
