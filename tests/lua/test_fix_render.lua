--- Tests of fix.render: names against botocore's and the aws CLI's own (generated vectors),
--- shell quoting, every parameter type, JSON documents, references and service names.
local t = require("testlib")
local core = require("runbook.core")
local json = require("runbook.json")
local plan = require("fix.plan")
local render = require("fix.render")
local vectors = require("fix_cli_vectors")

local UFC, GFC = "UpdateFunctionConfiguration", "GetFunctionConfiguration"

local function cmd(service, operation, params)
  return render.command(plan.call(service, operation, params))
end

t.test("xform_matches_botocore_for_every_operation_of_every_embedded_model", function()
  local seen, bad = {}, {}
  for _, v in ipairs(vectors.operations) do
    local service, name, want = v[1], v[2], v[3]
    seen[service] = (seen[service] or 0) + 1
    if render.xform(name) ~= want then bad[#bad + 1] = name .. " -> " .. render.xform(name) end
  end
  t.eq(bad, {}, "operations whose command differs from botocore")
  for service in pairs(core.services()) do
    if service ~= "cloudwatch" then
      t.eq(seen[service], #assert(core.operations(service)),
        "vectors cover every " .. service .. " operation")
    end
  end
end)

t.test("every_operation_is_a_cli_command_except_the_ones_the_cli_removes", function()
  local in_cli, missing = {}, {}
  for _, v in ipairs(vectors.cli) do in_cli[v[1] .. "." .. v[2]] = true end
  for _, v in ipairs(vectors.operations) do
    -- newer than the installed CLI (models from tools/models-src): the CLI has them now
    if not vectors.newer[v[1] .. "." .. v[2]]
        and (in_cli[v[1] .. "." .. v[2]] == true) ~= render.cli_has(v[1], v[2]) then
      missing[#missing + 1] = v[1] .. "." .. v[2]
    end
  end
  t.eq(missing, {})
  t.contains(cmd("ec2", "ImportVolume", {}), "# the aws CLI has no such command")
end)

t.test("xform_matches_botocore_for_every_input_member_name", function()
  local bad, n = {}, 0
  for name, want in pairs(vectors.members) do
    n = n + 1
    if render.xform(name) ~= want then bad[#bad + 1] = name .. " -> " .. render.xform(name) end
  end
  table.sort(bad)
  t.eq(bad, {})
  t.ok(n > 1000, "member vectors present")
end)

t.test("options_match_the_aws_cli_argument_table_including_renames", function()
  local bad = {}
  for _, v in ipairs(vectors.cli) do
    local service, op, command, args = v[1], v[2], v[3], v[4] or {}
    if render.xform(op) ~= (command or render.xform(op)) then bad[#bad + 1] = op end
    for member, e in pairs(args) do
      if e.option and render.option(service, op, member) ~= "--" .. e.option then
        bad[#bad + 1] = op .. "." .. member .. " " .. render.option(service, op, member)
      end
      if e.no and render.negative_option(service, op, member) ~= "--" .. e.no then
        bad[#bad + 1] = op .. "." .. member .. " " .. render.negative_option(service, op, member)
      end
      t.ok(e.flag == nil, "every boolean is a flag in the CLI: " .. op .. "." .. member)
    end
  end
  t.eq(bad, {})
  t.ok(#vectors.cli > 500, "CLI vectors present")
end)

t.test("input_shape_gives_the_model_tree_with_types_required_and_flags", function()
  local tree = assert(core.input_shape("lambda", UFC))
  t.eq(tree.type, "structure")
  t.eq(tree.required, { "FunctionName" })
  t.eq(tree.members.Timeout.type, "integer")
  t.eq(tree.members.Layers.type, "list")
  t.eq(tree.members.Layers.member.type, "string")
  local vars = tree.members.Environment.members.Variables
  t.eq({ vars.type, vars.sensitive, vars.key.type, vars.value.type }, { "map", true, "string", "string" })
  t.eq(assert(core.input_shape("iam", "PutRolePolicy")).members.PolicyDocument.shape, "policyDocumentType")
  t.eq(assert(core.input_shape("sts", "GetCallerIdentity")),
    { type = "structure", shape = "GetCallerIdentityRequest", members = {}, required = {} })
  local none, err = core.input_shape("lambda", "GetFunctionConfig")
  t.eq(none, nil)
  t.eq(err.code, "UnknownOperation")
  t.contains(err.message, "did you mean GetFunctionConfiguration?")
  t.eq(select(2, core.input_shape("nope", "X")).code, "UnknownService")
  t.raises(function() core.input_shape("lambda") end, "bad argument #2")
end)

t.test("xform_examples_from_the_brief", function()
  t.eq(render.xform(GFC), "get-function-configuration")
  t.eq(render.xform("PutFunctionConcurrency"), "put-function-concurrency")
  t.eq(render.xform("ListTagsForResource"), "list-tags-for-resource")
  t.eq(render.xform("UpdateFunctionUrlConfig"), "update-function-url-config")
  t.eq(render.xform("ListWebACLs"), "list-web-acls")
  t.eq(render.xform("KMSKeyArn"), "kms-key-arn")
  t.eq(render.xform("FunctionArn", "_"), "function_arn")
end)

t.test("cli_service_names_are_the_cli_commands", function()
  for ours, theirs in pairs(vectors.services) do t.eq(render.cli_service(ours), theirs, ours) end
  t.contains(cmd("monitoring", "DescribeAlarms", {}), "aws cloudwatch describe-alarms")
  t.contains(cmd("service-quotas", "GetServiceQuota", { ServiceCode = "lambda", QuotaCode = "L-B99A9384" }),
    "aws service-quotas get-service-quota --service-code lambda --quota-code L-B99A9384")
  t.contains(cmd("apigatewayv2", "GetApi", { ApiId = "a1b2" }), "aws apigatewayv2 get-api --api-id a1b2")
  t.contains(cmd("logs", "DescribeLogGroups", {}), "aws logs describe-log-groups")
  t.contains(cmd("sqs", "GetQueueAttributes", { QueueUrl = "https://sqs.us-east-1.amazonaws.com/1/q" }),
    "aws sqs get-queue-attributes --queue-url https://sqs.us-east-1.amazonaws.com/1/q")
end)

t.test("quote_leaves_safe_words_bare_and_single_quotes_the_rest", function()
  t.eq(render.quote("my-fn"), "my-fn")
  t.eq(render.quote("arn:aws:lambda:us-east-1:123456789012:function:f"),
    "arn:aws:lambda:us-east-1:123456789012:function:f")
  t.eq(render.quote(""), "''")
  t.eq(render.quote("two words"), "'two words'")
  t.eq(render.quote("it's"), "'it'\\''s'")
  t.eq(render.quote("$HOME"), "'$HOME'")
  t.eq(render.quote("a\nb"), "'a\nb'")
  t.eq(render.quote("`id`;*"), "'`id`;*'")
  t.eq(render.quote("~root"), "'~root'")
  t.eq(render.quote("''"), "''\\'''\\'''")
end)

t.test("quoted_words_survive_a_real_shell", function()
  for _, s in ipairs({ "it's", "a b\nc", "$HOME `x` \\ \"q\"", "''", "!x", "é ü" }) do
    local p = assert(io.popen("printf '%s' " .. render.quote(s)))
    local out = p:read("a")
    p:close()
    t.eq(out, s)
  end
end)

t.test("scalars_render_plain_and_negative_values_with_equals", function()
  t.eq(cmd("lambda", UFC, { FunctionName = "f", Timeout = 10, MemorySize = 512.0 }),
    "aws lambda update-function-configuration --function-name f --memory-size 512 --timeout 10")
  t.eq(cmd("lambda", UFC, { FunctionName = "f", Description = "-starts with dash" }),
    "aws lambda update-function-configuration --function-name f --description='-starts with dash'")
  t.eq(cmd("lambda", UFC, { FunctionName = "f", Description = "" }),
    "aws lambda update-function-configuration --function-name f --description ''")
end)

t.test("booleans_render_as_flag_and_no_flag", function()
  t.eq(cmd("lambda", "PublishVersion", { FunctionName = "f" }),
    "aws lambda publish-version --function-name f")
  t.contains(cmd("lambda", "UpdateFunctionCode", { FunctionName = "f", Publish = true, S3Bucket = "b",
    S3Key = "k" }),
    " --publish ")
  t.contains(cmd("lambda", "UpdateFunctionCode", { FunctionName = "f", Publish = false, S3Bucket = "b",
    S3Key = "k" }),
    " --no-publish ")
  t.contains(cmd("ec2", "CreateNetworkAclEntry", { NetworkAclId = "acl-1", RuleNumber = 100, Protocol = "-1",
    RuleAction = "allow", Egress = false }), " --ingress")
  t.contains(cmd("ec2", "CreateNetworkAclEntry", { NetworkAclId = "acl-1", RuleNumber = 100, Protocol = "-1",
    RuleAction = "allow", Egress = true }), " --egress")
  t.contains(cmd("apigatewayv2", "UpdateApi", { ApiId = "a", Version = "2" }), " --api-version 2")
end)

t.test("structures_lists_and_maps_render_as_compact_json_in_key_order", function()
  local line = cmd("lambda", UFC, {
    FunctionName = "f",
    VpcConfig = { SubnetIds = { "subnet-2", "subnet-1" }, SecurityGroupIds = {} },
    TracingConfig = { Mode = "Active" },
    Layers = {},
  })
  t.eq(line, "aws lambda update-function-configuration --function-name f"
    .. " --layers '[]' --tracing-config '{\"Mode\":\"Active\"}'"
    .. " --vpc-config '{\"SecurityGroupIds\":[],\"SubnetIds\":[\"subnet-2\",\"subnet-1\"]}'")
  t.eq(cmd("lambda", "UpdateAlias", { FunctionName = "f", Name = "live",
    RoutingConfig = { AdditionalVersionWeights = { ["7"] = 0.1, ["10"] = 0.25 } } }),
    "aws lambda update-alias --function-name f --name live"
    .. " --routing-config '{\"AdditionalVersionWeights\":{\"10\":0.25,\"7\":0.1}}'")
end)

t.test("sensitive_values_are_never_printed_and_stop_the_shell_when_unset", function()
  local step = plan.call("lambda", UFC, { FunctionName = "f",
    Environment = { Variables = { ZED = "1", API_KEY = "s3cr3t", ["odd-name"] = "x" } } })
  local line = render.command(step)
  t.eq(line, "aws lambda update-function-configuration --function-name f --environment"
    .. " '{\"Variables\":{\"API_KEY\":\"'\"${API_KEY:?not shown: export API_KEY first}\"'\","
    .. "\"ZED\":\"'\"${ZED:?not shown: export ZED first}\"'\","
    .. "\"odd-name\":\"'\"${ODD_NAME:?not shown: export ODD_NAME first}\"'\"}}'")
  t.ok(not line:find("s3cr3t", 1, true), "the secret is not in the command")
  local word = line:match("%-%-environment (.*)$")
  local p = assert(io.popen("API_KEY=k ZED=z ODD_NAME=o; printf %s " .. word))
  t.eq(json.decode(p:read("a")), { Variables = { API_KEY = "k", ZED = "z", ["odd-name"] = "o" } })
  p:close()
  p = assert(io.popen("(printf %s " .. word .. ") 2>&1; echo \" rc=$?\""))
  local out = p:read("a")
  t.contains(out, "API_KEY: not shown: export API_KEY first")
  t.ok(not out:find("rc=0", 1, true), "the shell stops")
  p:close()
  t.contains(render.command(step, nil, nil, { show_secrets = true }), '\"API_KEY\":\"s3cr3t\"')
end)

t.test("json_in_an_option_keeps_quotes_dollars_and_newlines_exactly", function()
  local value = "it's \"$HOME\"\nline2"
  local line = render.command(plan.call("lambda", UFC, { FunctionName = "f",
    Environment = { Variables = { V = value } } }), nil, nil, { show_secrets = true })
  local shell = line:match("^aws lambda update%-function%-configuration %-%-function%-name f"
    .. " %-%-environment (.*)$")
  local p = assert(io.popen("printf '%s' " .. shell))
  local out = p:read("a")
  p:close()
  t.eq(json.decode(out).Variables.V, value)
end)

t.test("a_json_document_string_renders_as_its_json_text", function()
  local doc = { Version = "2012-10-17", Statement = { { Effect = "Allow", Action = "dynamodb:PutItem",
    Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/orders" } } }
  local step = plan.call("iam", "PutRolePolicy", { RoleName = "r", PolicyName = "runbook-orders",
    PolicyDocument = doc })
  t.eq(type(step.params.PolicyDocument), "string", "plan.call encodes a document table once")
  t.eq(json.decode(step.params.PolicyDocument), doc)
  t.eq(render.command(step), "aws iam put-role-policy --role-name r --policy-name runbook-orders"
    .. " --policy-document '" .. step.params.PolicyDocument .. "'")
end)

t.test("blobs_render_as_fileb_with_the_file_named", function()
  t.eq(cmd("lambda", "UpdateFunctionCode", { FunctionName = "f", ZipFile = plan.file("build/fn.zip") }),
    "aws lambda update-function-code --function-name f --zip-file fileb://build/fn.zip")
  t.eq(cmd("lambda", "UpdateFunctionCode", { FunctionName = "f", ZipFile = "PK\3\4" }),
    "aws lambda update-function-code --function-name f --zip-file fileb://zip-file.bin"
    .. "  # zip-file.bin: write the 4 bytes of ZipFile to this file first")
end)

t.test("a_value_the_cli_would_read_as_a_file_goes_through_cli_input_json", function()
  t.eq(cmd("lambda", UFC, { FunctionName = "f", Description = "file://x" }),
    "aws lambda update-function-configuration --cli-input-json"
    .. " '{\"Description\":\"file://x\",\"FunctionName\":\"f\"}'")
end)

t.test("references_capture_the_earlier_output_in_a_shell_variable", function()
  local p = {
    plan.call("lambda", "PublishVersion", { FunctionName = "my-fn" }),
    plan.call("lambda", "CreateAlias", { FunctionName = "my-fn", Name = "live",
      FunctionVersion = plan.ref(1, "Version") }),
  }
  t.eq(render.commands(p), {
    "VERSION=$(aws lambda publish-version --function-name my-fn --query Version --output text)",
    "aws lambda create-alias --function-name my-fn --name live --function-version \"$VERSION\"",
  })
end)

t.test("references_to_two_fields_and_inside_json", function()
  local p = {
    plan.call("lambda", "PublishVersion", { FunctionName = "my-fn" }),
    plan.call("lambda", "UpdateAlias", { FunctionName = "my-fn", Name = "live",
      FunctionVersion = plan.ref(1, "Version"),
      Description = plan.ref(1, "FunctionArn"),
      RoutingConfig = { AdditionalVersionWeights = { ["1"] = 0.5 } } }),
    plan.call("lambda", "UpdateAlias", { FunctionName = "my-fn", Name = "beta",
      RoutingConfig = { AdditionalVersionWeights = { [""] = 0.1 } } }),
  }
  local lines = render.commands(p)
  t.eq(lines[1], "set -- $(aws lambda publish-version --function-name my-fn --query '[FunctionArn,Version]'"
    .. " --output text); FUNCTION_ARN=$1; VERSION=$2")
  t.eq(lines[2], "aws lambda update-alias --function-name my-fn --name live --description \"$FUNCTION_ARN\""
    .. " --function-version \"$VERSION\" --routing-config '{\"AdditionalVersionWeights\":{\"1\":0.5}}'")
  local nested = {
    plan.call("lambda", "PublishVersion", { FunctionName = "my-fn" }),
    plan.call("lambda", "UpdateAlias", { FunctionName = "my-fn", Name = "live",
      RoutingConfig = { AdditionalVersionWeights = { ["3"] = 0.25 } }, FunctionVersion = plan.ref(1,
        "Version") }),
  }
  t.contains(render.commands(nested)[2], "--function-version \"$VERSION\"")
end)

t.test("undo_commands_run_newest_first", function()
  local p = {
    plan.call("lambda", "PutFunctionConcurrency", { FunctionName = "f", ReservedConcurrentExecutions = 5 },
      { undo = { service = "lambda", operation = "DeleteFunctionConcurrency",
        params = { FunctionName = "f" } } }),
    plan.call("lambda", UFC, { FunctionName = "f", Timeout = 10 },
      { undo = { service = "lambda", operation = UFC,
                 params = { FunctionName = "f", Timeout = 3 } } }),
  }
  t.eq(render.undo_commands(p), {
    "aws lambda update-function-configuration --function-name f --timeout 3",
    "aws lambda delete-function-concurrency --function-name f",
  })
end)

t.test("base64_matches_the_standard_vectors", function()
  t.eq(render.base64(""), "")
  t.eq(render.base64("f"), "Zg==")
  t.eq(render.base64("fo"), "Zm8=")
  t.eq(render.base64("foo"), "Zm9v")
  t.eq(render.base64("foobar"), "Zm9vYmFy")
end)

return t.run()
