--- Tests of fix.plan (validation against the models, normalize for findings) and of the
--- fix.actions builders (each produces a plan that validates, with before/after/undo/read).
local t = require("testlib")
local json = require("runbook.json")
local plan = require("fix.plan")

local function invalid(p, needle, verify)
  local ok, err = plan.validate(p, verify)
  t.eq(ok, nil, "plan should be refused")
  t.contains(err, needle)
  t.ok(not err:find("\n"), "one line")
end

local call = plan.call
local UFC, GFC = "UpdateFunctionConfiguration", "GetFunctionConfiguration"

t.test("a_valid_plan_validates", function()
  t.eq(plan.validate({ call("lambda", UFC, { FunctionName = "f", Timeout = 10 }) }), true)
  t.eq(plan.validate({}), true)
end)

t.test("unknown_operation_is_refused_with_a_suggestion", function()
  invalid({ { service = "lambda", operation = "UpdateFunctionConfig", params = { FunctionName = "f" } } },
    "plan step 1: unknown operation 'UpdateFunctionConfig' for service 'lambda' (did you mean "
    .. "UpdateFunctionConfiguration?)")
  invalid({ { service = "lamda", operation = "GetFunction", params = {} } }, "plan step 1: ")
end)

t.test("unknown_parameter_names_the_nearest_member", function()
  invalid({ call("lambda", UFC, { FunctionName = "f", Timout = 10 }) },
    "plan step 1 (lambda UpdateFunctionConfiguration): unknown parameter 'Timout' (did you mean Timeout?)")
  invalid({ call("lambda", UFC, { FunctionName = "f", TracingConfig = { Mod = "Active" } }) },
    "unknown parameter 'TracingConfig.Mod' (did you mean Mode?)")
  invalid({ call("lambda", UFC, { FunctionName = "f", Zzzzzzzzzz = 1 }) },
    "unknown parameter 'Zzzzzzzzzz'")
end)

t.test("missing_required_parameter_is_refused", function()
  invalid({ call("lambda", "PutFunctionConcurrency", { FunctionName = "f" }) },
    "plan step 1 (lambda PutFunctionConcurrency): missing required parameter 'ReservedConcurrentExecutions'")
end)

t.test("wrong_types_are_refused_with_the_path", function()
  invalid({ call("lambda", UFC, { FunctionName = "f", Timeout = "10" }) },
    "Timeout must be an integer, got \"10\"")
  invalid({ call("lambda", UFC, { FunctionName = "f", Timeout = 2.5 }) },
    "Timeout must be an integer, got 2.5")
  invalid({ call("lambda", UFC, { FunctionName = "f",
    VpcConfig = { SubnetIds = { "a", 3 } } }) }, "VpcConfig.SubnetIds[2] must be a string, got 3")
  invalid({ call("lambda", UFC, { FunctionName = "f",
    VpcConfig = { SubnetIds = { x = "a" } } }) }, "VpcConfig.SubnetIds must be a list")
  invalid({ call("lambda", "UpdateFunctionCode", { FunctionName = "f", Publish = "yes" }) },
    "Publish must be a boolean")
  invalid({ call("lambda", UFC, { FunctionName = "f",
    Environment = { Variables = { A = 1 } } }) }, "Environment.Variables.A must be a string, got 1")
  invalid({ call("iam", "PutRolePolicy", { RoleName = "r", PolicyName = "p",
    PolicyDocument = "{not json" }) },
    "PolicyDocument must be JSON text")
end)

t.test("a_write_in_read_is_refused_and_undo_is_checked", function()
  invalid({ call("lambda", UFC, { FunctionName = "f", Timeout = 10 },
    { read = { service = "lambda", operation = UFC, params = { FunctionName = "f" } } }) },
    "plan step 1 read: lambda UpdateFunctionConfiguration is a write; a read must only read")
  invalid({ call("lambda", UFC, { FunctionName = "f", Timeout = 10 },
    { undo = { service = "lambda", operation = UFC, params = { Timeout = 3 } } }) },
    "plan step 1 undo (lambda UpdateFunctionConfiguration): missing required parameter 'FunctionName'")
end)

t.test("references_must_point_backwards", function()
  invalid({ call("lambda", "CreateAlias", { FunctionName = "f", Name = "live",
    FunctionVersion = plan.ref(2, "Version") }),
            call("lambda", "PublishVersion", { FunctionName = "f" }) },
    "plan step 1 (lambda CreateAlias): FunctionVersion: refers to step 2, which does not run before it")
  invalid({ call("lambda", "PublishVersion", { FunctionName = "f" }),
            call("lambda", "CreateAlias", { FunctionName = "f", Name = "l",
              FunctionVersion = plan.ref(2, "Version") }) },
    "refers to step 2")
  t.eq(plan.validate({ call("lambda", "PublishVersion", { FunctionName = "f" },
    { undo = { service = "lambda", operation = "DeleteFunction",
               params = { FunctionName = "f", Qualifier = plan.ref(1, "Version") } } }) }), true,
    "an undo may use its own step's output")
  t.raises(function() plan.ref(0, "Version") end, "plan.ref")
end)

