--- lib.arn: Amazon Resource Names built and read with the partition, never a literal
--- "arn:aws:".
--
-- The same account in aws-cn or aws-us-gov has ARNs that start "arn:aws-cn:" or
-- "arn:aws-us-gov:"; a policy matched against an "arn:aws:" ARN there gives a wrong
-- answer, not only wrong text. Every ARN a step builds comes from build() with the run's
-- partition (ctx.partition), and every ARN it reads goes through parse().
local M = {}

-- The partition of a region when nothing else says it.
local PARTITION_PREFIXES = { { "^cn%-", "aws-cn" }, { "^us%-gov%-", "aws-us-gov" },
                             { "^us%-iso%-", "aws-iso" }, { "^us%-isob%-", "aws-iso-b" } }

--- The partition a region belongs to: "aws", "aws-cn", "aws-us-gov", ...
function M.partition_of(region)
  for _, p in ipairs(PARTITION_PREFIXES) do
    if type(region) == "string" and region:find(p[1]) then return p[2] end
  end
  return "aws"
end

-- Where a partition's global services (IAM) are served and CloudTrail records them.
local GLOBAL_REGIONS = { aws = "us-east-1", ["aws-cn"] = "cn-north-1",
                         ["aws-us-gov"] = "us-gov-west-1", ["aws-iso"] = "us-iso-east-1",
                         ["aws-iso-b"] = "us-isob-east-1" }

--- The region of a partition's global services: "aws" -> "us-east-1", "aws-cn" ->
--- "cn-north-1" (IAM's CloudTrail events are looked up there, whatever the function's region).
function M.global_region(partition)
  return GLOBAL_REGIONS[partition or "aws"] or "us-east-1"
end

--- "arn:aws:lambda:us-east-1:123:function:f" -> {partition, service, region, account,
--- resource}; nil when s is not an ARN.
function M.parse(s)
  if type(s) ~= "string" then return nil end
  local partition, service, region, account, resource =
    s:match("^arn:([%w-]+):([%w-]+):([%w-]*):(%d*):(.+)$")
  if not partition then return nil end
  return { partition = partition, service = service, region = region, account = account,
           resource = resource }
end

--- An ARN from its parts: build{ partition =, service =, region =, account =, resource = }.
--- partition defaults to the region's; region and account may be "" (IAM, S3).
function M.build(p)
  local partition = p.partition or M.partition_of(p.region)
  return ("arn:%s:%s:%s:%s:%s"):format(partition, p.service, p.region or "", p.account or "",
    p.resource)
end

--- The account id in an ARN, or nil.
function M.account(s)
  local a = M.parse(s)
  return a and a.account ~= "" and a.account or nil
end

--- The role name of a role ARN (path dropped) or of an assumed-role session ARN; nil when
--- it is neither.
function M.role_name(s)
  if type(s) ~= "string" then return nil end
  return s:match(":assumed%-role/([^/]+)/") or s:match(":role/.-([^/]+)$")
end

--- A role's ARN in the run's partition.
function M.role(partition, account, name)
  return M.build{ partition = partition, service = "iam", region = "", account = account,
                  resource = "role/" .. name }
end

--- An AWS managed policy's ARN: managed_policy("aws-cn", "service-role/AWSLambdaVPCAccessExecutionRole").
function M.managed_policy(partition, name)
  return M.build{ partition = partition, service = "iam", region = "", account = "aws",
                  resource = "policy/" .. name }
end

--- A Lambda function's ARN (with its qualifier when given).
function M.lambda_function(partition, region, account, name, qualifier)
  return M.build{ partition = partition, service = "lambda", region = region,
                  account = account,
                  resource = "function:" .. name .. (qualifier and (":" .. qualifier) or "") }
end

--- "arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID[/STAGE[/METHOD[/PATH]]]".
function M.execute_api(partition, region, account, api_id, stage, method, path)
  local resource = api_id
  if stage ~= nil then
    resource = resource .. "/" .. stage
    if method ~= nil then resource = resource .. "/" .. method .. "/" .. (path or "") end
  end
  return M.build{ partition = partition, service = "execute-api", region = region,
                  account = account, resource = resource }
end

--- An SQS queue's ARN.
function M.sqs_queue(partition, region, account, name)
  return M.build{ partition = partition, service = "sqs", region = region, account = account,
                  resource = name }
end

return M
