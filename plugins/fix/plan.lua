--- fix.plan: a finding's fix as data, an ordered list of AWS calls, checked against the
--- official models.
--
-- A plan step is { service, operation, params, before, after, undo, read }: the call, the
-- fields it changes (as read before, as they will be after), the call that reverses it
-- (nil when irreversible) and the read that gives `before` again. Steps are built with
-- call(), checked with validate(), and turned into the finding's JSON-friendly `fix` by
-- normalize(), which also renders the `aws` commands (fix.render), so a finding never
-- shows a command its plan would not send. See docs/fix-plans.md.
local json = require("runbook.json")
local model = require("fix.model")
local policy = require("lib.policy")
local render = require("fix.render")

local M = {}

local VERIFY_OPS = { ["=="] = true, ["~="] = true, ["<"] = true, ["<="] = true, [">"] = true,
                     [">="] = true, contains = true, present = true, absent = true,
                     allows = true }
M.VERIFY_OPS = VERIFY_OPS

--- A marker for field `field` of the output of plan step `i` (an earlier step): the
--- renderer captures it in a shell variable, the apply path reads it from the reply.
function M.ref(i, field)
  if math.type(i) ~= "integer" or i < 1 then error("plan.ref: step must be an index >= 1", 2) end
  if type(field) ~= "string" or field == "" then error("plan.ref: field must be a name", 2) end
  return { ["$ref"] = { step = i, field = field } }
end

