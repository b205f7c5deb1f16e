--- lib.policy: IAM policy documents read, matched and evaluated the way IAM does.
--
-- The access-denied and forbidden diagnoses both need to answer "does this policy allow
-- ACTION on RESOURCE?" for documents IAM hands back URL-encoded. This module parses them
-- (URL-decoding first), normalizes statements (a single statement or a list, string or
-- list values), matches Action / NotAction / Resource / NotResource with IAM's `*` and
-- `?` wildcards (actions case-insensitively), and evaluates a set of policies with IAM's
-- rule that an explicit Deny wins over any Allow. Conditions are not evaluated: a
-- statement with a Condition block is reported as conditional so the caller can say so.
-- It also reads the "is not authorized to perform" messages every AWS SDK prints.
--
-- Pure: no AWS. The role's documents are read by evidence.role.
--
--   local verdict = policy.evaluate(ev.role.list, "dynamodb:PutItem", table_arn)
--   verdict.decision  -- "allow" | "deny" | "implicit"
local arn = require("lib.arn")
local json = require("runbook.json")

local M = {}

--- Percent-decodes `s` (IAM encodes policy documents per RFC 3986; "+" stays "+").
function M.url_decode(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- A policy document from GetRolePolicy / GetPolicyVersion / GetPolicy (Lambda): a JSON
--- string, URL-encoded or not, or an already decoded table. Returns doc or nil, message.
function M.parse_document(doc)
  if type(doc) == "table" then return doc end
  if type(doc) ~= "string" then return nil, "no policy document" end
  local text = doc
  if not text:find("^%s*{") then text = M.url_decode(text) end
  local decoded, err = json.decode(text)
  if type(decoded) ~= "table" then
    return nil, "policy document is not JSON: " .. (err and err.message or "not an object")
  end
  return decoded
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local mt = getmetatable(t)
  return (mt and mt.__jsontype == "array") or t[1] ~= nil
end

--- A string or list of strings as a list (nil -> nil).
local function list(v)
  if v == nil or v == json.null then return nil end
  if type(v) == "table" then
    local out = {}
    for _, x in ipairs(v) do out[#out + 1] = tostring(x) end
    return out
  end
  return { tostring(v) }
end
M.list = list

--- The statements of a document, normalized: {sid, effect, actions, not_actions,
--- resources, not_resources, principal, condition, raw}.
function M.statements(doc)
  local raw = doc and doc.Statement
  if raw == nil then return {} end
  if not is_array(raw) then raw = { raw } end
  local out = {}
  for _, s in ipairs(raw) do
    if type(s) == "table" then
      out[#out + 1] = {
        sid = s.Sid,
        effect = s.Effect,
        actions = list(s.Action),
        not_actions = list(s.NotAction),
        resources = list(s.Resource),
        not_resources = list(s.NotResource),
        principal = s.Principal,
        condition = s.Condition ~= json.null and s.Condition or nil,
        raw = s,
      }
    end
  end
  return out
end

--- IAM wildcard match: `*` any run of characters, `?` one character. Policy variables
--- (${aws:username}) match anything. Case-insensitive when `fold` is true.
function M.wildcard_match(pattern, value, fold)
  if pattern == nil or value == nil then return false end
  if fold then pattern, value = pattern:lower(), value:lower() end
  if pattern == "*" then return true end
  local lua = { "^" }
  local i = 1
  while i <= #pattern do
    local c = pattern:sub(i, i)
    local var_end = c == "$" and pattern:sub(i + 1, i + 1) == "{" and pattern:find("}", i, true)
    if var_end then
      lua[#lua + 1] = ".*"
      i = var_end
    elseif c == "*" then
      lua[#lua + 1] = ".*"
    elseif c == "?" then
      lua[#lua + 1] = "."
    else
      lua[#lua + 1] = c:gsub("%p", "%%%0")
    end
    i = i + 1
  end
  lua[#lua + 1] = "$"
  return value:find(table.concat(lua)) ~= nil
end

local function any_match(patterns, value, fold)
  for _, p in ipairs(patterns or {}) do
    if M.wildcard_match(p, value, fold) then return p end
  end
  return nil
end

--- Whether statement `s` covers `action` (case-insensitive, NotAction inverts).
function M.action_matches(s, action)
  if s.actions then return any_match(s.actions, action, true) ~= nil end
  if s.not_actions then return any_match(s.not_actions, action, true) == nil end
  return false
end

--- Whether statement `s` covers `resource`; a nil resource (unknown) matches only a
--- statement whose Resource is "*" or that has no Resource (resource policies).
function M.resource_matches(s, resource)
  if resource == nil then
    if s.resources then
      for _, r in ipairs(s.resources) do if r == "*" then return true end end
      return false
    end
    return true
  end
  if s.resources then return any_match(s.resources, resource) ~= nil end
  if s.not_resources then return any_match(s.not_resources, resource) == nil end
  return true -- resource-based policies may omit Resource: the resource is implied
end

--- The condition keys of a statement, "Operator key" strings, for reports.
function M.condition_summary(s)
  local out = {}
  for op, block in pairs(s.condition or {}) do
    if type(block) == "table" then
      for key in pairs(block) do out[#out + 1] = op .. " " .. key end
    end
  end
  table.sort(out)
  return out
end

--- The values a statement's Condition gives `key` (case-insensitive) under any of the
--- operators in `ops` (a set, e.g. {ArnLike = true}); nil when the key is absent.
function M.condition_values(s, key, ops)
  local found
  for op, block in pairs(s.condition or {}) do
    local bare = op:gsub("^ForAnyValue:", ""):gsub("^ForAllValues:", ""):gsub("IfExists$", "")
    if type(block) == "table" and (ops == nil or ops[bare]) then
      for k, v in pairs(block) do
        if k:lower() == key:lower() then
          found = found or {}
          for _, x in ipairs(list(v) or {}) do found[#found + 1] = { op = bare, value = x } end
        end
      end
    end
  end
  return found
end

--- Evaluates `action` on `resource` against policies {{name, kind, arn, document}...}.
--- Returns {decision = "allow"|"deny"|"implicit", allows = {...}, denies = {...},
--- conditional = bool}; each match is {policy, kind, arn, sid, effect, conditions,
--- statement}. A conditional Deny makes decision "deny" only when no condition is
--- attached; otherwise it is listed and `conditional` is set.
function M.evaluate(policies, action, resource)
  local v = { allows = {}, denies = {}, conditional = false }
  for _, p in ipairs(policies or {}) do
    for _, s in ipairs(M.statements(p.document)) do
      if M.action_matches(s, action) and M.resource_matches(s, resource) then
        local m = { policy = p.name, kind = p.kind, arn = p.arn, sid = s.sid, effect = s.effect,
                    conditions = M.condition_summary(s), statement = s.raw }
        if s.effect == "Deny" then v.denies[#v.denies + 1] = m
        elseif s.effect == "Allow" then v.allows[#v.allows + 1] = m end
      end
    end
  end
  local hard_deny, hard_allow = false, false
  for _, m in ipairs(v.denies) do if #m.conditions == 0 then hard_deny = true end end
  for _, m in ipairs(v.allows) do if #m.conditions == 0 then hard_allow = true end end
  if hard_deny then
    v.decision = "deny"
  elseif #v.allows > 0 then
    v.decision = "allow"
    v.conditional = not hard_allow or #v.denies > 0
  else
    v.decision = "implicit"
    v.conditional = #v.denies > 0
  end
  return v
end

--- A statement as one line of compact JSON (keys sorted), for evidence.
function M.statement_text(raw)
  return json.encode(raw) or "?"
end

--- The role name of a role or assumed-role ARN (lib.arn.role_name).
M.role_name = arn.role_name

--- A name that is not in the set `taken` (name -> true): base, base-2, base-3, ...
--- (new statement ids and inline policy names must not replace existing ones).
function M.unique_name(base, taken)
  local name, n = base, 1
  while taken[name] do
    n = n + 1
    name = base .. "-" .. n
  end
  return name
end

--- "secretsmanager:GetSecretValue" -> "secretsmanager".
function M.service_of(action)
  return (action:match("^([^:]+):") or action):lower()
end

-- ---- "is not authorized to perform" messages ----

-- The reason clause of an access-denied message, as IAM words it since 2021.
local REASONS = {
  { "no identity%-based policy allows", "no_identity_allow" },
  { "explicit deny in an identity%-based policy", "identity_deny" },
  { "no resource%-based policy allows", "no_resource_allow" },
  { "explicit deny in a resource%-based policy", "resource_deny" },
  { "explicit deny in a service control policy", "scp_deny" },
  { "no service control policy allows", "scp_deny" },
  { "explicit deny in a resource control policy", "rcp_deny" },
  { "no permissions boundary allows", "boundary" },
  { "explicit deny in a permissions boundary", "boundary" },
  { "no session policy allows", "session" },
  { "explicit deny in a session policy", "session" },
  { "no VPC endpoint policy allows", "vpce" },
  { "explicit deny in a VPC endpoint policy", "vpce" },
  { "resource does not exist in this Region", "kms_key_policy" },
}

-- S3 operations whose IAM action is not simply s3:<Operation>.
local S3_OPERATION_ACTIONS = {
  HeadObject = "s3:GetObject", ListObjectsV2 = "s3:ListBucket", ListObjects = "s3:ListBucket",
  HeadBucket = "s3:ListBucket", ListObjectVersions = "s3:ListBucketVersions",
  GetObjectVersion = "s3:GetObjectVersion", CreateMultipartUpload = "s3:PutObject",
  UploadPart = "s3:PutObject", CompleteMultipartUpload = "s3:PutObject",
  DeleteObjects = "s3:DeleteObject", CopyObject = "s3:PutObject",
}

local function clean_resource(r)
  if not r then return nil end
  r = r:gsub('^["\']', ""):gsub("\\\"", "")
  r = r:gsub('["\'),;]+$', ""):gsub("%.$", "")
  return r
end

-- "sqs:sendmessage" from SQS, "SNS:Publish" from SNS: IAM actions are case-insensitive;
-- use the prefix in lower case and the operation's own casing when the line names it.
local function canonical_action(action, operation)
  local prefix, name = action:match("^([%w%-]+):(.+)$")
  if not prefix then return action end
  if operation and operation:lower() == name:lower() then name = operation end
  return prefix:lower() .. ":" .. name
end

--- Reads one log line for an access-denied error. Returns nil when it is not one, else
--- {action|nil, resource|nil, principal|nil, reason|nil, operation|nil, service|nil,
--- code|nil}. Understands the IAM wording every SDK passes through ("User: ARN is not
--- authorized to perform: ACTION on resource: ARN because ..."), boto3's "An error
--- occurred (CODE) when calling the OP operation", Go v2's "operation error SVC: OP",
--- Java's "(Service: X; Status Code: 403; Error Code: AccessDenied" and S3's bare
--- "Access Denied".
function M.parse_denial(line)
  local code = line:match("An error occurred %(([%w.]+)%)")
    or line:match("api error ([%w.]+):") or line:match("Error Code: ([%w.]+)")
    or line:match('"errorType"%s*:%s*"([%w.]+)"') or line:match('"name"%s*:%s*"([%w.]+)"')
    or line:match("(%w*AccessDenied%w*)") or line:match("(AuthorizationError)")
  local operation = line:match("when calling the (%w+) operation")
    or line:match("operation error [%w%s]+: (%w+),")
  local service = line:match("operation error ([%w%s]-): %w+,")
    or line:match("%(Service: ([^;,)]+)")
  local principal, action =
    line:match("User: (%S+) is not authorized to perform: ([%w%-]+:[%w%*]+)")
  if not action then
    action = line:match("not authorized to perform: ([%w%-]+:[%w%*]+)")
  end
  local denied_text = action or line:find("Access Denied", 1, true)
    or (code and (code:find("AccessDenied") or code == "AuthorizationError"))
  if not denied_text then return nil end
  local d = { principal = principal, operation = operation, service = service, code = code }
  if action then
    d.action = canonical_action(action, operation)
    local rest = line:match("not authorized to perform: [%w%-]+:[%w%*]+(.*)$") or ""
    d.resource = clean_resource(rest:match("^ on resource: (%S+)"))
    if rest:match("^ on this resource") then d.resource = nil end
    for _, r in ipairs(REASONS) do
      if rest:find(r[1]) then d.reason = r[2] break end
    end
  elseif operation and ((service and service:lower():find("s3"))
      or line:find("Access Denied", 1, true)) then
    d.action = S3_OPERATION_ACTIONS[operation] or ("s3:" .. operation)
  end
  return d
end

-- ---- least-privilege documents ----

--- The Resource to grant for a denied ARN: exact, except Secrets Manager secret ARNs,
--- which get "*" after the name for the random 6-character suffix AWS appends.
function M.grant_resource(action, resource)
  if not resource then return nil end
  if M.service_of(action) == "secretsmanager" and resource:find(":secret:", 1, true) then
    local base = resource:gsub("%-%w%w%w%w%w%w$", "")
    return base .. "*"
  end
  return resource
end

--- A least-privilege policy document for {{action, resource}...}: one statement per
--- resource with its actions sorted; entries without a resource are left out.
function M.least_privilege(pairs_)
  local by_resource, order = {}, {}
  for _, p in ipairs(pairs_) do
    local res = M.grant_resource(p.action, p.resource)
    if res then
      if not by_resource[res] then
        by_resource[res] = {}
        order[#order + 1] = res
      end
      by_resource[res][p.action] = true
    end
  end
  local statements = {}
  for _, res in ipairs(order) do
    local actions = {}
    for a in pairs(by_resource[res]) do actions[#actions + 1] = a end
    table.sort(actions)
    statements[#statements + 1] = { Effect = "Allow", Action = json.array(actions), Resource = res }
  end
  return { Version = "2012-10-17", Statement = json.array(statements) }
end

--- A document as compact JSON with the keys IAM shows first (Version, Statement; then
--- Effect, Action, Resource), for a shell command line.
function M.document_text(doc)
  local parts = {}
  for _, s in ipairs(doc.Statement) do
    parts[#parts + 1] = ('{"Effect":%s,"Action":%s,"Resource":%s}'):format(
      json.encode(s.Effect), json.encode(s.Action), json.encode(s.Resource))
  end
  return ('{"Version":"2012-10-17","Statement":[%s]}'):format(table.concat(parts, ","))
end

return M