t.test("verify_entries_are_checked", function()
  local p = { call("lambda", UFC, { FunctionName = "f", Timeout = 10 }) }
  local read = { service = "lambda", operation = GFC, params = { FunctionName = "f" } }
  t.eq(plan.validate(p, { { what = "Timeout >= 6", read = read, path = "Timeout", op = ">=", value = 6 },
                          { what = "no timeouts", step = "timeout" } }), true)
  invalid(p, "verify 1: op must be one of", { { what = "x", read = read, path = "Timeout", op = "=>",
    value = 6 } })
  invalid(p, "verify 1 needs `what`", { { read = read, path = "Timeout", op = ">=", value = 6 } })
  invalid(p, "verify 1 read: lambda DeleteFunction is a write", { { what = "x", path = "T", op = "present",
    read = { service = "lambda", operation = "DeleteFunction", params = { FunctionName = "f" } } } })
  invalid(p, "verify 1 needs either a `read`", { { what = "x" } })
end)

t.test("normalize_renders_commands_then_given_text_and_keeps_plan_and_verify", function()
  local read = { service = "lambda", operation = GFC, params = { FunctionName = "my-fn" } }
  local fix = plan.normalize({
    explain = "raise the timeout to 10 s",
    plan = { call("lambda", UFC, { FunctionName = "my-fn", Timeout = 10, Layers = {} },
      { before = { Timeout = 3 }, after = { Timeout = 10 }, read = read,
        undo = { service = "lambda", operation = UFC,
                 params = { FunctionName = "my-fn", Timeout = 3 } } }) },
    verify = { { what = "Timeout >= 6", read = read, path = "Timeout", op = ">=", value = 6 } },
    commands = { "aws lambda wait function-updated-v2 --function-name my-fn" },
    changes = "Timeout 3 s -> 10 s",
  })
  t.eq(fix.commands, {
    "aws lambda update-function-configuration --function-name my-fn --layers '[]' --timeout 10",
    "aws lambda wait function-updated-v2 --function-name my-fn",
  })
  t.eq(fix.changes, "Timeout 3 s -> 10 s")
  t.eq(fix.plan[1].before, { Timeout = 3 })
  t.eq(fix.plan[1].undo.params.Timeout, 3)
  t.eq(fix.verify[1].path, "Timeout")
  local text = assert(json.encode(fix))
  t.contains(text, '"Layers":[]')
  t.eq(json.decode(text).plan[1].read.operation, GFC)
end)

t.test("normalize_keeps_secrets_out_of_the_copy_and_sendable_gives_them_back", function()
  local p = { call("lambda", UFC,
    { FunctionName = "f", Environment = { Variables = { API_KEY = "s3cr3t" } } },
    { before = { Environment = { Variables = { API_KEY = "old-secret" } } } }) }
  local fix = plan.normalize({ plan = p })
  local text = assert(json.encode(fix))
  t.ok(not text:find("s3cr3t", 1, true) and not text:find("old-secret", 1, true), text)
  t.eq(fix.plan[1].params.Environment.Variables.API_KEY, { ["$secret"] = "API_KEY" })
  t.eq(plan.sendable(fix.plan), p)
  t.eq(plan.sendable(p), p)
  local back = json.decode(text)
  t.eq(plan.validate(back.plan), true, "a redacted plan still validates")
  t.eq(require("fix.render").commands(back.plan), fix.commands)
end)

t.test("normalize_keeps_a_fix_without_a_plan_as_given", function()
  local fix = plan.normalize({ explain = "move the function out of the VPC",
    commands = "aws ec2 describe-vpcs",
    changes = "none" })
  t.eq(fix, { explain = "move the function out of the VPC", commands = { "aws ec2 describe-vpcs" },
    changes = "none" })
end)

t.test("normalize_raises_one_line_at_the_callers_level", function()
  local line
  local function step_code()
    line = debug.getinfo(1, "l").currentline + 1
    local fix = plan.normalize({ plan = { call("lambda", "PutFunctionConcurrency", { FunctionName = 1 }) } })
    return fix
  end
  local ok, err = pcall(step_code)
  t.eq(ok, false)
  t.contains(err, "test_fix_plan.lua:" .. line .. ": ")
  t.contains(err, "fix plan step 1 (lambda PutFunctionConcurrency): FunctionName must be a string")
end)