--- A marker for a blob parameter read from a local file (rendered as fileb://path).
function M.file(path)
  if type(path) ~= "string" or path == "" then error("plan.file: path must be a string", 2) end
  return { ["$file"] = path }
end

-- A table given for a string the model says is a JSON document (an IAM policy) becomes
-- its JSON text here, once, so params hold exactly the string that is sent.
local function encode_documents(service, params, tree)
  if type(params) ~= "table" then return params end
  local out = {}
  for k, v in pairs(params) do
    local node = tree and tree.members and tree.members[k]
    if type(v) == "table" and not model.ref_of(v) and model.is_json_document(service, node) then
      out[k] = assert(json.encode(v))
    else
      out[k] = v
    end
  end
  return out
end

--- A plan step: call("lambda", "UpdateFunctionConfiguration", { FunctionName = "f",
--- Timeout = 10 }, { before = {...}, after = {...}, undo = {...}, read = {...} }).
--- `undo` and `read` are calls too: { service, operation, params } (or built by call()).
function M.call(service, operation, params, extra)
  extra = extra or {}
  local tree = model.input(service, operation)
  local step = {
    service = service, operation = operation,
    params = encode_documents(service, params or {}, tree),
    before = extra.before, after = extra.after,
  }
  for _, key in ipairs({ "undo", "read" }) do
    local c = extra[key]
    if c then
      local t = model.input(c.service, c.operation)
      step[key] = { service = c.service, operation = c.operation,
                    params = encode_documents(c.service, c.params or {}, t) }
    end
  end
  return step
end

-- Case-insensitive edit distance, for "did you mean".
local function distance(a, b)
  a, b = a:lower(), b:lower()
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function nearest(word, names)
  local best, best_d
  for _, name in ipairs(names) do
    local d = distance(word, name)
    if name:lower():find(word:lower(), 1, true) == 1 then d = math.min(d, 1) end
    if not best_d or d < best_d then best, best_d = name, d end
  end
  if best and best_d <= math.max(2, #word // 3) then return best end
  return nil
end

local function is_array(v)
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n == #v
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(#v > 40 and v:sub(1, 37) .. "..." or v) end
  return type(v) == "table" and "a table" or tostring(v)
end

local TYPE_WORDS = {
  string = "a string", integer = "an integer", long = "an integer", boolean = "a boolean",
  double = "a number", float = "a number", timestamp = "a timestamp (ISO 8601 text or epoch)",
  blob = "bytes (a string) or plan.file(path)", structure = "a table of members",
  list = "a list (a sequence)", map = "a table of keys to values",
}

-- Checks value v against model node; returns nil or "path: what is wrong".
local function check_value(v, node, path, cx)
  node = model.resolve(node, cx.tree)
  local t = node.type
  local ref = model.ref_of(v)
  if model.secret_of(v) and (t == "string" or t == "blob") then return nil end
  if ref then
    if math.type(ref.step) ~= "integer" or type(ref.field) ~= "string" then
      return path .. ": a reference needs a step index and a field (use plan.ref)"
    end
    if ref.step > cx.max_ref then
      return ("%s: refers to step %d, which does not run before it"):format(path, ref.step)
    end
    if t == "boolean" then return path .. ": a boolean cannot come from a reference" end
    return nil
  end
  local ok
  if t == "string" then
    ok = type(v) == "string"
    if ok and model.is_json_document(cx.service, node) and not json.decode(v) then
      return path .. " must be JSON text (a policy document), got " .. show(v)
    end
  elseif t == "integer" or t == "long" then ok = type(v) == "number" and math.tointeger(v) ~= nil
  elseif t == "double" or t == "float" then ok = type(v) == "number"
  elseif t == "boolean" then ok = type(v) == "boolean"
  elseif t == "timestamp" then ok = type(v) == "string" or type(v) == "number"
  elseif t == "blob" then ok = type(v) == "string" or model.file_of(v) ~= nil
  elseif t == "structure" or t == "map" or t == "list" then ok = type(v) == "table"
  else ok = true end -- document and anything newer: free-form
  if not ok then
    return ("%s must be %s, got %s"):format(path, TYPE_WORDS[t] or t, show(v))
  end
  if t == "structure" then return cx.check_structure(v, node, path)
  elseif t == "list" then
    if not is_array(v) then return path .. " must be a list (a sequence), got a table with keys" end
    for i, item in ipairs(v) do
      local err = check_value(item, node.member, ("%s[%d]"):format(path, i), cx)
      if err then return err end
    end
  elseif t == "map" then
    for _, k in ipairs(model.sorted_keys(v)) do
      if type(k) ~= "string" then return path .. " must have string keys" end
      local err = check_value(v[k], node.value, ("%s.%s"):format(path, k), cx)
      if err then return err end
    end
  end
  return nil
end

local function check_structure(v, node, path, cx)
  local names = model.sorted_keys(node.members or {})
  for _, k in ipairs(model.sorted_keys(v)) do
    local member = type(k) == "string" and node.members and node.members[k]
    local where = path == "" and tostring(k) or (path .. "." .. tostring(k))
    if not member then
      local guess = type(k) == "string" and nearest(k, names)
      return ("unknown parameter '%s'%s"):format(where,
        guess and (" (did you mean " .. guess .. "?)") or "")
    end
    local err = check_value(v[k], member, where, cx)
    if err then return err end
  end
  for _, name in ipairs(node.required or {}) do
    if v[name] == nil then
      return ("missing required parameter '%s'"):format(path == "" and name or (path .. "." .. name))
    end
  end
  return nil
end

-- Checks one call { service, operation, params }; `role` names it in messages, `read_only`
-- refuses a write, `max_ref` is the last step its references may name.
local function check_call(c, role, max_ref, read_only)
  if type(c) ~= "table" then return role .. " must be a table { service, operation, params }" end
  if type(c.service) ~= "string" or type(c.operation) ~= "string" then
    return role .. " needs a service and an operation (strings)"
  end
  local tree, op = model.input(c.service, c.operation)
  if not tree then return ("%s: %s"):format(role, op) end
  if read_only and op.write then
    return ("%s: %s %s is a write; a read must only read"):format(role, c.service, c.operation)
  end
  if c.params ~= nil and type(c.params) ~= "table" then return role .. ": params must be a table" end
  local cx = { tree = tree, service = c.service, max_ref = max_ref }
  cx.check_structure = function(v, node, path) return check_structure(v, node, path, cx) end
  local err = check_structure(c.params or {}, tree, "", cx)
  if err then return ("%s (%s %s): %s"):format(role, c.service, c.operation, err) end
  return nil
end

local function check_verify(verify, n)
  if type(verify) ~= "table" then return "verify must be a list of checks" end
  for i, v in ipairs(verify) do
    local role = ("verify %d"):format(i)
    if type(v) ~= "table" then return role .. " must be a table" end
    if type(v.what) ~= "string" or v.what == "" then
      return role .. " needs `what`: the check in words (\"Timeout >= 6\")"
    end
    if v.read then
      local err = check_call(v.read, role .. " read", n, true)
      if err then return err end
      if type(v.path) ~= "string" or v.path == "" then return role .. " needs a `path` in the reply" end
      if not VERIFY_OPS[v.op] then
        return ("%s: op must be one of ==, ~=, <, <=, >, >=, contains, present, absent, "
          .. "allows, not %s"):format(role, show(v.op))
      end
      if v.value == nil and v.op ~= "present" and v.op ~= "absent" then
        return role .. " needs a `value` to compare with"
      end
      if v.op == "allows" and (type(v.value) ~= "table" or type(v.value.action) ~= "string") then
        return role .. ": op allows needs a value { action = ..., resource = ..., principal = "
          .. "..., source_arn = ... } (action required)"
      end
    elseif type(v.step) ~= "string" then
      return role .. " needs either a `read` (call, path, op, value) or a `step` id to re-run"
    end
  end
  return nil
end

--- Checks a plan (a list of steps) against the models: true, or nil and one line naming
--- what is wrong ("plan step 2 (lambda AddPermission): missing required parameter
--- 'Action'"). Each step's operation must exist, every parameter be a member of its input
--- (recursively) with a plausible type, required members present; `undo` and `read` are
--- checked the same way, a `read` must not write, and references point backwards.
function M.validate(p, verify)
  if type(p) ~= "table" or not is_array(p) then return nil, "plan must be a list of steps" end
  for i, step in ipairs(p) do
    local role = ("plan step %d"):format(i)
    local err = check_call(step, role, i - 1)
    if not err and step.undo ~= nil then err = check_call(step.undo, role .. " undo", i) end
    if not err and step.read ~= nil then err = check_call(step.read, role .. " read", i - 1, true) end
    if not err then
      for _, key in ipairs({ "before", "after" }) do
        if step[key] ~= nil and type(step[key]) ~= "table" then
          err = ("%s: %s must be a table of fields"):format(role, key)
        end
      end
    end
    if err then return nil, err end
  end
  if verify ~= nil then
    local err = check_verify(verify, #p)
    if err then return nil, err end
  end
  return true
end

-- The value at parts[i..] of v; a part "Name[]" maps the rest of the path over the list
-- v.Name ("AttachedPolicies[].PolicyArn" -> every attached policy's ARN).
local function walk(v, parts, i)
  local part = parts[i]
  if part == nil then return v end
  if type(v) ~= "table" then return nil end
  local name = part:match("^(.*)%[%]$")
  if name then
    local list = name == "" and v or v[name]
    if type(list) ~= "table" or list == json.null then return nil end
    local out = {}
    for _, x in ipairs(list) do
      local r = walk(x, parts, i + 1)
      if r ~= nil then out[#out + 1] = r end
    end
    return out
  end
  local key = math.tointeger(tonumber(part))
  local x = v[part]
  if x == nil and key then x = v[key] end
  return walk(x, parts, i + 1)
end

-- The value at a dotted path ("TracingConfig.Mode", "Layers.1.Arn",
-- "AttachedPolicies[].PolicyArn") of a reply.
local function at_path(reply, path)
  local parts = {}
  for part in tostring(path):gmatch("[^.]+") do parts[#parts + 1] = part end
  return walk(reply, parts, 1)
end
M.at_path = at_path

--- A copy of `value` (a step's params) with each reference replaced by the field it names
--- in `outputs[step]` (the replies of the calls made so far). Raises when one is missing:
--- the apply path must stop rather than send a half-filled request.
function M.resolve(value, outputs)
  local ref = model.ref_of(value)
  if ref then
    local reply = outputs[ref.step]
    local v = reply and at_path(reply, ref.field)
    if v == nil or v == json.null then
      error(("step %d gave no '%s' for a later call"):format(ref.step, ref.field), 2)
    end
    return v
  end
  if type(value) ~= "table" or value == json.null then return value end
  local out = {}
  for k, v in pairs(value) do out[k] = M.resolve(v, outputs) end
  return setmetatable(out, getmetatable(value))
end

local COMPARE = {
  ["=="] = function(a, b) return a == b end,
  ["~="] = function(a, b) return a ~= b end,
  ["<"] = function(a, b) return a < b end,
  ["<="] = function(a, b) return a <= b end,
  [">"] = function(a, b) return a > b end,
  [">="] = function(a, b) return a >= b end,
}

-- Whether statement `s` names `principal` (a service or an account ARN) or everyone.
local function names_principal(s, principal)
  local p = s.principal
  if p == "*" then return true end
  if type(p) ~= "table" then return false end
  for _, key in ipairs({ "Service", "AWS" }) do
    for _, x in ipairs(policy.list(p[key]) or {}) do
      if x == "*" or x == principal then return true end
    end
  end
  return false
end

-- Whether a resource-policy statement's aws:SourceArn condition admits `source` (no such
-- condition admits every source).
local function admits_source(s, source)
  if source == nil then return true end
  local values = policy.condition_values(s, "aws:SourceArn")
  if values == nil then return true end
  for _, c in ipairs(values) do
    local exact = c.op == "ArnEquals" or c.op == "StringEquals"
    if (exact and c.value == source) or (not exact and policy.wildcard_match(c.value, source)) then
      return true
    end
  end
  return false
end

-- op "allows": the policy document at the path (JSON text, URL-encoded or not, or a
-- table) allows want.action on want.resource. With want.principal it is a resource policy
-- (Lambda GetPolicy): an Allow must name that principal and admit want.source_arn, and no
-- Deny may match; otherwise an identity policy, evaluated as IAM does (lib.policy), whose
-- Allow must hold without conditions.
local function allows(doc, want)
  local parsed = policy.parse_document(doc)
  if type(parsed) ~= "table" then return false end
  if want.principal == nil then
    local v = policy.evaluate({ { name = "policy", document = parsed } }, want.action, want.resource)
    return v.decision == "allow" and not v.conditional
  end
  local allowed = false
  for _, s in ipairs(policy.statements(parsed)) do
    if names_principal(s, want.principal) and policy.action_matches(s, want.action)
        and (want.resource == nil or policy.resource_matches(s, want.resource))
        and admits_source(s, want.source_arn) then
      if s.effect == "Deny" then return false end
      if s.effect == "Allow" then allowed = true end
    end
  end
  return allowed
end

local function allows_text(want)
  local out = { want.action }
  if want.resource then out[#out + 1] = "on " .. want.resource end
  if want.principal then out[#out + 1] = "for " .. want.principal end
  if want.source_arn then out[#out + 1] = "from " .. want.source_arn end
  return table.concat(out, " ")
end

--- Evaluates a verify entry that has a `read` against that read's fresh `reply`: true, or
--- false and what was seen ("Timeout is 3, wanted >= 6").
function M.evaluate(check, reply)
  local v = at_path(reply, check.path)
  if v == json.null then v = nil end
  if check.op == "allows" then
    if allows(v, check.value) then return true end
    return false, ("%s does not allow %s"):format(check.path, allows_text(check.value))
  end
  local ok
  if check.op == "present" then ok = v ~= nil
  elseif check.op == "absent" then ok = v == nil
  elseif check.op == "contains" then
    ok = false
    if type(v) == "string" then ok = v:find(tostring(check.value), 1, true) ~= nil
    elseif type(v) == "table" then
      for _, x in pairs(v) do if x == check.value then ok = true end end
    end
  elseif v ~= nil and type(v) == type(check.value) and (check.op == "==" or check.op == "~="
      or type(v) == "number" or type(v) == "string") then
    ok = COMPARE[check.op](v, check.value)
  else
    ok = check.op == "~=" and v ~= check.value
  end
  if ok then return true end
  local seen = v == nil and "absent" or (type(v) == "table" and "a table" or tostring(v))
  local want = check.value == nil and check.op or (check.op .. " " .. tostring(check.value))
  return false, ("%s is %s, wanted %s"):format(check.path, seen, want)
end

-- A copy for JSON: lists (by the model, or sequences) marked as arrays so an empty one
-- writes [], tables with other keys as objects; functions and metatables are dropped. A
-- string the model marks sensitive (or found below such a node) becomes a secret marker
-- named after its key, so no report or journal ever holds it.
local function jsonable(v, node, tree, secret, key)
  node = model.resolve(node, tree)
  secret = secret or (node and node.sensitive)
  if type(v) ~= "table" then
    if type(v) == "function" or type(v) == "userdata" or type(v) == "thread" then return nil end
    if secret and type(v) == "string" then
      return json.object({ ["$secret"] = model.secret_name(key) })
    end
    return v
  end
  if v == json.null then return v end
  local t = node and node.type
  if model.ref_of(v) or model.file_of(v) then
    local out = {}
    for k, x in pairs(v) do out[k] = jsonable(x) end
    return json.object(out)
  end
  if t == "list" or (t == nil and next(v) ~= nil and is_array(v)) then
    local out = {}
    for i, x in ipairs(v) do out[i] = jsonable(x, node and node.member, tree, secret, key) end
    return json.array(out)
  end
  local out = {}
  for k, x in pairs(v) do
    local child
    if t == "map" then child = node.value elseif t == "structure" then child = node.members[k] end
    out[tostring(k)] = jsonable(x, child, tree, secret, k)
  end
  return json.object(out)
end

local function copy_call(c)
  if not c then return nil end
  local tree = model.input(c.service, c.operation)
  return { service = c.service, operation = c.operation, params = jsonable(c.params or {}, tree, tree) }
end

-- Normalized plan -> the plan it was made from (with its secret values), for the apply
-- path in the same process. Weak keys: it lives as long as the finding does.
local originals = setmetatable({}, { __mode = "k" })

--- The plan to send for a plan that normalize() produced: the original steps, secret
--- values included. A plan that did not come from normalize() is returned as it is.
function M.sendable(p)
  return originals[p] or p
end

local function copy_step(step)
  local tree = model.input(step.service, step.operation)
  local out = copy_call(step)
  out.before = step.before and jsonable(step.before, tree, tree)
  out.after = step.after and jsonable(step.after, tree, tree)
  out.undo = copy_call(step.undo)
  out.read = copy_call(step.read)
  return out
end

--- The finding's fix in one JSON-friendly shape: { explain, commands, changes, plan,
--- verify }. With a plan, the plan is validated and `commands` are the plan's rendered
--- commands followed by the given text `commands`; without one, explain/commands/changes
--- are kept as given. A malformed plan raises at `level`, counted as `error` counts from
--- the caller (1, the default: the caller's line). Values the model marks sensitive
--- (environment variable values) appear in neither the commands nor the copy (see
--- sendable()).
function M.normalize(fix, level)
  level = (level or 1) + 1
  if type(fix) ~= "table" then error("fix must be a table", level) end
  if fix.manual ~= nil and (type(fix.manual) ~= "string" or fix.manual == "") then
    error("fix.manual must be one line saying why the fix is not applied automatically", level)
  end
  local commands = {}
  local given = fix.commands
  if type(given) == "string" then given = { given } end
  if fix.plan == nil then
    for i, c in ipairs(given or {}) do commands[i] = tostring(c) end
    if fix.verify ~= nil then
      local err = check_verify(fix.verify, 0)
      if err then error("fix " .. err, level) end
    end
    return { explain = fix.explain, commands = commands, changes = fix.changes,
             manual = fix.manual, verify = fix.verify and jsonable(fix.verify) }
  end
  local ok, err = M.validate(fix.plan, fix.verify)
  if not ok then error("fix " .. err, level) end
  for _, line in ipairs(render.commands(fix.plan)) do commands[#commands + 1] = line end
  for _, c in ipairs(given or {}) do commands[#commands + 1] = tostring(c) end
  local plan = {}
  for i, step in ipairs(fix.plan) do plan[i] = copy_step(step) end
  plan = json.array(plan)
  originals[plan] = fix.plan
  local verify
  if fix.verify then
    verify = {}
    for i, v in ipairs(fix.verify) do
      verify[i] = { what = v.what, step = v.step, path = v.path, op = v.op,
                    value = jsonable(v.value), read = copy_call(v.read) }
    end
    verify = json.array(verify)
  end
  return { explain = fix.explain, commands = commands, changes = fix.changes,
           manual = fix.manual, plan = plan, verify = verify }
end

return M
