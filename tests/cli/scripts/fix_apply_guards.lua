-- fix_apply_guards.lua — the guarantees of runbook.remedy.apply that a caller cannot talk
-- its way around, against the fake AWS (tests/cli/test_fix_apply_cli.py). It runs as
-- core Lua with the test-only binary (`runbook_testhooks --yes --test-core-script`, see
-- tests/cmake/hooks.cmake), as a remediation runbook's own code would: a plan confirmed
-- under --yes and then changed is refused; a write outside any approved plan is refused
-- before a request is built. Prints one tab-separated line per case.
local aws = require("runbook.aws")
local actions = require("fix.actions")
local remedy = require("runbook.remedy")

local NAME = "team-fn"

local function plan(changes)
  local cfg = assert(aws.call("lambda", "GetFunctionConfiguration", { FunctionName = NAME }))
  return remedy.plan{
    fix = { explain = "raise the timeout",
            plan = { actions.update_configuration({ name = NAME }, cfg, changes) } },
    title = "guard test", step = "guards", ["function"] = NAME,
  }
end

local function show(label, r)
  print(label, r.ok and "applied" or "refused", tostring(r.applied), tostring(r.message))
end

-- A plan confirmed, then its parameters changed: the approval does not carry over.
local p = plan({ Timeout = 10 })
print("confirm", remedy.confirm(p))
p.steps[1].params.Timeout = 11
show("edited-params", remedy.apply(p))

-- A plan confirmed, then given one more step.
p = plan({ Timeout = 10 })
remedy.confirm(p)
p.steps[2] = { service = "lambda", operation = "PutFunctionConcurrency",
               params = { FunctionName = NAME, ReservedConcurrentExecutions = 0 } }
show("added-step", remedy.apply(p))

-- A plan never confirmed.
p = plan({ Timeout = 10 })
local ok, err = pcall(remedy.apply, p)
print("unconfirmed", ok and "applied" or "refused", tostring(err))

-- A write outside any plan: no scope is open.
local out, werr = aws.call("lambda", "UpdateFunctionConfiguration",
  { FunctionName = NAME, Timeout = 12 })
print("undeclared", out and "sent" or ("refused " .. tostring(werr.code)), tostring(werr and werr.message))
