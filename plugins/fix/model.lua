--- fix.model: what the fix modules need to know about an operation's input, from the
--- official models embedded in the binary (runbook.core.input_shape).
--
-- One cache of input-shape trees per (service, operation), the lookup of a shape that the
-- tree cut short at a cycle, and the two markers a plan may hold where a value goes:
--   { ["$ref"] = { step = 1, field = "Version" } }   an earlier call's output (plan.ref)
--   { ["$file"] = "function.zip" }                   a blob read from a file (plan.file)
--   { ["$secret"] = "API_KEY" }                      a value the model marks sensitive,
--                                                    left out of reports (fix.plan.normalize)
-- Markers are plain data so that a plan survives JSON (report, journal) unchanged.
local core = require("runbook.core")

local M = {}

-- Shapes whose string value is a JSON document (IAM and STS policies, CloudWatch Logs
-- policies). Rendered and validated as JSON text.
local JSON_DOCUMENTS = {
  iam = { policyDocumentType = true },
  sts = { sessionPolicyDocumentType = true },
  logs = { PolicyDocument = true, DataProtectionPolicyDocument = true, AccessPolicy = true },
}

local cache = {}

-- Every node of the tree that carries children, by shape name (for cycle nodes).
local function index_tree(node, index)
  if type(node) ~= "table" or node.cycle or (node.shape and index[node.shape]) then return end
  if node.shape then index[node.shape] = node end
  for _, child in pairs(node.members or {}) do index_tree(child, index) end
  index_tree(node.member, index)
  index_tree(node.key, index)
  index_tree(node.value, index)
end

--- The input shape tree of service/operation: `tree, op` (op as core.operation gives it),
--- or `nil, message` for an unknown service or operation.
function M.input(service, operation)
  local key = tostring(service) .. "\0" .. tostring(operation)
  local hit = cache[key]
  if hit then return hit.tree, hit.op end
  local op, err = core.operation(service, operation)
  if not op then return nil, err and err.message or "unknown operation" end
  local tree = assert(core.input_shape(service, operation))
  tree.index = {}
  index_tree(tree, tree.index)
  cache[key] = { tree = tree, op = op }
  return tree, op
end

--- The full node for a node that was cut short at a cycle (the node itself otherwise).
function M.resolve(node, tree)
  if node and node.cycle and tree and tree.index[node.shape] then
    return tree.index[node.shape]
  end
  return node
end

--- True when a string node of `service` holds JSON text (a policy document).
function M.is_json_document(service, node)
  if not node or node.type ~= "string" then return false end
  if node.jsonvalue then return true end
  local set = JSON_DOCUMENTS[service]
  return set ~= nil and set[node.shape] == true
end

--- The marker's { step =, field = } when v is a reference to an earlier call's output.
function M.ref_of(v)
  if type(v) ~= "table" then return nil end
  local r = rawget(v, "$ref")
  if type(r) == "table" and next(v, next(v)) == nil then return r end
  return nil
end

--- The path when v is a file marker (a blob to read from that file).
function M.file_of(v)
  if type(v) ~= "table" then return nil end
  local f = rawget(v, "$file")
  if type(f) == "string" and next(v, next(v)) == nil then return f end
  return nil
end

--- The shell variable name when v is a secret marker.
function M.secret_of(v)
  if type(v) ~= "table" then return nil end
  local name = rawget(v, "$secret")
  if type(name) == "string" and next(v, next(v)) == nil then return name end
  return nil
end

--- A shell variable name for a secret found under `key` (a map key such as an environment
--- variable's name is kept when it is a valid name; anything else is made one).
function M.secret_name(key)
  local name = tostring(key or "SECRET")
  if name:find("^[%a_][%w_]*$") then return name end
  name = name:upper():gsub("[^%w_]", "_")
  if name:find("^%d") then name = "_" .. name end
  return name
end

--- Members of a table in a stable order (byte-wise), so output never depends on `pairs`.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return keys
end

return M
