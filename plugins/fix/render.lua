--- fix.render: the one renderer of a fix plan as `aws` CLI command lines.
--
-- Every command a finding shows is rendered here from the plan's data, driven by the
-- official model of each operation (fix.model), so that what is shown is exactly what
-- would be sent: same operation, same parameters, same values. The rules are the aws
-- CLI's own (awscli + botocore):
--   * service: the CLI's name (monitoring -> cloudwatch); operation and parameter names
--     through botocore's xform_name (GetFunctionConfiguration -> get-function-configuration),
--     plus the CLI's few argument renames;
--   * strings, numbers and timestamps as one shell word; booleans as --flag / --no-flag;
--     structures, lists and maps as compact JSON with members in byte order; a string the
--     model says is a JSON document (an IAM policy) as that JSON text; blobs as fileb://;
--   * words quoted for a POSIX shell: bare when only safe characters, otherwise in single
--     quotes with '\'' for an embedded quote; a value starting with "-" as --opt=value;
--   * an earlier call's output (plan.ref) captured into a shell variable:
--     VERSION=$(aws lambda publish-version ... --query Version --output text), then "$VERSION";
--   * a value the model marks sensitive (environment variable values, passwords) never
--     printed: it becomes "${NAME:?...}", which the user exports first and which stops the
--     shell when unset (opts.show_secrets renders the value itself).
-- The vectors in tests/lua/fix_cli_vectors.lua are generated from botocore and the CLI.
local json = require("runbook.json")
local model = require("fix.model")

local M = {}

-- Our service name -> the aws CLI's command, when they differ (the CLI names a service by
-- botocore's data directory; tools/gen_models.py keeps the same mapping).
local CLI_SERVICES = { monitoring = "cloudwatch" }

-- Options the aws CLI renames (awscli/customizations/argrename.py), for our services.
local OPTION_RENAMES = {
  ["apigateway.CreateRestApi.version"] = "api-version",
  ["apigatewayv2.CreateApi.Version"] = "api-version",
  ["apigatewayv2.UpdateApi.Version"] = "api-version",
}

-- The false form of a boolean when it is not --no-<option> (same file).
local NEGATIVE_RENAMES = {
  ["ec2.CreateImage.NoReboot"] = "reboot",
  ["ec2.CreateNetworkAclEntry.Egress"] = "ingress",
  ["ec2.DeleteNetworkAclEntry.Egress"] = "ingress",
  ["ec2.ReplaceNetworkAclEntry.Egress"] = "ingress",
  ["ec2.RunInstances.DisableApiTermination"] = "enable-api-termination",
}

-- Operations the aws CLI removes (awscli/customizations/removals.py): no command renders them.
local REMOVED = { ["ec2.ImportInstance"] = true, ["ec2.ImportVolume"] = true }

--- False when the aws CLI has no command for the operation (it removes a few).
function M.cli_has(service, operation)
  return not REMOVED[service .. "." .. operation]
end

-- Positional arguments the CLI requires after the options.
local POSITIONAL = { ["lambda.Invoke"] = "/dev/stdout" }

-- botocore's xform_name cache entries that its rules would get wrong.
local XFORM_SPECIAL = {
  CreateCachediSCSIVolume = "create-cached-iscsi-volume",
  DescribeCachediSCSIVolumes = "describe-cached-iscsi-volumes",
  DescribeStorediSCSIVolumes = "describe-stored-iscsi-volumes",
  CreateStorediSCSIVolume = "create-stored-iscsi-volume",
  ListHITsForQualificationType = "list-hits-for-qualification-type",
  ExecutePartiQLStatement = "execute-partiql-statement",
  ExecutePartiQLTransaction = "execute-partiql-transaction",
  ExecutePartiQLBatch = "execute-partiql-batch",
}

