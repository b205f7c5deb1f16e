--- lib.services: which AWS service a log line, an operation, a host or an environment
--- variable name points at, and the error-code families that say "the service throttled
--- you" and "the service failed, try again".
--
-- Pure functions over strings, one home for the vocabulary the unavailable, throttle and
-- vpc steps share (the field guide's "Diagnosing Service Unavailable (503)" and
-- "Diagnosing Lambda Throttling": a 503 or a "Rate exceeded" from DynamoDB, S3, SQS...).
--
--   local services = require("lib.services")
--   services.service_for_operation("PutItem")          --> "dynamodb"
--   services.normalize_service("AmazonDynamoDBv2")      --> "dynamodb"
--   services.error_kind("SlowDown")                     --> "throttled", 503
--   services.throttling_in("... SlowDown: Please reduce your request rate.") --> "SlowDown"
--
-- The error families. Until this module, the throttle step's list of downstream
-- throttling words and the unavailable step's THROTTLED table disagreed: the throttle
-- step missed Throttling (SNS, CloudFormation...), RequestThrottled(Exception) (Kinesis
-- Video, SES), LimitExceededException (Kinesis, Secrets Manager rate limits) and
-- EC2ThrottledException (Lambda's own ENI calls), so the same log line was throttling to
-- one step and not to the other. THROTTLING below is the union, each code with the HTTP
-- status the service answers it with; "Rate exceeded" is a phrase, not a code (IAM, STS,
-- CloudWatch Events print it without one), and counts as throttling in both steps.
local text = require("lib.text")

local M = {}

---------------------------------------------------------------------------------------
-- error families

--- Codes that mean "the service throttled you" -> the HTTP status it answers them with.
M.THROTTLING = {
  ThrottlingException = 400, Throttling = 400, ThrottledException = 429,
  TooManyRequestsException = 429, RequestLimitExceeded = 503, SlowDown = 503,
  ProvisionedThroughputExceededException = 400, RequestThrottledException = 400,
  RequestThrottled = 400, TransactionInProgressException = 400,
  LimitExceededException = 400, EC2ThrottledException = 502,
}

--- Phrases (not codes) services print when they throttle: "Rate exceeded".
M.THROTTLING_PHRASES = { "Rate exceeded", "Rate Exceeded" }

--- Codes that mean "the service is overloaded or failing, try again later" -> status.
M.UNAVAILABLE = {
  ServiceUnavailable = 503, ServiceUnavailableException = 503, ServiceUnavailableError = 503,
  InternalServerError = 500, InternalServerException = 500, InternalFailure = 500,
  InternalError = 500, ServiceException = 500, InternalServiceError = 500,
  InternalServiceErrorException = 500, InternalException = 500, ServiceFailure = 500,
  BadGateway = 502, GatewayTimeout = 504, RequestTimeout = 408,
}

--- Phrases (not codes) of an unnamed 503: "Service Unavailable".
M.UNAVAILABLE_PHRASES = { "Service Unavailable" }

--- Whether an error is transient on the service's side: "throttled" or "unavailable"
--- with the HTTP status the code implies, or nil (a client error such as AccessDenied).
--- `code` may be qualified ("botocore.errorfactory.SlowDown") or a phrase ("Rate
--- exceeded"); `status` is the HTTP status the SDK printed, when it did.
function M.error_kind(code, status)
  local last = code and code:match("([%w]+)$")
  if last and M.THROTTLING[last] then return "throttled", M.THROTTLING[last] end
  if last and M.UNAVAILABLE[last] then return "unavailable", M.UNAVAILABLE[last] end
  for _, phrase in ipairs(M.THROTTLING_PHRASES) do
    if code == phrase then return "throttled" end
  end
  for _, phrase in ipairs(M.UNAVAILABLE_PHRASES) do
    if code == phrase then return "unavailable", 503 end
  end
  if status == 429 then return "throttled" end
  if status and status >= 500 then return "unavailable" end
  return nil
end

--- The first throttling code (as a whole word) or phrase a log line holds, or nil:
--- "upload failed SlowDown: Please reduce..." -> "SlowDown".
function M.throttling_in(message)
  if type(message) ~= "string" then return nil end
  for word in message:gmatch("%w+") do
    if M.THROTTLING[word] then return word end
  end
  return text.contains_any(message, M.THROTTLING_PHRASES)
end

---------------------------------------------------------------------------------------
-- service names

-- Operation names as boto3 prints them ("when calling the PutItem operation") -> the
-- service that owns them. Names shared by two services go to the more common one.
local OPERATIONS = {
  dynamodb = { "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
               "BatchGetItem", "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
               "DescribeTable", "ExecuteStatement" },
  s3 = { "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects",
         "CopyObject", "ListObjects", "ListObjectsV2", "UploadPart",
         "CreateMultipartUpload", "CompleteMultipartUpload", "HeadBucket" },
  sqs = { "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
          "DeleteMessageBatch", "ChangeMessageVisibility", "GetQueueUrl",
          "GetQueueAttributes" },
  sns = { "Publish", "PublishBatch" },
  kinesis = { "PutRecord", "PutRecords", "GetRecords", "GetShardIterator" },
  firehose = { "PutRecordBatch" },
  lambda = { "Invoke", "InvokeAsync" },
  secretsmanager = { "GetSecretValue", "DescribeSecret" },
  ssm = { "GetParameter", "GetParameters", "GetParametersByPath", "PutParameter" },
  kms = { "Decrypt", "Encrypt", "GenerateDataKey", "Sign", "Verify" },
  sts = { "AssumeRole", "GetCallerIdentity" },
  states = { "StartExecution", "StartSyncExecution", "SendTaskSuccess", "SendTaskFailure" },
  events = { "PutEvents" },
  monitoring = { "PutMetricData", "GetMetricData" },
  logs = { "PutLogEvents" },
  ses = { "SendEmail", "SendRawEmail" },
}

local SERVICE_OF = {}
for service, ops in pairs(OPERATIONS) do
  for _, op in ipairs(ops) do SERVICE_OF[op] = service end
end

--- The service an API operation belongs to ("PutItem" -> "dynamodb"), or nil.
function M.service_for_operation(operation)
  return operation and SERVICE_OF[operation] or nil
end

-- How SDKs spell a service (Java "DynamoDb", "AmazonDynamoDBv2", Go "DynamoDB",
-- "@aws-sdk/client-secrets-manager", endpoint prefixes) -> one lowercase id.
local ALIASES = {
  dynamodbv2 = "dynamodb", dynamo = "dynamodb", simplequeueservice = "sqs",
  simplenotificationservice = "sns", secrets = "secretsmanager", sfn = "states",
  stepfunctions = "states", sfnclient = "states", cloudwatch = "monitoring",
  cloudwatchlogs = "logs", eventbridge = "events", cloudwatchevents = "events",
  kinesisfirehose = "firehose", lambdainternal = "lambda", awslambda = "lambda",
  simpleemailservice = "ses", sesv2 = "ses", email = "ses", s3control = "s3",
  simplesystemsmanagement = "ssm", keymanagementservice = "kms",
  securitytokenservice = "sts", sesclient = "ses",
}

--- "DynamoDb", "AmazonDynamoDBv2", "Amazon S3", "secrets-manager" -> "dynamodb", "s3",
--- "secretsmanager"; nil for nil or an empty name.
function M.normalize_service(name)
  if not name then return nil end
  local s = name:lower():gsub("[%s%-_]", "")
  s = s:gsub("^amazon", ""):gsub("^aws", "")
  if s == "" then return nil end
  if ALIASES[s] then return ALIASES[s] end
  local base = s:gsub("v%d+$", "")
  if ALIASES[base] then return ALIASES[base] end
  if SERVICE_OF[name] then return SERVICE_OF[name] end
  return base ~= "" and base or s
end

local function is_region(label)
  return label:match("^%a%a%-%a+%-%d+$") ~= nil or label:match("^%a%a%-gov%-%a+%-%d+$") ~= nil
end

-- Hosts that put the region before the service ("db.cluster-x.us-east-1.rds.amazonaws.com").
local REGION_FIRST = { rds = true, cache = true, es = true, elb = true, redshift = true }

--- The service behind an AWS endpoint host name: "dynamodb.us-east-1.amazonaws.com" ->
--- "dynamodb", "orders.s3.us-east-1.amazonaws.com" -> "s3", "sts.amazonaws.com" -> "sts";
--- nil for any other host.
function M.service_from_host(host)
  if not host then return nil end
  host = host:lower()
  if not host:find("%.amazonaws%.com$") then return nil end
  local labels = {}
  for label in host:gmatch("[^.]+") do labels[#labels + 1] = label end
  if #labels >= 3 and REGION_FIRST[labels[#labels - 2]] then return labels[#labels - 2] end
  for i = 2, #labels do
    if is_region(labels[i]) then
      local service = labels[i - 1]
      if service == "dualstack" and i > 2 then service = labels[i - 2] end
      return M.normalize_service(service:gsub("%-fips$", ""))
    end
  end
  if #labels >= 3 then return M.normalize_service(labels[#labels - 2]) end
  return nil
end

--- Every AWS endpoint host named in a log line (URLs, "Connect to HOST:443").
function M.hosts_in(message)
  local hosts = {}
  for host in message:gmatch("([%w%.%-]+%.amazonaws%.com)") do hosts[#hosts + 1] = host:lower() end
  return text.unique(hosts)
end

--- The services a log line shows an SDK calling: host names, boto3's "when calling the
--- X operation", Go's "operation error Service: Op", Java's "(Service: X, ...",
--- JavaScript v3's "@aws-sdk/client-x". A set {service = true}.
function M.services_in(message)
  local out = {}
  for _, host in ipairs(M.hosts_in(message)) do
    local s = M.service_from_host(host)
    if s then out[s] = true end
  end
  for op in message:gmatch("when calling the (%w+) operation") do
    local s = M.service_for_operation(op)
    if s then out[s] = true end
  end
  for name in message:gmatch("operation error ([%w ]-): %w+") do
    out[M.normalize_service(name)] = true
  end
  for name in message:gmatch("%(Service: ([%w ]-)[,;]") do
    out[M.normalize_service(name)] = true
  end
  for name in message:gmatch("@aws%-sdk/client%-([%w%-]+)") do
    out[M.normalize_service(name)] = true
  end
  return out
end

-- Environment variable NAMES (never values) that say which service a function uses.
local ENV_HINTS = {
  { "TABLE", "dynamodb" }, { "DYNAMO", "dynamodb" }, { "QUEUE", "sqs" },
  { "BUCKET", "s3" }, { "TOPIC", "sns" }, { "SECRET_ARN", "secretsmanager" },
  { "SECRET_ID", "secretsmanager" }, { "SECRET_NAME", "secretsmanager" },
  { "STREAM_NAME", "kinesis" }, { "STREAM_ARN", "kinesis" },
  { "DELIVERY_STREAM", "firehose" }, { "PARAMETER", "ssm" }, { "SSM_", "ssm" },
  { "STATE_MACHINE", "states" }, { "EVENT_BUS", "events" }, { "KMS_KEY", "kms" },
}

--- The service an environment variable's name points at ("TABLE_NAME" -> "dynamodb").
function M.service_for_env_name(name)
  local upper = name:upper()
  for _, hint in ipairs(ENV_HINTS) do
    if upper:find(hint[1], 1, true) then return hint[2] end
  end
  return nil
end

-- Services the function's ENI does not need a way out for: Lambda ships logs itself,
-- and databases, caches and load balancers live inside the VPC.
local NOT_THROUGH_ENI = { logs = true, rds = true, cache = true, es = true, elb = true,
                          redshift = true }

--- Which AWS services the function calls through its network interfaces, from its log
--- lines and environment variable names: array of {service, why = {"..."}} sorted by
--- service, each `why` naming the first evidence (a log line's first line, at most 220
--- characters, with its time; or an environment variable name).
function M.services_called(events, env_names)
  local found, order = {}, {}
  local function add(service, why)
    if not service or NOT_THROUGH_ENI[service] then return end
    if not found[service] then
      found[service] = { service = service, why = {} }
      order[#order + 1] = service
    end
    local w = found[service].why
    if #w < 2 then w[#w + 1] = why end
  end
  for _, e in ipairs(events or {}) do
    for service in pairs(M.services_in(e.message)) do
      add(service, ("log line at %s: %s"):format(e.iso, text.clip(text.first_line(e.message), 220)))
    end
  end
  for _, name in ipairs(env_names or {}) do
    add(M.service_for_env_name(name), ("environment variable %s"):format(name))
  end
  table.sort(order)
  local out = {}
  for i, s in ipairs(order) do out[i] = found[s] end
  return out
end

return M
