--- steps.access_denied.findings: what the access_denied step says, and its fixes.
--
-- The step decides, pair by pair, whether the role lacks a permission, is denied it
-- explicitly, or already allows it; this module explains each with the refused log line
-- and its time, the policy statement that decides, and the fix: a least-privilege inline
-- policy as a PutRolePolicy plan (fix.actions) with a verify entry per permission, or the
-- reads that show the Deny to edit.
local actions = require("fix.actions")
local json = require("runbook.json")
local merge = require("steps.access_denied.merge")
local plan = require("fix.plan")
local policy = require("lib.policy")
local text = require("lib.text")

local M = {}

-- Where the refusal comes from when the role itself allows the action, by the reason
-- clause of the message (lib.policy.parse_denial): {short, long}.
local ELSEWHERE = {
  no_resource_allow = { "the resource's own policy", "the resource's own policy (KMS key "
    .. "policy, S3 bucket policy, secret or queue policy), which does not grant the role" },
  resource_deny = { "a Deny in the resource's policy", "an explicit Deny in the resource's own "
    .. "policy (bucket, key, secret or queue policy)" },
  scp_deny = { "a service control policy", "a service control policy of the AWS Organization" },
  rcp_deny = { "a resource control policy", "a resource control policy of the AWS Organization" },
  boundary = { "the permissions boundary", "the role's permissions boundary" },
  session = { "a session policy", "a session policy passed when the role was assumed" },
  vpce = { "the VPC endpoint policy", "the policy of the VPC endpoint the call went through" },
  kms_key_policy = { "the KMS key policy", "the KMS key policy (or the key is in another "
    .. "Region, or does not exist)" },
  unknown = { "outside the role",
    "a resource policy, KMS key policy, SCP or permissions boundary" },
}

local function pair_label(g)
  return ("%s on %s"):format(g.action, g.resource or "an unnamed resource")
end

local function seen_text(g)
  local times = g.count == 1 and ("once, at %s"):format(g.first.iso)
    or ("%d times between %s and %s"):format(g.count, g.first.iso, g.last.iso)
  if g.nrequests > 0 then times = times .. (" (%s)"):format(text.plural(g.nrequests, "invocation")) end
  return times
end