--- botocore's xform_name(name, sep): CamelCase -> kebab-case (sep "-", the default) or
--- snake_case. Names already holding sep are returned unchanged.
function M.xform(name, sep)
  sep = sep or "-"
  if name:find(sep, 1, true) then return name end
  if sep == "-" and XFORM_SPECIAL[name] then return XFORM_SPECIAL[name] end
  local s = name:find("%u%u+s$") -- a pluralised acronym: GatewayARNs, ListWebACLs
  if s then name = name:sub(1, s - 1) .. sep .. name:sub(s):lower() end
  local rep = "%1" .. sep:gsub("%%", "%%%%") .. "%2"
  name = name:gsub("(.)(%u%l+)", rep)
  name = name:gsub("([%l%d])(%u)", rep)
  return name:lower()
end

--- The aws CLI's command for one of our services: "monitoring" -> "cloudwatch".
function M.cli_service(service)
  return CLI_SERVICES[service] or service
end

--- The option for an input member: "--function-name".
function M.option(service, operation, member)
  return "--" .. (OPTION_RENAMES[service .. "." .. operation .. "." .. member] or M.xform(member))
end

--- The option that passes false for a boolean member: "--no-publish".
function M.negative_option(service, operation, member)
  local renamed = NEGATIVE_RENAMES[service .. "." .. operation .. "." .. member]
  if renamed then return "--" .. renamed end
  return "--no-" .. M.option(service, operation, member):sub(3)
end