t.test("a_normalized_plan_round_trips_through_json_and_still_validates", function()
  local p = {
    call("lambda", "PublishVersion", { FunctionName = "f" }),
    call("lambda", "CreateAlias", { FunctionName = "f", Name = "live", FunctionVersion = plan.ref(1,
      "Version") }),
  }
  local fix = plan.normalize({ plan = p })
  local back = json.decode(assert(json.encode(fix)))
  t.eq(plan.validate(back.plan), true)
  t.eq(require("fix.render").commands(back.plan), fix.commands)
end)

t.test("resolve_fills_references_from_earlier_replies", function()
  local params = { FunctionName = "f", FunctionVersion = plan.ref(1, "Version"),
                   RoutingConfig = { AdditionalVersionWeights = { ["1"] = 0.5 } } }
  t.eq(plan.resolve(params, { { Version = "7" } }), { FunctionName = "f", FunctionVersion = "7",
    RoutingConfig = { AdditionalVersionWeights = { ["1"] = 0.5 } } })
  t.raises(function() plan.resolve(params, { {} }) end, "step 1 gave no 'Version'")
  t.eq(plan.resolve(plan.ref(1, "Configuration.Timeout"), { { Configuration = { Timeout = 9 } } }), 9)
end)

t.test("evaluate_checks_a_verify_entry_against_a_fresh_reply", function()
  local reply = { Timeout = 10, TracingConfig = { Mode = "Active" }, Layers = { { Arn = "a" } } }
  t.eq(plan.evaluate({ path = "Timeout", op = ">=", value = 6 }, reply), true)
  t.eq({ plan.evaluate({ path = "Timeout", op = ">=", value = 60 }, reply) },
    { false, "Timeout is 10, wanted >= 60" })
  t.eq(plan.evaluate({ path = "TracingConfig.Mode", op = "==", value = "Active" }, reply), true)
  t.eq(plan.evaluate({ path = "Layers.1.Arn", op = "present" }, reply), true)
  t.eq({ plan.evaluate({ path = "DeadLetterConfig", op = "present" }, reply) },
    { false, "DeadLetterConfig is absent, wanted present" })
  t.eq(plan.evaluate({ path = "Timeout", op = ">", value = "5" }, reply), false, "no string/number mix")
  t.eq(plan.evaluate({ path = "TracingConfig.Mode", op = "contains", value = "Act" }, reply), true)
end)

-- The builders ---------------------------------------------------------------------------

