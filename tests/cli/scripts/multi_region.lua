-- The same read in two regions and through an assumed role, in one run: used by
-- tests/cli/test_multi_region_cli.py. arg[1] is the role to assume, arg[2] a second
-- region. Prints one JSON line: what each read saw and the client's counters.
local json = require("runbook.json")
local core = require("runbook.core")

local role_arn, other_region = arg[1], arg[2] or "eu-west-1"
local as_role = aws.scope{ role_arn = role_arn, session_name = "runbook-multi-region" }

local reads = runbook.all {
  function() return aws.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" } end,
  function()
    return aws.lambda.GetFunctionConfiguration({ FunctionName = "my-fn" },
      { region = other_region })
  end,
  function() return as_role.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" } end,
  function() return as_role.call("sts", "GetCallerIdentity", {}) end,
  function() return aws.collect("lambda", "ListFunctions", {}, { region = other_region }) end,
}

local out = { stats = core.stats() }
for i, r in ipairs(reads) do
  local ok, value, err = r[1], r[2], r[3]
  assert(ok, value)
  out[i] = value and "ok" or (err.code .. ": " .. err.message)
end
out.caller = reads[4][2] and reads[4][2].Arn
out.functions = reads[5][2] and #reads[5][2]
print(json.encode(out))
