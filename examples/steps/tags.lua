--- tags (team check): the function carries the tags our team requires.
--
-- Not in the field guide: a team's own rule. Cost reports, on-call routing and the
-- clean-up of orphaned functions all key on tags, so a function without an `owner` or a
-- `cost-center` is a finding like any other. Gather the function's tags (lambda ListTags on
-- its unqualified ARN: Lambda tags the function, not its versions or aliases), decide which
-- required keys are missing or empty, explain with the exact `aws lambda tag-resource`.
--
-- Use it from a --plugins directory that holds steps/tags.lua:
--   runbook --plugins examples triage.lua my-fn --steps tags
-- or list it in a team runbook (examples/runbooks/api-triage.lua), with its arguments:
--   { "tags", required = { "owner", "cost-center", "service" },
--     suggest = { ["cost-center"] = "cc-4711" } }

-- "arn:aws:lambda:us-east-1:1:function:my-fn:prod" -> "arn:aws:lambda:us-east-1:1:function:my-fn"
local function unqualified(arn)
  return arn:match("^(arn:[%w-]+:lambda:[%w-]+:%d+:function:[^:]+)") or arn
end

-- The value the fix proposes for a missing key: the runbook's suggestion, else a placeholder
-- in capitals ("cost-center" -> "COST_CENTER") that the reader replaces.
local function proposed(key, suggest)
  if suggest[key] then return suggest[key], false end
  return key:upper():gsub("[^%w]", "_"), true
end

-- "k=v" with the value single-quoted when the shell would split or expand it.
local function shell_pair(key, value)
  local pair = key .. "=" .. value
  if pair:match("^[%w%._:/@+=-]+$") then return pair end
  return "'" .. pair:gsub("'", "'\\''") .. "'"
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

return {
  id = "tags",
  title = "Required tags",
  description = "The function carries every tag the team requires (owner, cost-center)",
  tags = { "team", "governance" },
  args = {
    required = { "owner", "cost-center" }, -- tag keys every function must carry
    suggest = {},                          -- key -> value the fix proposes, else a placeholder
    severity = "fail",                     -- how a missing tag ranks: warn or fail
  },
  run = function(ctx)
    -- gather
    local cfg, err = ctx:config()
    if not cfg then return ctx:error_from(err, "lambda GetFunctionConfiguration") end
    local arn = unqualified(cfg.FunctionArn)
    local reply, list_err = ctx.aws.lambda.ListTags{ Resource = arn }
    if not reply then return ctx:error_from(list_err, "lambda ListTags") end
    local tags = reply.Tags or {}

    -- decide
    local present, missing = {}, {}
    for _, key in ipairs(sorted_keys(tags)) do
      present[#present + 1] = ("%s=%s"):format(key, tostring(tags[key]))
    end
    for _, key in ipairs(ctx.args.required) do
      local value = tags[key]
      if type(value) ~= "string" or value:match("^%s*$") then missing[#missing + 1] = key end
    end
    local carried = #present > 0 and table.concat(present, ", ") or "no tags"
    if #missing == 0 then
      return ctx:finding{
        severity = "ok",
        title = ("carries the required tags %s"):format(table.concat(ctx.args.required, ", ")),
        evidence = { ("%s: %s"):format(arn, carried) },
        confidence = "high",
        data = { tags = tags },
      }
    end

    -- explain
    local pairs_, placeholders = {}, {}
    for _, key in ipairs(missing) do
      local value, placeholder = proposed(key, ctx.args.suggest)
      pairs_[#pairs_ + 1] = shell_pair(key, value)
      if placeholder then placeholders[#placeholders + 1] = value end
    end
    local explain = "tag the function with the missing keys"
    if #placeholders > 0 then
      explain = explain .. (" (replace %s with the real value%s)"):format(
        table.concat(placeholders, ", "), #placeholders > 1 and "s" or "")
    end
    return ctx:finding{
      severity = ctx.args.severity,
      title = ("%s lacks the required tag%s %s"):format(ctx.function_name,
        #missing > 1 and "s" or "", table.concat(missing, ", ")),
      evidence = {
        ("%s carries %s"):format(arn, carried),
        ("required by the team: %s"):format(table.concat(ctx.args.required, ", ")),
      },
      why = "cost reports, on-call routing and the clean-up of unowned functions key on "
        .. "these tags: an untagged function is billed to nobody and paged to nobody",
      fix = {
        explain = explain,
        commands = { ("aws lambda tag-resource --resource %s --tags %s")
          :format(arn, table.concat(pairs_, ",")) },
        changes = ("tags of %s: + %s"):format(ctx.function_name, table.concat(missing, ", ")),
      },
      confidence = "high",
      data = { arn = arn, missing = missing, tags = tags },
    }
  end,
}
