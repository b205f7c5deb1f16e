--- fix.actions: the plan steps built-in fixes are made of, with before/after/undo/read
--- filled from what the step already read.
--
-- A step passes in what it has (the GetFunctionConfiguration reply, the current reserved
-- concurrency, the statement it found); each builder returns one plan step (fix.plan) whose
-- `before` is that state in the operation's input form, `after` the state the call leaves,
-- `undo` the call that puts `before` back (nil when nothing can), and `read` the call that
-- reads `before` again, so the apply path can refuse a stale plan. Absent state is
-- json.null in before/after. Configuration changes always apply to $LATEST (Lambda has no
-- qualified UpdateFunctionConfiguration); fn.qualifier scopes permissions, aliases and
-- provisioned concurrency. See docs/fix-plans.md.
local json = require("runbook.json")
local model = require("fix.model")
local plan = require("fix.plan")

local M = {}

local null = json.null

local function copy(v)
  if type(v) ~= "table" or v == null then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

local function with(base, extra)
  local out = copy(base)
  for k, v in pairs(extra or {}) do out[k] = copy(v) end
  return out
end

local function call(service, operation, params)
  return { service = service, operation = operation, params = params }
end

local function fn_name(fn)
  if type(fn) == "string" then return fn end
  if type(fn) ~= "table" or type(fn.name) ~= "string" then
    error("fn must be { name = ..., qualifier = ... }", 3)
  end
  return fn.name
end

local function qualified(fn, params)
  local out = with({ FunctionName = fn_name(fn) }, params)
  if type(fn) == "table" and fn.qualifier then out.Qualifier = fn.qualifier end
  return out
end

-- A value as read, projected onto an input node: members the input does not take
-- (VpcConfig.VpcId, Environment.Error) are dropped, recursively.
local function project(v, node, tree)
  node = model.resolve(node, tree)
  if type(v) ~= "table" or v == null or not node then return copy(v) end
  if node.type == "structure" then
    local out = {}
    for k, x in pairs(v) do
      local member = node.members and node.members[k]
      if member then out[k] = project(x, member, tree) end
    end
    return out
  elseif node.type == "list" then
    local out = {}
    for i, x in ipairs(v) do out[i] = project(x, node.member, tree) end
    return out
  elseif node.type == "map" then
    local out = {}
    for k, x in pairs(v) do out[k] = project(x, node.value, tree) end
    return out
  end
  return copy(v)
end

-- GetFunctionConfiguration fields whose reply differs from the input: Layers are
-- { Arn, CodeSize } objects, ImageConfig comes as ImageConfigResponse.ImageConfig.
local FROM_READ = {
  Layers = function(cfg)
    if type(cfg.Layers) ~= "table" or cfg.Layers == null then return nil end
    local out = {}
    for i, layer in ipairs(cfg.Layers) do out[i] = type(layer) == "table" and layer.Arn or layer end
    return out
  end,
  ImageConfig = function(cfg)
    local r = cfg.ImageConfigResponse
    return type(r) == "table" and r ~= null and r.ImageConfig or nil
  end,
}

-- What to send to restore a field that was absent when read.
local EMPTY = {
  Description = "", KMSKeyArn = "", Layers = {}, FileSystemConfigs = {},
  Environment = { Variables = {} }, VpcConfig = { SubnetIds = {}, SecurityGroupIds = {} },
  DeadLetterConfig = { TargetArn = "" }, TracingConfig = { Mode = "PassThrough" },
  ImageConfig = {}, SnapStart = { ApplyOn = "None" }, EphemeralStorage = { Size = 512 },
}

--- The fields `names` of a GetFunctionConfiguration reply in UpdateFunctionConfiguration's
--- input form (Layers as ARNs, VpcConfig without VpcId...); an absent field is json.null.
--- The apply path compares a fresh read through this same function.
function M.configuration_fields(cfg, names)
  local tree = model.input("lambda", "UpdateFunctionConfiguration")
  local out = {}
  for _, name in ipairs(names) do
    local v
    if cfg and FROM_READ[name] then v = FROM_READ[name](cfg) elseif cfg then v = cfg[name] end
    if v == nil or v == null then
      out[name] = null
    else
      out[name] = project(v, tree.members[name], tree)
    end
  end
  return out
end

--- UpdateFunctionConfiguration of fn with `changes` ({ Timeout = 10, MemorySize = 512,
--- TracingConfig = { Mode = "Active" }, ... }); `cfg` is the GetFunctionConfiguration
--- reply the step read. The undo sends the fields back as they were.
function M.update_configuration(fn, cfg, changes)
  local name = fn_name(fn)
  local fields = model.sorted_keys(changes)
  local before = M.configuration_fields(cfg, fields)
  local undo = { FunctionName = name }
  for _, k in ipairs(fields) do
    local v = before[k]
    if v == null then v = EMPTY[k] end
    if v == nil then undo = nil; break end
    undo[k] = copy(v)
  end
  return plan.call("lambda", "UpdateFunctionConfiguration", with({ FunctionName = name }, changes), {
    before = before, after = copy(changes),
    undo = undo and call("lambda", "UpdateFunctionConfiguration", undo),
    read = call("lambda", "GetFunctionConfiguration", { FunctionName = name }),
  })