--- One shell word for a POSIX shell: bare when only safe characters, else single-quoted
--- with '\'' for each embedded quote. quote("it's") -> 'it'\''s'; quote("") -> ''.
function M.quote(s)
  s = tostring(s)
  if s ~= "" and s:find("^[%w_@%%+=:,./-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- A word is built from parts: literal text and shell variables ("$VERSION").
local function word(parts)
  if #parts == 1 and parts[1].lit then return M.quote(parts[1].lit) end
  local out = {}
  for _, p in ipairs(parts) do
    if p.var then out[#out + 1] = '"$' .. p.var .. '"'
    elseif p.secret then
      out[#out + 1] = ('"${%s:?not shown: export %s first}"'):format(p.secret, p.secret)
    elseif p.lit ~= "" then out[#out + 1] = M.quote(p.lit) end
  end
  return table.concat(out)
end

local function add(parts, text)
  local last = parts[#parts]
  if last and last.lit then last.lit = last.lit .. text else parts[#parts + 1] = { lit = text } end
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Standard base64 (with padding): how the CLI takes a blob inside JSON.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = {}
    for k = 3, 0, -1 do
      local idx = (n >> (6 * k)) & 63
      chars[#chars + 1] = B64:sub(idx + 1, idx + 1)
    end
    if not b then chars[3], chars[4] = "=", "="
    elseif not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

local function integer_text(v)
  local n = type(v) == "number" and math.tointeger(v)
  return n and ("%d"):format(n) or json.encode(v)
end

-- The hidden name of a value that must not be printed, or nil.
local function hidden(v, node, cx, secret, key)
  local marked = model.secret_of(v)
  if marked then return marked end
  if cx.show_secrets or type(v) ~= "string" then return nil end
  if secret or (node and node.sensitive) then return model.secret_name(key) end
  return nil
end

local function json_parts(v, node, cx, parts, secret, key)
  node = model.resolve(node, cx.tree)
  secret = secret or (node and node.sensitive)
  local ref = model.ref_of(v)
  local t = node and node.type
  local name = hidden(v, node, cx, secret, key)
  if name then
    add(parts, '"')
    parts[#parts + 1] = { secret = name }
    add(parts, '"')
  elseif ref then
    local quoted = t == nil or t == "string" or t == "timestamp"
    if quoted then add(parts, '"') end
    parts[#parts + 1] = { var = cx.var(ref) }
    if quoted then add(parts, '"') end
  elseif t == "structure" or t == "map" then
    add(parts, "{")
    for n, k in ipairs(model.sorted_keys(v)) do
      if n > 1 then add(parts, ",") end
      add(parts, json.encode(tostring(k)) .. ":")
      local child = t == "map" and node.value or (node.members or {})[k]
      json_parts(v[k], child, cx, parts, secret, k)
    end
    add(parts, "}")
  elseif t == "list" then
    add(parts, "[")
    for n, item in ipairs(v) do
      if n > 1 then add(parts, ",") end
      json_parts(item, node.member, cx, parts, secret, key)
    end
    add(parts, "]")
  elseif t == "integer" or t == "long" then
    add(parts, integer_text(v))
  elseif t == "blob" and type(v) == "string" then
    add(parts, json.encode(M.base64(v)))
  elseif t == "blob" then
    error("a file (plan.file) can only be given as a top-level parameter", 0)
  else
    add(parts, assert(json.encode(v)))
  end
  return parts
end

-- The option words for one member of a step's parameters.
local function option_words(cx, member, v, node)
  local op, svc = cx.operation, cx.service
  local opt = M.option(svc, op, member)
  node = model.resolve(node, cx.tree)
  local t = node and node.type
  local ref = model.ref_of(v)
  local name = t ~= "blob" and hidden(v, node, cx, false, member)
  if name then
    return { opt, word({ { secret = name } }) }
  elseif ref then
    local parts = { { var = cx.var(ref) } }
    if t == "structure" or t == "list" or t == "map" then parts = json_parts(v, node, cx, {}) end
    return { opt, word(parts) }
  elseif t == "boolean" then
    return { v and opt or M.negative_option(svc, op, member) }
  elseif t == "structure" or t == "list" or t == "map" then
    return { opt, word(json_parts(v, node, cx, {}, false, member)) }
  elseif t == "blob" then
    local path = model.file_of(v)
    if not path then
      path = M.xform(member) .. ".bin"
      local size = type(v) == "string" and ("%d bytes"):format(#v) or "bytes (not shown)"
      cx.notes[#cx.notes + 1] = ("%s: write the %s of %s to this file first"):format(
        path, size, member)
    end
    return { opt, M.quote("fileb://" .. path) }
  elseif t == "integer" or t == "long" then
    local text = integer_text(v)
    if text:sub(1, 1) == "-" then return { opt .. "=" .. text } end
    return { opt, text }
  end
  local text = type(v) == "string" and v or json.encode(v)
  if text:sub(1, 1) == "-" then return { opt .. "=" .. M.quote(text) } end
  return { opt, M.quote(text) }
end

-- Members in the order a reader expects: required ones as the model lists them, then the
-- rest by name.
local function member_order(params, tree)
  local order, seen = {}, {}
  for _, name in ipairs(tree.required or {}) do
    if params[name] ~= nil then order[#order + 1] = name; seen[name] = true end
  end
  for _, name in ipairs(model.sorted_keys(params)) do
    if not seen[name] then order[#order + 1] = name end
  end
  return order
end

-- The CLI reads a string starting with file:// or fileb:// from that file; such a value
-- can only be passed literally inside --cli-input-json.
local function needs_input_json(params, tree)
  for name, v in pairs(params) do
    local node = (tree.members or {})[name]
    if type(v) == "string" and node and node.type == "string"
        and (v:find("^file://") or v:find("^fileb://")) then
      return true
    end
  end
  return false
end

--- The shell variable names of a plan's references: `vars[i][field] = NAME`, and vars[i]
--- as a list of fields in the order they are first used (params by name). NAME is the
--- field's last segment in upper snake case (Version -> VERSION, FunctionArn ->
--- FUNCTION_ARN), with "_<i>" added when two steps would share a name.
function M.variables(plan)
  local wanted = {}
  local function scan(v)
    if type(v) ~= "table" then return end
    local ref = model.ref_of(v)
    if ref then
      wanted[#wanted + 1] = ref
      return
    end
    for _, k in ipairs(model.sorted_keys(v)) do scan(v[k]) end
  end
  for _, step in ipairs(plan or {}) do
    scan(step.params)
    if step.undo then scan(step.undo.params) end
  end
  local vars, owner = {}, {}
  for _, ref in ipairs(wanted) do
    local i, field = ref.step, ref.field
    vars[i] = vars[i] or {}
    if not vars[i][field] then
      local name = M.xform(tostring(field):match("([^.]+)$"), "_"):upper():gsub("[^%w_]", "_")
      if owner[name] and owner[name] ~= i then name = name .. "_" .. i end
      owner[name] = i
      vars[i][field] = name
      vars[i][#vars[i] + 1] = field
    end
  end
  return vars
end

local function context(step, plan, opts)
  local tree, op = model.input(step.service, step.operation)
  if not tree then error(op, 0) end
  local vars = plan and M.variables(plan) or {}
  return {
    service = step.service, operation = step.operation, tree = tree, write = op.write,
    notes = {}, show_secrets = opts and opts.show_secrets,
    var = function(ref)
      local names = vars[ref.step]
      return names and names[ref.field] or M.xform(tostring(ref.field), "_"):upper()
    end,
  }, vars
end

-- The `aws ...` words of one call, without capture.
local function call_words(step, cx)
  local params = step.params or {}
  local words = { "aws", M.cli_service(step.service), M.xform(step.operation) }
  if needs_input_json(params, cx.tree) then
    words[#words + 1] = "--cli-input-json"
    words[#words + 1] = word(json_parts(params, cx.tree, cx, {}))
  else
    for _, member in ipairs(member_order(params, cx.tree)) do
      for _, w in ipairs(option_words(cx, member, params[member], cx.tree.members[member])) do
        words[#words + 1] = w
      end
    end
  end
  words[#words + 1] = POSITIONAL[step.service .. "." .. step.operation]
  return words
end

--- The command line of plan step `step` (the i-th of `plan`; both optional for a lone call).
--- When later steps use this call's output, the line captures it in shell variables.
--- opts.show_secrets: print sensitive values instead of "${NAME:?...}" (never in reports).
function M.command(step, i, plan, opts)
  local cx, vars = context(step, plan, opts)
  local words = call_words(step, cx)
  local fields = i and vars[i]
  local line
  if fields and #fields == 1 then
    words[#words + 1] = "--query " .. M.quote(fields[1]) .. " --output text"
    line = fields[fields[1]] .. "=$(" .. table.concat(words, " ") .. ")"
  elseif fields and #fields > 1 then
    words[#words + 1] = "--query " .. M.quote("[" .. table.concat(fields, ",") .. "]")
      .. " --output text"
    local sets = {}
    for n, f in ipairs(fields) do sets[n] = ("%s=$%d"):format(fields[f], n) end
    line = "set -- $(" .. table.concat(words, " ") .. "); " .. table.concat(sets, "; ")
  else
    line = table.concat(words, " ")
  end
  if not M.cli_has(step.service, step.operation) then
    cx.notes[#cx.notes + 1] = "the aws CLI has no such command; runbook can still send this call"
  end
  if #cx.notes > 0 then line = line .. "  # " .. table.concat(cx.notes, "; ") end
  return line
end

--- The plan's command lines, in order.
function M.commands(plan, opts)
  local out = {}
  for i, step in ipairs(plan or {}) do out[i] = M.command(step, i, plan, opts) end
  return out
end

--- The command lines that reverse the plan: each step's `undo`, newest first (for the
--- same shell session, so the variables captured by the plan are still set). Steps
--- without an undo are skipped.
function M.undo_commands(plan, opts)
  local out = {}
  for i = #(plan or {}), 1, -1 do
    local undo = plan[i].undo
    if undo then out[#out + 1] = M.command(undo, nil, plan, opts) end
  end
  return out
end

return M
