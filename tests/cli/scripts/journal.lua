-- journal.lua — appends entries through runbook.fix_scope.journal_append and prints each
-- outcome ("ok", or the error's code and message) on stdout. Core Lua only:
-- tests/cli/test_journal_cli.py runs it with `runbook_testhooks --test-core-script`
-- (tests/cmake/hooks.cmake). The third entry holds the run's secret key, which must be
-- refused.
local fix_scope = require "runbook.fix_scope"

local function show(label, ok, err)
  print(label, ok and "ok" or err.code, ok and "" or err.message)
end

print("journal", fix_scope.options().journal or "default")
show("first", fix_scope.journal_append(nil, {
  operation = "UpdateFunctionConfiguration",
  params = { FunctionName = "my-fn", Timeout = 45 },
  outcome = "applied",
}))
show("second", fix_scope.journal_append(nil, { operation = "PutFunctionConcurrency", outcome = "failed" }))
show("secret", fix_scope.journal_append(nil, { note = "key=" .. os.getenv("AWS_SECRET_ACCESS_KEY") }))