end

local function concurrency_read(fn)
  return call("lambda", "GetFunctionConcurrency", { FunctionName = fn_name(fn) })
end

--- PutFunctionConcurrency to n; `current` is the reserved concurrency read (nil: none).
--- Undo puts the old value back, or deletes the reservation when there was none.
function M.put_concurrency(fn, current, n)
  local name = fn_name(fn)
  local undo = current ~= nil
    and call("lambda", "PutFunctionConcurrency",
      { FunctionName = name, ReservedConcurrentExecutions = current })
    or call("lambda", "DeleteFunctionConcurrency", { FunctionName = name })
  local params = { FunctionName = name, ReservedConcurrentExecutions = n }
  return plan.call("lambda", "PutFunctionConcurrency", params, {
    before = { ReservedConcurrentExecutions = current == nil and null or current },
    after = { ReservedConcurrentExecutions = n },
    undo = undo, read = concurrency_read(fn),
  })
end

--- DeleteFunctionConcurrency (the function then uses the account's unreserved pool);
--- `current` is the reservation read. Undo puts it back.
function M.delete_concurrency(fn, current)
  local name = fn_name(fn)
  return plan.call("lambda", "DeleteFunctionConcurrency", { FunctionName = name }, {
    before = { ReservedConcurrentExecutions = current == nil and null or current },
    after = { ReservedConcurrentExecutions = null },
    undo = current ~= nil and call("lambda", "PutFunctionConcurrency",
      { FunctionName = name, ReservedConcurrentExecutions = current }) or nil,
    read = concurrency_read(fn),
  })
end

--- AddPermission with `statement` = AddPermission's own parameters besides FunctionName
--- and Qualifier ({ StatementId, Action, Principal, SourceArn, ... }). before/after name
--- the statement by its id: { Statement = null } -> { Statement = statement }.
function M.add_permission(fn, statement)
  local params = qualified(fn, statement)
  return plan.call("lambda", "AddPermission", params, {
    before = { Statement = null }, after = { Statement = copy(statement) },
    undo = call("lambda", "RemovePermission", qualified(fn, { StatementId = statement.StatementId })),
    read = call("lambda", "GetPolicy", qualified(fn)),
  })
end

--- RemovePermission of statement `sid`; `statement_before` is the statement as
--- AddPermission parameters (without FunctionName/Qualifier), or nil when it cannot be
--- expressed that way (then the removal cannot be undone).
function M.remove_permission(fn, sid, statement_before)
  return plan.call("lambda", "RemovePermission", qualified(fn, { StatementId = sid }), {
    before = { Statement = statement_before and copy(statement_before) or null },
    after = { Statement = null },
    undo = statement_before and call("lambda", "AddPermission", qualified(fn, statement_before)) or nil,
    read = call("lambda", "GetPolicy", qualified(fn)),
  })
end

--- PutProvisionedConcurrencyConfig on an alias or version; `current` is the configured
--- value read (nil: none). Undo restores it, or deletes the configuration.
function M.put_provisioned_concurrency(fn, qualifier, n, current)
  local id = { FunctionName = fn_name(fn), Qualifier = qualifier }
  local undo = current ~= nil
    and call("lambda", "PutProvisionedConcurrencyConfig",
      with(id, { ProvisionedConcurrentExecutions = current }))
    or call("lambda", "DeleteProvisionedConcurrencyConfig", copy(id))
  return plan.call("lambda", "PutProvisionedConcurrencyConfig",
    with(id, { ProvisionedConcurrentExecutions = n }), {
      before = { ProvisionedConcurrentExecutions = current == nil and null or current },
      after = { ProvisionedConcurrentExecutions = n },
      undo = undo, read = call("lambda", "GetProvisionedConcurrencyConfig", copy(id)),
    })
end

--- AttachRolePolicy of a managed policy; undo detaches it.
function M.attach_role_policy(role_name, policy_arn)
  local params = { RoleName = role_name, PolicyArn = policy_arn }
  return plan.call("iam", "AttachRolePolicy", params, {
    before = { PolicyArn = null }, after = { PolicyArn = policy_arn },
    undo = call("iam", "DetachRolePolicy", copy(params)),
    read = call("iam", "ListAttachedRolePolicies", { RoleName = role_name }),
  })
end

--- PutRolePolicy of an inline policy; `document` is a table (encoded with runbook.json,
--- keys sorted) or JSON text; `existing` is the document that policy name holds now (nil:
--- none). Undo puts the old document back, or deletes the policy.
function M.put_role_policy(role_name, policy_name, document, existing)
  local function text(doc)
    if type(doc) == "string" then return doc end
    return assert(json.encode(doc))
  end
  local id = { RoleName = role_name, PolicyName = policy_name }
  local undo = existing ~= nil
    and call("iam", "PutRolePolicy", with(id, { PolicyDocument = text(existing) }))
    or call("iam", "DeleteRolePolicy", copy(id))
  return plan.call("iam", "PutRolePolicy", with(id, { PolicyDocument = text(document) }), {
    before = { PolicyDocument = existing ~= nil and text(existing) or null },
    after = { PolicyDocument = text(document) },
    undo = undo, read = call("iam", "GetRolePolicy", copy(id)),
  })
end

--- Whether a mapping counts as Enabled, from the State that GetEventSourceMapping and
--- ListEventSourceMappings report (they have no Enabled field): nil when it has no State.
function M.mapping_enabled(mapping)
  local state = type(mapping) == "table" and mapping.State
  if type(state) ~= "string" then return nil end
  return state == "Enabled" or state == "Enabling" or state == "Updating"
end

--- UpdateEventSourceMapping `uuid` with `changes` ({ Enabled = true, BatchSize = 10 });
--- `before` is the GetEventSourceMapping reply (or just the changed fields as read; its
--- Enabled comes from its State when it has no Enabled).
function M.update_event_source_mapping(uuid, changes, before)
  local tree = model.input("lambda", "UpdateEventSourceMapping")
  local old = {}
  for _, k in ipairs(model.sorted_keys(changes)) do
    local v = before and before[k]
    if k == "Enabled" and v == nil then v = M.mapping_enabled(before) end
    old[k] = v == nil and null or project(v, tree.members[k], tree)
  end
  local undo = { UUID = uuid }
  for k, v in pairs(old) do
    if v == null then undo = nil; break end
    undo[k] = copy(v)
  end
  return plan.call("lambda", "UpdateEventSourceMapping", with({ UUID = uuid }, changes), {
    before = old, after = copy(changes),
    undo = undo and call("lambda", "UpdateEventSourceMapping", undo),
    read = call("lambda", "GetEventSourceMapping", { UUID = uuid }),
  })
end

--- PublishVersion of $LATEST. A later step uses the new number as plan.ref(i, "Version").
--- Not undone: a published version is immutable and harmless left in place.
function M.publish_version(fn, description)
  return plan.call("lambda", "PublishVersion", { FunctionName = fn_name(fn), Description = description }, {
    before = {}, after = {},
  })
end

--- CreateAlias `name` -> version (a number as text, or plan.ref(i, "Version")). Undo
--- deletes the alias.
function M.create_alias(fn, name, version)
  local id = { FunctionName = fn_name(fn), Name = name }
  return plan.call("lambda", "CreateAlias", with(id, { FunctionVersion = version }), {
    before = { FunctionVersion = null }, after = { FunctionVersion = copy(version) },
    undo = call("lambda", "DeleteAlias", copy(id)),
    read = call("lambda", "GetAlias", copy(id)),
  })
end

--- UpdateAlias `name` -> version; `alias` is the GetAlias reply (its FunctionVersion and
--- RoutingConfig are restored by the undo). `routing` (optional) replaces RoutingConfig;
--- pass { AdditionalVersionWeights = {} } to clear a weighted alias.
function M.update_alias(fn, name, version, alias, routing)
  local id = { FunctionName = fn_name(fn), Name = name }
  local params = with(id, { FunctionVersion = version, RoutingConfig = routing })
  local before = { FunctionVersion = alias.FunctionVersion,
                   RoutingConfig = alias.RoutingConfig or { AdditionalVersionWeights = {} } }
  return plan.call("lambda", "UpdateAlias", params, {
    before = before,
    after = { FunctionVersion = copy(version),
              RoutingConfig = routing and copy(routing) or before.RoutingConfig },
    undo = call("lambda", "UpdateAlias", with(id, before)),
    read = call("lambda", "GetAlias", copy(id)),
  })
end

--- A verify entry that re-reads fn's configuration ($LATEST) and checks `path` `op`
--- `value` (ops: ==, ~=, <, <=, >, >=, contains, present, absent). `what` defaults to
--- "<path> <op> <value>".
function M.verify_field(fn, path, op, value, what)
  if not plan.VERIFY_OPS[op] then error("verify_field: unknown op '" .. tostring(op) .. "'", 2) end
  return {
    what = what or (value == nil and (path .. " " .. op) or ("%s %s %s"):format(path, op, tostring(value))),
    read = call("lambda", "GetFunctionConfiguration", { FunctionName = fn_name(fn) }),
    path = path, op = op, value = value,
  }
end

return M
