-- One quick read, then many slow ones in flight at once: used by
-- tests/cli/test_interrupt_cli.py, which sends a signal once "ready" is printed.
-- arg[1] = "role" makes the slow part an assumed role whose STS call is slow instead.
local first = assert(aws.sts.GetCallerIdentity{})
io.stdout:write("ready ", first.Account, "\n")
io.stdout:flush()
if arg[1] == "role" then
  aws.call("lambda", "ListFunctions", {},
    { role_arn = "arn:aws:iam::123456789012:role/runbook-readonly" })
else
  local fns = {}
  for i = 1, 8 do
    fns[i] = function()
      return aws.lambda.GetFunctionConfiguration{ FunctionName = "my-fn", Qualifier = tostring(i) }
    end
  end
  runbook.all(fns)
end
print("not interrupted")
