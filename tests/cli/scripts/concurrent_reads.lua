-- Several reads in parallel tasks, one shared, one failing: used by the leak checks.
local results = runbook.all {
  function() return aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"} end,
  function() return aws.lambda.GetFunctionConfiguration{FunctionName = "my-fn"} end,
  function() return aws.iam.ListAttachedRolePolicies{RoleName = "my-fn-role"} end,
  function() return aws.ec2.DescribeSubnets{} end,
  function() return aws.logs.DescribeLogGroups{logGroupNamePrefix = "/aws/lambda/"} end,
  function() return aws.lambda.GetFunctionConfiguration{FunctionName = "missing"} end,
}
assert(results[1][2].FunctionName == "my-fn")
assert(results[6][3].code == "ResourceNotFoundException")
print(require("runbook.json").encode(results[4][2].Subnets[1]))