local ok_actions, actions = pcall(require, "fix.actions")
if ok_actions then
  local fn = { name = "my-fn" }
  local cfg = { FunctionName = "my-fn", Timeout = 3, MemorySize = 128,
    TracingConfig = { Mode = "PassThrough" },
                RevisionId = "r1" }

  local function valid(step)
    local okv, err = plan.validate({ step })
    t.eq(err, nil)
    t.eq(okv, true)
    return step
  end

  t.test("update_configuration_fills_before_after_undo_and_read", function()
    local s = valid(actions.update_configuration(fn, cfg, { Timeout = 10,
      TracingConfig = { Mode = "Active" } }))
    t.eq(s.params, { FunctionName = "my-fn", Timeout = 10, TracingConfig = { Mode = "Active" } })
    t.eq(s.before, { Timeout = 3, TracingConfig = { Mode = "PassThrough" } })
    t.eq(s.after, { Timeout = 10, TracingConfig = { Mode = "Active" } })
    t.eq(s.undo.params, { FunctionName = "my-fn", Timeout = 3, TracingConfig = { Mode = "PassThrough" } })
    t.eq(s.read, { service = "lambda", operation = GFC, params = { FunctionName = "my-fn" } })
    local q = valid(actions.update_configuration({ name = "my-fn", qualifier = "live" }, cfg,
      { MemorySize = 512 }))
    t.eq(q.read.params.Qualifier, nil, "configuration is $LATEST's")
    t.eq(q.params.FunctionName, "my-fn", "configuration is set on the function, not a qualifier")
  end)

  t.test("update_configuration_turns_reply_shapes_into_input_shapes", function()
    local reply = { FunctionName = "my-fn",
      Layers = { { Arn = "arn:aws:lambda:us-east-1:1:layer:l:3", CodeSize = 9 } },
      VpcConfig = { SubnetIds = { "subnet-1" }, SecurityGroupIds = { "sg-1" }, VpcId = "vpc-1" },
      Environment = { Variables = { A = "1" }, Error = { ErrorCode = "x" } } }
    local s = valid(actions.update_configuration(fn, reply, { Layers = {},
      VpcConfig = { SubnetIds = {}, SecurityGroupIds = {} }, Environment = { Variables = {} },
      DeadLetterConfig = { TargetArn = "arn:q" } }))
    t.eq(s.before.Layers, { "arn:aws:lambda:us-east-1:1:layer:l:3" })
    t.eq(s.before.VpcConfig, { SubnetIds = { "subnet-1" }, SecurityGroupIds = { "sg-1" } })
    t.eq(s.before.Environment, { Variables = { A = "1" } })
    t.eq(s.before.DeadLetterConfig, json.null, "absent when read")
    t.eq(s.undo.params.DeadLetterConfig, { TargetArn = "" }, "the undo clears what was absent")
    local img = actions.configuration_fields({ ImageConfigResponse = {
      ImageConfig = { Command = { "app.h" } }, Error = { ErrorCode = "x" } } },
      { "ImageConfig", "EphemeralStorage" })
    t.eq(img, { ImageConfig = { Command = { "app.h" } }, EphemeralStorage = json.null })
  end)

  t.test("concurrency_builders", function()
    local put = valid(actions.put_concurrency(fn, nil, 10))
    t.eq(put.undo.operation, "DeleteFunctionConcurrency")
    t.eq(put.before, { ReservedConcurrentExecutions = json.null })
    local again = valid(actions.put_concurrency(fn, 0, 10))
    t.eq(again.undo.operation, "PutFunctionConcurrency")
    t.eq(again.undo.params.ReservedConcurrentExecutions, 0)
    local del = valid(actions.delete_concurrency(fn, 0))
    t.eq(del.undo.params.ReservedConcurrentExecutions, 0)
    t.eq(del.read.operation, "GetFunctionConcurrency")
    local pc = valid(actions.put_provisioned_concurrency(fn, "live", 5, nil))
    t.eq(pc.params.Qualifier, "live")
    t.eq(pc.undo.operation, "DeleteProvisionedConcurrencyConfig")
    local pc2 = valid(actions.put_provisioned_concurrency(fn, "live", 5, 2))
    t.eq(pc2.undo.params.ProvisionedConcurrentExecutions, 2)
  end)

  t.test("permission_builders", function()
    local add = valid(actions.add_permission(fn, { StatementId = "runbook-apigw-1",
      Action = "lambda:InvokeFunction",
      Principal = "apigateway.amazonaws.com",
        SourceArn = "arn:aws:execute-api:us-east-1:123456789012:a1/*/GET/x" }))
    t.eq(add.undo.operation, "RemovePermission")
    t.eq(add.undo.params.StatementId, "runbook-apigw-1")
    t.eq(add.read.operation, "GetPolicy")
    local rm = valid(actions.remove_permission(fn, "old", { StatementId = "old",
      Action = "lambda:InvokeFunction",
      Principal = "apigateway.amazonaws.com" }))
    t.eq(rm.undo.operation, "AddPermission")
    local irreversible = valid(actions.remove_permission(fn, "old", nil))
    t.eq(irreversible.undo, nil)
  end)

  t.test("role_policy_builders", function()
    local att = valid(actions.attach_role_policy("my-role",
      "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"))
    t.eq(att.undo.operation, "DetachRolePolicy")
    local doc = { Version = "2012-10-17", Statement = { { Effect = "Allow", Action = "dynamodb:PutItem",
      Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/orders" } } }
    local put = valid(actions.put_role_policy("my-role", "runbook-orders", doc))
    t.eq(json.decode(put.params.PolicyDocument), doc)
    t.eq(put.undo.operation, "DeleteRolePolicy")
    local replace = valid(actions.put_role_policy("my-role", "runbook-orders", doc, { Version = "2012-10-17",
      Statement = {} }))
    t.eq(replace.undo.operation, "PutRolePolicy")
  end)

  t.test("event_source_mapping_version_and_alias_builders", function()
    local esm = valid(actions.update_event_source_mapping("uuid-1", { Enabled = true, BatchSize = 10 },
      { Enabled = false, BatchSize = 100 }))
    t.eq(esm.undo.params, { UUID = "uuid-1", Enabled = false, BatchSize = 100 })
    local p = { actions.publish_version(fn), actions.create_alias(fn, "live", plan.ref(1, "Version")) }
    t.eq(plan.validate(p), true)
    t.eq(require("fix.render").commands(p)[2],
      "aws lambda create-alias --function-name my-fn --name live --function-version \"$VERSION\"")
    t.eq(p[2].undo.operation, "DeleteAlias")
  end)

  t.test("verify_field_rereads_the_configuration", function()
    local v = actions.verify_field(fn, "Timeout", ">=", 6)
    t.eq(v.what, "Timeout >= 6")
    t.eq(v.read.operation, GFC)
    t.eq(plan.validate({ actions.update_configuration(fn, cfg, { Timeout = 10 }) }, { v }), true)
  end)
end

return t.run()
