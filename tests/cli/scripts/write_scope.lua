-- write_scope.lua — drives runbook.fix_scope (the core's write scope) against the fake AWS.
-- It must run as core Lua: tests/cli/test_write_scope_cli.py runs it with the test-only
-- binary, `runbook_testhooks --test-core-script` (tests/cmake/hooks.cmake); a plugin
-- cannot require runbook.fix_scope. Prints one line per attempted write: its label, then
-- "ok" or "refused CODE KIND", then the error message.
local fix_scope = require "runbook.fix_scope"

local function show(label, result, err)
  if result then
    print(label, "ok", "")
  else
    print(label, "refused " .. err.code .. " " .. err.kind, err.message)
  end
end

local lambda = aws.lambda
local id = assert(fix_scope.approve {
  { service = "lambda", operation = "UpdateFunctionConfiguration",
    params = { FunctionName = "my-fn", Timeout = 45 } },
})
show("unapproved", lambda.PutFunctionConcurrency { FunctionName = "my-fn",
                                                    ReservedConcurrentExecutions = 0 })
show("differs", lambda.UpdateFunctionConfiguration { FunctionName = "my-fn", Timeout = 46 })
show("approved", lambda.UpdateFunctionConfiguration { Timeout = 45, FunctionName = "my-fn" })
show("again", lambda.UpdateFunctionConfiguration { FunctionName = "my-fn", Timeout = 45 })
print("closed", fix_scope.close_scope(id))
show("after-close", lambda.UpdateFunctionConfiguration { FunctionName = "my-fn", Timeout = 45 })

-- RevisionId: approved as "the value read just before", sent as the value read.
local cfg = assert(lambda.GetFunctionConfiguration { FunctionName = "my-fn" })
id = assert(fix_scope.approve {
  { service = "lambda", operation = "UpdateFunctionConfiguration",
    params = { FunctionName = "my-fn", MemorySize = 256, RevisionId = fix_scope.ANY_REVISION } },
})
show("no-revision", lambda.UpdateFunctionConfiguration { FunctionName = "my-fn", MemorySize = 256 })
show("revision", lambda.UpdateFunctionConfiguration { FunctionName = "my-fn", MemorySize = 256,
                                                      RevisionId = cfg.RevisionId })
fix_scope.close_scope(id)
local _, err = fix_scope.approve { { service = "lambda", operation = "GetFunctionConfiguration",
                                     params = { FunctionName = "my-fn" } } }
print("approve-read", err.code)
