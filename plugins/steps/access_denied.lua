--- access_denied: does the execution role lack a permission the code uses? (AccessDenied)
--
-- The guide: "You will see this in CloudWatch Logs when the Lambda tries to call another
-- AWS service ... is not authorized to perform: secretsmanager:GetSecretValue on
-- resource: ARN" and "Fix — attach the required policy to the execution role ... scope the
-- Resource to the exact ARN, not *". So: read every access-denied line in the window (all
-- SDKs' wordings, see triage.iam.parse_denial) into (action, resource) pairs with counts
-- and times; read the role's managed and inline policies (and its permissions boundary);
-- evaluate each pair as IAM would; then either write the least-privilege policy that is
-- missing, name the explicit Deny that wins, or say the role already allows it and the
-- refusal comes from elsewhere (resource policy, KMS key policy, SCP, boundary).
local iam = require("triage.iam")
local logs = require("triage.logs")

-- Where the refusal comes from when the role itself allows the action, by the reason
-- clause of the message (triage.iam REASONS).
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

local function first_line_with(message, needle_patterns)
  for line in (message .. "\n"):gmatch("([^\r\n]*)[\r\n]") do
    for _, p in ipairs(needle_patterns) do
      if line:find(p) then return line end
    end
  end
  return message:match("^[^\r\n]*")
end

local function shorten(s, max)
  if #s <= max then return s end
  return s:sub(1, max - 3) .. "..."
end

