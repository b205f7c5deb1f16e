--- Builds a sample of fix plans from the fake world's live state with fix.actions and prints
--- them with their rendered `aws` commands as one JSON document, for
--- tests/cli/test_fix_render_cli.py, which runs each command with the real aws CLI against
--- the same fake and checks that the fake applied exactly the plan's change.
--
-- Usage: runbook render_fix_plans.lua [FUNCTION]   (default my-fn)
local actions = require("fix.actions")
local aws = require("runbook.aws")
local json = require("runbook.json")
local plan = require("fix.plan")
local render = require("fix.render")

local name = arg and arg[1] or "my-fn"
local fn = { name = name }
local cfg = assert(aws.lambda.GetFunctionConfiguration { FunctionName = name })
local reserved = assert(aws.lambda.GetFunctionConcurrency { FunctionName = name })
local provisioned = aws.lambda.GetProvisionedConcurrencyConfig { FunctionName = name, Qualifier = "live" }
local layer = "arn:aws:lambda:us-east-1:123456789012:layer:common-utils:"

local cases = {
  { name = "timeout_and_memory",
    plan = { actions.update_configuration(fn, cfg, { Timeout = cfg.Timeout + 15, MemorySize = 1024 }) },
    verify = { actions.verify_field(fn, "Timeout", "==", cfg.Timeout + 15) } },
  { name = "reserved_concurrency",
    plan = { actions.put_concurrency(fn, reserved.ReservedConcurrentExecutions, 7) } },
  { name = "api_gateway_permission",
    plan = { actions.add_permission(fn, {
      StatementId = "runbook-apigw-orders", Action = "lambda:InvokeFunction",
      Principal = "apigateway.amazonaws.com",
      SourceArn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/orders",
    }) } },
  { name = "environment_and_tracing_with_shell_characters",
    plan = { actions.update_configuration(fn, cfg, {
      Environment = { Variables = { LOG_LEVEL = "DEBUG", GREETING = "it's a \"test\" of $HOME & `id`",
                                    MULTI = "line one\nline two" } },
      TracingConfig = { Mode = "PassThrough" },
      Description = "-from runbook's fix",
    }) } },
  { name = "provisioned_concurrency_on_an_alias",
    plan = { actions.put_provisioned_concurrency(fn, "live", 3,
      provisioned and provisioned.RequestedProvisionedConcurrentExecutions) } },
  { name = "reference_to_an_earlier_reply",
    plan = { actions.put_concurrency(fn, reserved.ReservedConcurrentExecutions, 7),
             actions.put_provisioned_concurrency(fn, "live", plan.ref(1, "ReservedConcurrentExecutions"),
               provisioned and provisioned.RequestedProvisionedConcurrentExecutions) } },
  { name = "layers_as_a_json_list",
    plan = { actions.update_configuration(fn, cfg, { Layers = { layer .. "5", layer .. "6" } }) } },
}

local out = {}
for i, c in ipairs(cases) do
  local fix = plan.normalize({ plan = c.plan, verify = c.verify })
  assert(table.concat(fix.commands, "\n") == table.concat(render.commands(c.plan), "\n"))
  out[i] = { name = c.name, commands = json.array(render.commands(c.plan)),
             undo = json.array(render.undo_commands(c.plan)), plan = fix.plan }
end
print(assert(json.encode({ cases = json.array(out) })))