-- The pair with its counts, and the last refused line with its time.
local function evidence_for(g)
  return { ("%s: %s"):format(pair_label(g), seen_text(g)),
           text.quote({ iso = g.last.iso, message = g.line }, #g.line) }
end

-- "<what> inline policy NAME (Sid S): {statement}"
local function statement_line(what, m)
  return ("%s %s policy %s%s: %s"):format(what, m.kind, m.policy,
    m.sid and (" (Sid " .. m.sid .. ")") or "", policy.statement_text(m.statement))
end

--- No access-denied line in the window.
function M.none(ctx, nevents)
  return ctx:finding{ severity = "ok",
    title = ("no access-denied errors in %d log events of the last %s"):format(nevents,
      ctx.window and ctx.window.label or "window"),
    confidence = "high", data = { events = nevents } }
end

--- The refused identity is not the execution role (information).
function M.other_identity(ctx, g, exec_role)
  ctx:finding{ severity = "info",
    title = ("access denied to %s, not to the execution role %s"):format(g.principal or g.role,
      exec_role),
    evidence = { g.line },
    why = "the code calls AWS with another identity (an assumed role or static keys); "
      .. "fix that identity's policies, not the execution role's",
    confidence = "medium" }
end

--- The role's policies cannot be read because the role is not there.
function M.unreadable_role(ctx, name, reason)
  ctx:finding{ severity = "info",
    title = ("cannot check the policies of role %s: %s"):format(name, reason),
    why = "a role this account does not hold (another account's, or deleted) cannot be read",
    confidence = "medium" }
end

-- The inline policy the grants go in: per service when there is one. The same name each
-- time, so a second fix adds to the first (merge.lua) instead of piling up policies.
local function policy_name(ctx, groups)
  local services = {}
  for _, g in ipairs(groups) do services[#services + 1] = policy.service_of(g.action) end
  services = text.unique(services)
  table.sort(services)
  return #services == 1 and ("%s-%s-access"):format(ctx.function_name, services[1])
    or ctx.function_name .. "-least-privilege"
end

-- The inline policy `name` of the role as read: { text, document }, or nil, and true when
-- the role has it but it could not be read.
local function existing_policy(role, name)
  local has = false
  for _, n in ipairs(role.inline_names or {}) do if n == name then has = true end end
  if not has then return nil, false end
  for _, p in ipairs(role.list) do
    if p.kind == "inline" and p.name == name and p.text then return p, false end
  end
  return nil, true
end

-- The PutRolePolicy plan of the least-privilege statements `doc` into inline policy
-- `name`: a new policy, or the existing one with the statements appended (every byte of
-- it kept). Returns the plan step, or nil and why there is none.
local function grant_step(role, name, doc)
  local statements = {}
  for i, st in ipairs(doc.Statement) do
    statements[i] = { Effect = st.Effect, Action = st.Action, Resource = st.Resource }
  end
  local existing, unreadable = existing_policy(role, name)
  if unreadable then
    return nil, ("the role already has an inline policy %s that could not be read: add the "
      .. "statements to it by hand (PutRolePolicy replaces the whole document)"):format(name)
  end
  if not existing then
    merge.name_statements(statements, nil)
    return actions.put_role_policy(role.name, name, merge.new_document(statements))
  end
  merge.name_statements(statements, existing.document)
  local merged, err = merge.append(existing.text, statements)
  if not merged then return nil, ("inline policy %s: %s"):format(name, err) end
  return actions.put_role_policy(role.name, name, merged, existing.text)
end

--- The role lacks these permissions: one least-privilege policy, one PutRolePolicy.
function M.missing(ctx, role, missing)
  local doc = policy.least_privilege(missing)
  local named, unnamed, evidence, total = {}, {}, {}, 0
  for _, g in ipairs(missing) do
    total = total + (g.nrequests > 0 and g.nrequests or g.count)
    table.insert(g.resource and named or unnamed, g)
    for _, line in ipairs(evidence_for(g)) do evidence[#evidence + 1] = line end
  end
  local names = {}
  for _, p in ipairs(role.list) do names[#names + 1] = ("%s (%s)"):format(p.name, p.kind) end
  evidence[#evidence + 1] = ("role %s has %s; none allows %s"):format(role.name,
    #names > 0 and table.concat(names, ", ") or "no policies",
    #missing == 1 and missing[1].action or "these actions on these resources")
  local fix = { explain = "add a least-privilege inline policy to the execution role, scoped to "
    .. "the exact resource ARNs the code was refused" }
  local name = policy_name(ctx, named)
  local step, why_not
  if #named > 0 then step, why_not = grant_step(role, name, doc) end
  if step then
    local merged = step.before.PolicyDocument ~= json.null
    fix.plan = { step }
    fix.verify, fix.changes = {}, {}
    local read = { service = "iam", operation = "GetRolePolicy",
                   params = { RoleName = role.name, PolicyName = name } }
    for _, g in ipairs(named) do
      local resource = g.exact or g.resource
      fix.verify[#fix.verify + 1] = {
        what = ("inline policy %s of role %s allows %s on %s"):format(name, role.name, g.action,
          resource),
        read = read, path = "PolicyDocument", op = "allows",
        value = { action = g.action, resource = resource },
      }
      fix.changes[#fix.changes + 1] = pair_label(g)
    end
    fix.verify[#fix.verify + 1] = { what = "the access_denied step finds no permission missing",
                                    step = "access_denied" }
    fix.changes = ("role %s: %s %s allowing %s"):format(role.name,
      merged and "statements added to inline policy" or "+ inline policy", name,
      table.concat(fix.changes, "; "))
    if merged then
      fix.explain = fix.explain .. ("; the role already has inline policy %s: the statements are "
        .. "added to it, its own statements unchanged"):format(name)
    end
  elseif why_not then
    fix.explain = fix.explain .. "; " .. why_not
  end
  for _, g in ipairs(named) do
    if policy.grant_resource(g.action, g.resource) ~= g.resource then
      fix.explain = fix.explain .. "; the trailing * on the secret ARN covers the random "
        .. "6-character suffix Secrets Manager appends"
      break
    end
  end
  if #unnamed > 0 then
    local acts = {}
    for _, g in ipairs(unnamed) do acts[#acts + 1] = g.action end
    fix.explain = fix.explain .. ("; the log lines do not name the resource for %s: add it with "
      .. "the ARN of the bucket/object the code uses (never \"*\")"):format(table.concat(acts, ", "))
  end
  local denied = {}
  for _, g in ipairs(missing) do
    denied[#denied + 1] = { action = g.action, resource = g.resource, count = g.count,
                            first = g.first.iso, last = g.last.iso }
  end
  ctx:finding{
    severity = "fail",
    title = ("execution role %s lacks %s the code uses: %s (refused %s in the last %s)"):format(
      role.name, text.plural(#missing, "permission"),
      pair_label(missing[1]) .. (#missing > 1 and (" and %d more"):format(#missing - 1) or ""),
      text.plural(total, "time"), ctx.window and ctx.window.label or "window"),
    evidence = evidence,
    why = "every call the role may not make fails with AccessDenied, so the code path that "
      .. "needs it errors on each invocation",
    fix = fix,
    confidence = #unnamed > 0 and #named == 0 and "medium" or "high",
    data = { role = role.name, policy_name = step and name or nil, policy = doc,
             denied = denied },
  }
end

-- The reads that show the policy holding the Deny, to edit it.
local function deny_policy_reads(role, d)
  if d.kind == "inline" then
    return { plan.call("iam", "GetRolePolicy", { RoleName = role.name, PolicyName = d.policy }) }
  end
  return { plan.call("iam", "GetPolicy", { PolicyArn = d.arn }),
           plan.call("iam", "GetPolicyVersion", { PolicyArn = d.arn,
             VersionId = plan.ref(1, "Policy.DefaultVersionId") }) }
end

--- An explicit Deny in the role's policies wins.
function M.denied(ctx, role, g, verdict)
  local d = verdict.denies[1]
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = statement_line("explicit Deny in", d)
  ctx:finding{
    severity = "fail",
    title = ("%s is explicitly denied to role %s by policy %s (%s)"):format(pair_label(g),
      role.name, d.policy, text.plural(g.count, "error")),
    evidence = evidence,
    why = "an explicit Deny wins over every Allow: no added permission can fix this while "
      .. "the Deny statement covers the action and resource",
    fix = {
      explain = ("narrow or remove the Deny statement%s in %s if the function is meant to do "
        .. "this; otherwise change the code so it no longer calls %s (the commands show the "
        .. "policy to edit)"):format(d.sid and (" " .. d.sid) or "", d.policy, g.action),
      plan = deny_policy_reads(role, d),
      manual = "an explicit Deny is someone's decision and these calls only read the policy: "
        .. "narrow the Deny by hand if the function is meant to do this",
    },
    confidence = "high",
    data = { role = role.name, action = g.action, resource = g.resource, count = g.count,
             deny_policy = d.policy, deny_sid = d.sid },
  }
end

-- The message said the role's own policies refused it, yet they allow it now: the role
-- was changed after the errors (or is being changed).
local function since_fixed(ctx, role, g, a)
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = statement_line(("role %s allows it now:"):format(role.name), a)
  ctx:finding{
    severity = "info",
    title = ("%s was refused until %s; role %s allows it now"):format(pair_label(g),
      g.last.iso, role.name),
    evidence = evidence,
    why = "the refusals say no identity-based policy allowed the call, and the role's policies "
      .. "allow it now: the role changed after the last refusal; new errors would mean the "
      .. "change did not take",
    confidence = "medium",
    data = { role = role.name, action = g.action, resource = g.resource, count = g.count,
             last = g.last.iso, allowed_by = a.policy },
  }
end

-- The key policy statement to add, and the text commands that edit it (KMS is not among
-- the services fix plans know, so these stay written here).
local function key_policy_fix(role, g)
  local key_file = ("key-policy-%s.json"):format(g.resource:match("key/(.+)$") or "key")
  local explain = ("add a statement to the key policy of %s: {\"Sid\":\"Allow%sDecrypt\",\"Effect\":"
    .. "\"Allow\",\"Principal\":{\"AWS\":\"%s\"},\"Action\":\"%s\",\"Resource\":\"*\"} (in "
    .. "a key policy Resource \"*\" means this key); the role's own policies need no change")
    :format(g.resource, role.name:gsub("[^%w]", ""), role.arn, g.action)
  return { explain = explain, commands = {
    ("aws kms get-key-policy --key-id %s --policy-name default --output text > %s")
      :format(g.resource, key_file),
    ("aws kms put-key-policy --key-id %s --policy-name default --policy file://%s")
      :format(g.resource, key_file),
  } }
end

--- The role allows the pair, yet it was refused: the denial comes from elsewhere (or the
--- role changed since). boundary: the permissions boundary when it does not allow it.
function M.allowed(ctx, role, g, verdict, boundary)
  local a = verdict.allows[1]
  if g.reason == "no_identity_allow" and not boundary and not verdict.conditional then
    return since_fixed(ctx, role, g, a)
  end
  local where = boundary and ELSEWHERE.boundary or ELSEWHERE[g.reason or ""] or ELSEWHERE.unknown
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = statement_line(("role %s allows it:"):format(role.name), a)
  if verdict.conditional then
    evidence[#evidence + 1] = "the allowing statement has conditions: "
      .. table.concat(a.conditions, ", ")
  end
  if boundary then
    evidence[#evidence + 1] = ("permissions boundary %s does not allow %s"):format(
      boundary.arn or boundary.name, g.action)
  end
  local fix = { explain = ("grant role %s in %s; the role's own policies need no change")
    :format(role.name, where[1]) }
  if g.action:match("^kms:") and g.resource and not boundary
      and (g.reason == "no_resource_allow" or g.reason == "kms_key_policy") then
    fix = key_policy_fix(role, g)
  end
  ctx:finding{
    severity = "fail",
    title = ("%s is refused although role %s allows it: the denial comes from %s"):format(
      pair_label(g), role.name, where[1]),
    evidence = evidence,
    why = ("IAM allows a call only when every policy that applies allows it; the role's own "
      .. "policies do, so the refusal comes from %s"):format(where[2]),
    fix = fix,
    confidence = "medium",
    data = { role = role.name, action = g.action, resource = g.resource, count = g.count,
             reason = g.reason, allowed_by = a.policy },
  }
end

return M