-- Every access-denied event in the window grouped by (role, action, resource).
local function gather(events, max_line)
  local groups, order = {}, {}
  for _, e in ipairs(events) do
    local d = iam.parse_denial(e.message)
    if d and d.action then
      local exact = d.resource
      -- S3 object ARNs differ per request: group (and grant) by bucket.
      local bucket = exact and exact:match("^(arn:[%w-]+:s3:::[^/]+)/.")
      if bucket then d.resource = bucket .. "/*" end
      local key = table.concat({ d.principal or "", d.action, d.resource or "" }, "|")
      local g = groups[key]
      if not g then
        g = { action = d.action, resource = d.resource, principal = d.principal,
              role = iam.role_name(d.principal), reason = d.reason, code = d.code,
              operation = d.operation, count = 0, requests = {}, nrequests = 0 }
        groups[key] = g
        order[#order + 1] = g
      end
      g.count = g.count + 1
      g.exact = exact
      g.first = g.first or e
      g.last = e
      local rid = logs.request_id(e.message)
      if rid and not g.requests[rid] then
        g.requests[rid] = true
        g.nrequests = g.nrequests + 1
      end
      g.line = shorten(first_line_with(e.message, { "not authorized to perform", "Access Denied",
        "AccessDenied" }), max_line)
    end
  end
  table.sort(order, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.action < b.action
  end)
  return order
end

local function seen_text(g)
  local times = g.count == 1 and ("once, at %s"):format(g.first.iso)
    or ("%d times between %s and %s"):format(g.count, g.first.iso, g.last.iso)
  if g.nrequests > 0 then
    times = times .. (" (%d invocation%s)"):format(g.nrequests, g.nrequests == 1 and "" or "s")
  end
  return times
end

local function pair_label(g)
  return ("%s on %s"):format(g.action, g.resource or "an unnamed resource")
end

local function evidence_for(g)
  return { ("%s: %s"):format(pair_label(g), seen_text(g)), ("%s %s"):format(g.last.iso, g.line) }
end

local function policy_name(ctx, groups, existing)
  local services = {}
  for _, g in ipairs(groups) do services[iam.service_of(g.action)] = true end
  local list = {}
  for s in pairs(services) do list[#list + 1] = s end
  table.sort(list)
  local base = #list == 1 and ("%s-%s-access"):format(ctx.function_name, list[1])
    or ctx.function_name .. "-least-privilege"
  local taken = {}
  for _, n in ipairs(existing or {}) do taken[n] = true end
  return iam.unique_name(base, taken)
end

local function role_summary(policies)
  local names = {}
  for _, p in ipairs(policies.list) do
    names[#names + 1] = ("%s (%s)"):format(p.name, p.kind)
  end
  return #names > 0 and table.concat(names, ", ") or "no policies"
end

-- The role lacks these: one least-privilege policy, one put-role-policy command.
local function report_missing(ctx, role, policies, missing, window_label)
  local doc = iam.least_privilege(missing)
  local named, unnamed, total = {}, {}, 0
  for _, g in ipairs(missing) do
    total = total + (g.nrequests > 0 and g.nrequests or g.count)
    if g.resource then named[#named + 1] = g else unnamed[#unnamed + 1] = g end
  end
  local evidence = {}
  for _, g in ipairs(missing) do
    for _, line in ipairs(evidence_for(g)) do evidence[#evidence + 1] = line end
  end
  evidence[#evidence + 1] = ("role %s has %s; none allows %s"):format(role, role_summary(policies),
    #missing == 1 and missing[1].action or "these actions on these resources")
  local commands, changes = {}, nil
  local name = policy_name(ctx, named, policies.inline_names)
  if #named > 0 then
    commands[1] = ("aws iam put-role-policy --role-name %s --policy-name %s --policy-document '%s'")
      :format(role, name, iam.document_text(doc))
    changes = ("role %s: + inline policy %s allowing %s"):format(role, name,
      table.concat((function()
        local out = {}
        for _, g in ipairs(named) do out[#out + 1] = pair_label(g) end
        return out
      end)(), "; "))
  end
  local explain = "add a least-privilege inline policy to the execution role, scoped to the exact "
    .. "resource ARNs the code was refused"
  for _, g in ipairs(named) do
    if iam.grant_resource(g.action, g.resource) ~= g.resource then
      explain = explain .. "; the trailing * on the secret ARN covers the random 6-character "
        .. "suffix Secrets Manager appends"
      break
    end
  end
  if #unnamed > 0 then
    local acts = {}
    for _, g in ipairs(unnamed) do acts[#acts + 1] = g.action end
    explain = explain .. ("; the log lines do not name the resource for %s: add it with the "
      .. "ARN of the bucket/object the code uses (never \"*\")"):format(table.concat(acts, ", "))
  end
  ctx:finding{
    severity = "fail",
    title = ("execution role %s lacks %d permission%s the code uses: %s (refused %d "
      .. "time%s in the last %s)"):format(role, #missing, #missing == 1 and "" or "s",
      pair_label(missing[1]) .. (#missing > 1 and (" and %d more"):format(#missing - 1) or ""),
      total, total == 1 and "" or "s", window_label),
    evidence = evidence,
    why = "every call the role may not make fails with AccessDenied, so the code path that "
      .. "needs it errors on each invocation",
    fix = { explain = explain, commands = commands, changes = changes },
    confidence = #unnamed > 0 and #named == 0 and "medium" or "high",
    data = { role = role, policy_name = #named > 0 and name or nil, policy = doc,
             denied = (function()
               local out = {}
               for _, g in ipairs(missing) do
                 out[#out + 1] = { action = g.action, resource = g.resource, count = g.count,
                                   first = g.first.iso, last = g.last.iso }
               end
               return out
             end)() },
  }
end

local function report_deny(ctx, role, g, verdict)
  local d = verdict.denies[1]
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = ("explicit Deny in %s policy %s%s: %s"):format(d.kind, d.policy,
    d.sid and (" (Sid " .. d.sid .. ")") or "", iam.statement_text(d.statement))
  ctx:finding{
    severity = "fail",
    title = ("%s is explicitly denied to role %s by policy %s (%d error%s)"):format(
      pair_label(g), role, d.policy, g.count, g.count == 1 and "" or "s"),
    evidence = evidence,
    why = "an explicit Deny wins over every Allow: no added permission can fix this while "
      .. "the Deny statement covers the action and resource",
    fix = {
      explain = ("narrow or remove the Deny statement%s in %s if the function is meant to do "
        .. "this; otherwise change the code so it no longer calls %s"):format(
        d.sid and (" " .. d.sid) or "", d.policy, g.action),
      commands = d.kind == "inline" and {
        ("aws iam get-role-policy --role-name %s --policy-name %s"):format(role, d.policy) } or
        { ("aws iam get-policy-version --policy-arn %s --version-id $(aws iam get-policy "
          .. "--policy-arn %s --query Policy.DefaultVersionId --output text)")
          :format(d.arn, d.arn) },
    },
    confidence = "high",
    data = { role = role, action = g.action, resource = g.resource, count = g.count,
             deny_policy = d.policy, deny_sid = d.sid },
  }
end

-- The message said the role's own policies refused it, yet they allow it now: the role
-- was changed after the errors (or is being changed).
local function report_since_fixed(ctx, role, g, a)
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = ("role %s allows it now: %s policy %s%s: %s"):format(role, a.kind,
    a.policy, a.sid and (" (Sid " .. a.sid .. ")") or "", iam.statement_text(a.statement))
  ctx:finding{
    severity = "info",
    title = ("%s was refused until %s; role %s allows it now"):format(pair_label(g),
      g.last.iso, role),
    evidence = evidence,
    why = "the refusals say no identity-based policy allowed the call, and the role's policies "
      .. "allow it now: the role changed after the last refusal; new errors would mean the "
      .. "change did not take",
    confidence = "medium",
    data = { role = role, action = g.action, resource = g.resource, count = g.count,
             last = g.last.iso, allowed_by = a.policy },
  }
end

local function report_elsewhere(ctx, role, g, verdict, boundary_blocks, role_arn)
  local a = verdict.allows[1]
  if g.reason == "no_identity_allow" and not boundary_blocks and not verdict.conditional then
    return report_since_fixed(ctx, role, g, a)
  end
  local where = boundary_blocks and ELSEWHERE.boundary or ELSEWHERE[g.reason or ""]
    or ELSEWHERE.unknown
  local evidence = evidence_for(g)
  evidence[#evidence + 1] = ("role %s allows it: %s policy %s%s: %s"):format(role, a.kind, a.policy,
    a.sid and (" (Sid " .. a.sid .. ")") or "", iam.statement_text(a.statement))
  if verdict.conditional then
    evidence[#evidence + 1] = "the allowing statement has conditions: "
      .. table.concat(a.conditions, ", ")
  end
  if boundary_blocks then
    evidence[#evidence + 1] = ("permissions boundary %s does not allow %s"):format(
      boundary_blocks.arn or boundary_blocks.name, g.action)
  end
  local commands, explain = {}, ("grant role %s in %s; the role's own policies need no change")
    :format(role, where[1])
  if g.action:match("^kms:") and g.resource and not boundary_blocks
      and (g.reason == "no_resource_allow" or g.reason == "kms_key_policy") then
    local key_file = ("key-policy-%s.json"):format(g.resource:match("key/(.+)$") or "key")
    explain = ("add a statement to the key policy of %s: {\"Sid\":\"Allow%sDecrypt\",\"Effect\":"
      .. "\"Allow\",\"Principal\":{\"AWS\":\"%s\"},\"Action\":\"%s\",\"Resource\":\"*\"} (in "
      .. "a key policy Resource \"*\" means this key); the role's own policies need no change")
      :format(g.resource, role:gsub("[^%w]", ""), role_arn, g.action)
    commands = {
      ("aws kms get-key-policy --key-id %s --policy-name default --output text > %s")
        :format(g.resource, key_file),
      ("aws kms put-key-policy --key-id %s --policy-name default --policy file://%s")
        :format(g.resource, key_file),
    }
  end
  ctx:finding{
    severity = "fail",
    title = ("%s is refused although role %s allows it: the denial comes from %s"):format(
      pair_label(g), role, where[1]),
    evidence = evidence,
    why = ("IAM allows a call only when every policy that applies allows it; the role's own "
      .. "policies do, so the refusal comes from %s"):format(where[2]),
    fix = { explain = explain, commands = commands },
    confidence = "medium",
    data = { role = role, action = g.action, resource = g.resource, count = g.count,
             reason = g.reason, allowed_by = a.policy },
  }
end

return {
  id = "access_denied",
  title = "Execution role permissions (AccessDenied)",
  description = "Access-denied errors in the logs against the execution role's policies",
  tags = { "permissions", "iam", "logs" },
  args = { max_line = 600, max_pairs = 20 },
  run = function(ctx)
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err) end
    local events, lerr = logs.events(ctx)
    if not events then
      if lerr and lerr.code == "ResourceNotFoundException" then
        return ctx:skip(("no log group %s: no logs to read access-denied errors from"):format(
          lerr.log_group or logs.group(ctx)))
      end
      return ctx:error_from(lerr, "logs FilterLogEvents")
    end
    local label = ctx.window and ctx.window.label or "window"
    local groups = gather(events, ctx.args.max_line)
    if #groups == 0 then
      return ctx:finding{ severity = "ok",
        title = ("no access-denied errors in %d log events of the last %s"):format(#events, label),
        confidence = "high", data = { events = #events } }
    end
    while #groups > ctx.args.max_pairs do table.remove(groups) end

    local exec_role = iam.role_name(cfg.Role)
    local by_role, roles = {}, {}
    for _, g in ipairs(groups) do
      local role = g.role or exec_role
      if not by_role[role] then
        by_role[role] = {}
        roles[#roles + 1] = role
      end
      table.insert(by_role[role], g)
    end
    for _, role in ipairs(roles) do
      local policies = iam.role_policies(ctx, role)
      for _, e in ipairs(policies.errors) do ctx:error_from(e.err, "iam " .. e.what) end
      if role ~= exec_role then
        ctx:finding{ severity = "info",
          title = ("access denied to %s, not to the execution role %s"):format(
            by_role[role][1].principal or role, exec_role),
          evidence = { by_role[role][1].line },
          why = "the code calls AWS with another identity (an assumed role or static keys); "
            .. "fix that identity's policies, not the execution role's",
          confidence = "medium" }
      end
      local missing, later = {}, {}
      for _, g in ipairs(by_role[role]) do
        local verdict = iam.evaluate(policies.list, g.action, g.exact or g.resource)
        local boundary_blocks
        if policies.boundary and policies.boundary.document then
          local b = iam.evaluate({ policies.boundary }, g.action, g.exact or g.resource)
          if b.decision ~= "allow" then boundary_blocks = policies.boundary end
        end
        if verdict.decision == "deny" then
          later[#later + 1] = function() report_deny(ctx, role, g, verdict) end
        elseif verdict.decision == "allow" then
          local role_arn = policies.role and policies.role.Arn
            or ("arn:aws:iam::%s:role/%s"):format(ctx.account, role)
          later[#later + 1] = function()
            report_elsewhere(ctx, role, g, verdict, boundary_blocks, role_arn)
          end
        else
          missing[#missing + 1] = g
        end
      end
      if #missing > 0 and (#policies.errors == 0 or #policies.list > 0) then
        report_missing(ctx, role, policies, missing, label)
      end
      for _, report in ipairs(later) do report() end
    end
  end,
}
