--- Tests of the verify checks a fresh read is judged by (fix.plan.evaluate): op "allows"
--- against IAM identity policies (GetRolePolicy, URL-encoded as IAM returns them) and
--- Lambda resource policies (GetPolicy, with principal and aws:SourceArn), paths through
--- lists ("AttachedPolicies[].PolicyArn"), and a fix's `manual` reason kept by normalize.
local t = require("testlib")
local json = require("runbook.json")
local plan = require("fix.plan")

local TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
local FN = "arn:aws:lambda:us-east-1:123456789012:function:checkout-fn"
local SOURCE = "arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/prod/POST/checkout"

local function url_encode(s)
  return (s:gsub("[^%w%-_.~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local function allows(doc, value)
  return plan.evaluate({ path = "PolicyDocument", op = "allows", value = value },
    { PolicyDocument = doc })
end

t.test("allows_judges_an_identity_policy_as_iam_does", function()
  local doc = json.encode({ Version = "2012-10-17", Statement = {
    { Effect = "Allow", Action = { "dynamodb:GetItem", "dynamodb:PutItem" }, Resource = TABLE },
    { Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::bucket/*",
      Condition = { Bool = { ["aws:SecureTransport"] = "true" } } },
  } })
  t.eq(allows(doc, { action = "dynamodb:PutItem", resource = TABLE }), true)
  t.eq(allows(url_encode(doc), { action = "dynamodb:PutItem", resource = TABLE }), true,
    "IAM's URL-encoded document")
  t.eq({ allows(doc, { action = "dynamodb:DeleteItem", resource = TABLE }) },
    { false, "PolicyDocument does not allow dynamodb:DeleteItem on " .. TABLE })
  t.eq(allows(doc, { action = "dynamodb:PutItem", resource = TABLE .. "-2" }), false, "other table")
  t.eq(allows(doc, { action = "s3:GetObject", resource = "arn:aws:s3:::bucket/k" }), false,
    "an Allow that holds only under a condition is not enough")
  local denied = json.encode({ Statement = {
    { Effect = "Allow", Action = "dynamodb:*", Resource = "*" },
    { Effect = "Deny", Action = "dynamodb:PutItem", Resource = TABLE } } })
  t.eq(allows(denied, { action = "dynamodb:PutItem", resource = TABLE }), false, "a Deny wins")
  t.eq(allows(nil, { action = "dynamodb:PutItem", resource = TABLE }), false, "no document")
  t.eq(allows("not json", { action = "dynamodb:PutItem", resource = TABLE }), false)
end)

t.test("allows_judges_a_lambda_resource_policy_by_principal_and_source_arn", function()
  local function policy(statements)
    return { Policy = json.encode({ Version = "2012-10-17", Statement = statements }) }
  end
  local grant = { Sid = "apigateway-w4x9k2m7pq", Effect = "Allow",
    Principal = { Service = "apigateway.amazonaws.com" }, Action = "lambda:InvokeFunction",
    Resource = FN, Condition = { ArnLike = {
      ["AWS:SourceArn"] = "arn:aws:execute-api:us-east-1:123456789012:w4x9k2m7pq/*/POST/checkout" } } }
  local check = { path = "Policy", op = "allows", value = { action = "lambda:InvokeFunction",
    principal = "apigateway.amazonaws.com", source_arn = SOURCE } }
  t.eq(plan.evaluate(check, policy({ grant })), true)
  local other = json.decode(json.encode(grant))
  other.Condition.ArnLike["AWS:SourceArn"] = "arn:aws:execute-api:us-east-1:123456789012:q0r1s2t3u4/*"
  t.eq({ plan.evaluate(check, policy({ other })) }, { false, "Policy does not allow "
    .. "lambda:InvokeFunction for apigateway.amazonaws.com from " .. SOURCE })
  local events = json.decode(json.encode(grant))
  events.Principal.Service = "events.amazonaws.com"
  t.eq(plan.evaluate(check, policy({ events })), false, "another service")
  local deny = json.decode(json.encode(grant))
  deny.Effect, deny.Sid = "Deny", "DenyAll"
  t.eq(plan.evaluate(check, policy({ grant, deny })), false, "a Deny wins")
  local public = { Effect = "Allow", Principal = "*", Action = "lambda:InvokeFunctionUrl",
    Resource = FN, Condition = { StringEquals = { ["lambda:FunctionUrlAuthType"] = "NONE" } } }
  t.eq(plan.evaluate({ path = "Policy", op = "allows",
    value = { action = "lambda:InvokeFunctionUrl", principal = "*" } }, policy({ public })), true)
  t.eq(plan.evaluate(check, {}), false, "no policy at all")
end)

t.test("allows_needs_a_value_with_an_action", function()
  local read = { service = "iam", operation = "GetRolePolicy",
                 params = { RoleName = "r", PolicyName = "p" } }
  local ok, err = plan.validate({}, { { what = "x", read = read, path = "PolicyDocument",
    op = "allows", value = "dynamodb:PutItem" } })
  t.eq(ok, nil)
  t.contains(err, "op allows needs a value { action = ...")
  t.eq(plan.validate({}, { { what = "x", read = read, path = "PolicyDocument", op = "allows",
    value = { action = "dynamodb:PutItem", resource = TABLE } } }), true)
end)

t.test("a_path_maps_over_a_list_with_brackets", function()
  local reply = { AttachedPolicies = {
    { PolicyName = "a", PolicyArn = "arn:aws:iam::aws:policy/A" },
    { PolicyName = "b", PolicyArn = "arn:aws:iam::aws:policy/B" } } }
  t.eq(plan.at_path(reply, "AttachedPolicies[].PolicyArn"),
    { "arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B" })
  t.eq(plan.evaluate({ path = "AttachedPolicies[].PolicyArn", op = "contains",
    value = "arn:aws:iam::aws:policy/B" }, reply), true)
  t.eq(plan.evaluate({ path = "AttachedPolicies[].PolicyArn", op = "contains",
    value = "arn:aws:iam::aws:policy/C" }, reply), false)
  t.eq(plan.at_path({}, "AttachedPolicies[].PolicyArn"), nil)
  t.eq(plan.at_path(reply, "AttachedPolicies.2.PolicyName"), "b", "indexes still work")
end)

t.test("normalize_keeps_the_manual_reason_and_refuses_a_bad_one", function()
  local fix = plan.normalize({ explain = "x", manual = "network changes are explained, never applied",
    plan = { plan.call("lambda", "DeleteFunctionConcurrency", { FunctionName = "f" }) } })
  t.eq(fix.manual, "network changes are explained, never applied")
  t.eq(plan.normalize({ explain = "y", manual = "why" }).manual, "why")
  t.eq(plan.normalize({ explain = "z" }).manual, nil)
  local ok, err = pcall(plan.normalize, { explain = "x", manual = true })
  t.eq(ok, false)
  t.contains(err, "fix.manual must be one line")
end)

return t.run()
