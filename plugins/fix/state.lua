--- fix.state: what a plan step's `read` says now, in the shape of its `before`/`after`.
--
-- The apply path re-reads every step just before sending it and refuses a plan whose
-- `before` no longer holds (someone changed the function since the triage); verify and
-- undo compare a fresh read with `after`. Each read operation answers in its own shape
-- (GetPolicy a JSON document, GetAlias a RoutingConfig that may be absent, IAM URL-encoded
-- documents), so this module projects a reply onto the fields a plan step names, and an
-- "absent" error (no policy, no such alias) onto json.null. Pure: no AWS calls.
local json = require("runbook.json")
local actions = require("fix.actions")
local policy = require("lib.policy")
local text = require("lib.text")

local M = {}

local null = json.null

-- Error codes that mean "the thing read does not exist": its state is absent, not unknown.
local ABSENT = {
  ResourceNotFoundException = true, ProvisionedConcurrencyConfigNotFoundException = true,
  NoSuchEntity = true, NoSuchEntityException = true,
}

local function is_null(v) return v == nil or v == null end

-- The statement `sid` of a Lambda resource policy, in AddPermission's parameter form.
local function permission_of(reply, sid)
  local doc = reply and reply.Policy and json.decode(reply.Policy)
  for _, s in ipairs(type(doc) == "table" and doc.Statement or {}) do
    if s.Sid == sid then
      local p = s.Principal
      if type(p) == "table" then p = p.Service or p.AWS end
      local account = type(p) == "string" and p:match("^arn:[%w-]+:iam::(%d+):root$")
      local cond = s.Condition or {}
      local like, equals = cond.ArnLike or {}, cond.StringEquals or {}
      return {
        StatementId = sid,
        Action = type(s.Action) == "table" and s.Action[1] or s.Action,
        Principal = account or p,
        SourceArn = like["AWS:SourceArn"] or (cond.ArnEquals or {})["AWS:SourceArn"],
        SourceAccount = equals["AWS:SourceAccount"],
        PrincipalOrgID = equals["aws:PrincipalOrgID"],
        FunctionUrlAuthType = equals["lambda:FunctionUrlAuthType"],
      }
    end
  end
  return null
end

local function document_text(v)
  if type(v) ~= "string" then return v end
  return v:find("^%s*{") and v or policy.url_decode(v)
end

-- read operation -> function(reply, call, fields) -> the state of `fields`
local READERS = {
  GetFunctionConfiguration = function(reply, _, fields)
    return actions.configuration_fields(reply, fields)
  end,
  GetFunctionConcurrency = function(reply)
    return { ReservedConcurrentExecutions = reply and reply.ReservedConcurrentExecutions or null }
  end,
  GetPolicy = function(reply, call)
    return { Statement = permission_of(reply, call.params.StatementId) }
  end,
  GetProvisionedConcurrencyConfig = function(reply)
    return { ProvisionedConcurrentExecutions =
      reply and reply.RequestedProvisionedConcurrentExecutions or null }
  end,
  ListAttachedRolePolicies = function(reply, call)
    for _, p in ipairs(reply and reply.AttachedPolicies or {}) do
      if p.PolicyArn == call.params.PolicyArn then return { PolicyArn = p.PolicyArn } end
    end
    return { PolicyArn = null }
  end,
  GetRolePolicy = function(reply)
    return { PolicyDocument = reply and document_text(reply.PolicyDocument) or null }
  end,
  GetAlias = function(reply)
    if not reply then return { FunctionVersion = null, RoutingConfig = null } end
    local routing = reply.RoutingConfig
    if is_null(routing) or is_null(routing.AdditionalVersionWeights) then
      routing = { AdditionalVersionWeights = {} }
    end
    return { FunctionVersion = reply.FunctionVersion, RoutingConfig = routing }
  end,
  GetEventSourceMapping = function(reply, _, fields)
    local out = {}
    for _, k in ipairs(fields) do
      local v = reply and reply[k]
      if k == "Enabled" and v == nil then v = actions.mapping_enabled(reply) end
      out[k] = is_null(v) and null or v
    end
    return out
  end,
}

--- The state a fresh read shows, projected onto `fields` (a list of names) for plan step
--- `step` (its `read` call and the write it guards). `reply`, `err` are the read's result.
--- -> state | nil, err (the read failed in a way that says nothing about the state)
function M.current(step, reply, err, fields)
  local read = step.read
  if not reply and not (err and ABSENT[err.code]) then return nil, err end
  local reader = READERS[read.operation]
  -- GetPolicy and ListAttachedRolePolicies look for the statement / policy the write names
  local call = { params = step.params or {} }
  if reader then
    local state = reader(reply, call, fields)
    local out = {}
    for _, k in ipairs(fields) do out[k] = state[k] == nil and null or state[k] end
    return out
  end
  local out = {}
  for _, k in ipairs(fields) do out[k] = reply and not is_null(reply[k]) and reply[k] or null end
  return out
end

--- The field names of a before/after table, sorted.
function M.fields(t)
  return text.sorted_keys(t or {})
end

local function json_doc(v)
  if type(v) ~= "string" or not v:find("^%s*[%[{]") then return nil end
  return json.decode(v)
end

--- Deep equality of two states: json.null equals absent, numbers by value, JSON documents
--- (policy text) by what they parse to, tables member by member in both directions.
function M.equal(want, have)
  if is_null(want) or is_null(have) then return is_null(want) and is_null(have) end
  local a, b = json_doc(want), json_doc(have)
  if a and b then return M.equal(a, b) end
  if type(want) ~= "table" or type(have) ~= "table" then return want == have end
  for k, v in pairs(want) do
    if not M.equal(v, have[k]) then return false end
  end
  for k, v in pairs(have) do
    if want[k] == nil and not is_null(v) then return false end
  end
  return true
end

--- A value in one short line for a difference: 3, "Active", {"Mode":"Active"}, absent.
function M.show(v)
  if is_null(v) then return "absent" end
  if type(v) == "table" then return json.encode(v) or "a table" end
  if type(v) == "string" then
    local doc = json_doc(v)
    if doc then return json.encode(doc) or v end
    return v
  end
  return tostring(v)
end

--- The fields where `have` differs from `want`: { "Timeout is 5, the plan expected 3", ... }
function M.differences(want, have, label)
  local out = {}
  for _, k in ipairs(M.fields(want)) do
    if not M.equal(want[k], have and have[k]) then
      out[#out + 1] = ("%s is %s, %s %s"):format(k, text.clip(M.show(have and have[k]), 160),
        label or "the plan expected", text.clip(M.show(want[k]), 160))
    end
  end
  return out
end

return M
