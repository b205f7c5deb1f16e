--- lib.sdk_error: one log line read as an AWS SDK error, in every SDK's wording.
--
-- The field guide's "Diagnosing Service Unavailable (503)" asks which service answered
-- 503, 500 or "Rate exceeded", and how often; functions print those answers in their
-- SDK's own words: boto3's "An error occurred (X) when calling the Y operation", Go v2's
-- "operation error DynamoDB: PutItem, ... StatusCode: 503", Java v1's "(Service:
-- AmazonDynamoDBv2; Status Code: 503; Error Code: X", Java v2's "(Service: DynamoDb,
-- Status Code: 503", JavaScript v3's "$metadata" / "httpStatusCode", v2's "retryable:",
-- and .NET's "Amazon.S3.Model.XException". parse() reads any of them into one record;
-- lib.services says which family the code belongs to. Pure functions, no AWS calls.
local services = require("lib.services")
local text = require("lib.text")

local M = {}

-- Words that make a line worth parsing at all (plain find, cheap).
local TRIGGERS = { "Unavailable", "Internal", "Throttl", "TooManyRequests", "Rate exceeded",
                   "Rate Exceeded", "SlowDown", "Exceeded", "Status Code: 5",
                   "StatusCode: 5", "httpStatusCode", "statusCode: 5", "ServiceException",
                   "ServiceFailure", "BadGateway", "GatewayTimeout" }

--- Whether a log line may hold a transient SDK error (a cheap filter before parse()).
function M.worth_parsing(message)
  return text.contains_any(message, TRIGGERS) ~= nil
end

-- Java v2 names its generic exception after the service (DynamoDbException): not a code.
local function java_code(class, service)
  if not class then return nil end
  if class:lower() == (service or ""):lower() .. "exception" then return nil end
  return (class:gsub("Exception$", "") ~= "" and class or nil)
end

local function boto3(r, message)
  local code, op = message:match("An error occurred %(([%w.]+)%) when calling the (%w+) operation")
  if not code then return end
  r.sdk, r.code, r.operation = "boto3", code, op
  r.retries = tonumber(message:match("%(reached max retries: (%d+)%)"))
  r.service = services.service_for_operation(op)
end

-- "operation error DynamoDB: PutItem, exceeded maximum number of attempts, 3, https
-- response error StatusCode: 503, RequestID: ..., api error ServiceUnavailable: ..."
local function go_v2(r, message)
  local svc, op = message:match("operation error ([%w ]-): (%w+),")
  if not svc then return end
  r.sdk, r.service, r.operation = "go", services.normalize_service(svc), op
  r.status = tonumber(message:match("StatusCode: (%d+)"))
  r.code = message:match("api error ([%w.]+):") or message:match("RequestID: [%w%-]*, (%w+): ")
  r.attempts = tonumber(message:match("exceeded maximum number of attempts, (%d+)"))
end

local function java(r, message)
  -- v1 "(Service: AmazonDynamoDBv2; Status Code: 503; Error Code: X; Request ID: ...)"
  local v1svc, v1status, v1code = message:match("%(Service: ([%w ]-); Status Code: (%d+); "
    .. "Error Code: ([%w.]+);")
  -- v2 "X (Service: DynamoDb, Status Code: 503, Request ID: ...)"
  local v2svc, v2status = message:match("%(Service: ([%w ]-), Status Code: (%d+),")
  if v1svc then
    r.sdk, r.service, r.status = "java-v1", services.normalize_service(v1svc), tonumber(v1status)
    r.code = v1code ~= "null" and v1code or nil
  elseif v2svc then
    r.sdk, r.service, r.status = "java-v2", services.normalize_service(v2svc), tonumber(v2status)
    local pkg, class = message:match("software%.amazon%.awssdk%.services%.(%w+)%.model%.(%w+)")
    r.code = java_code(class, v2svc:gsub("%s", ""))
    if pkg and not r.service then r.service = services.normalize_service(pkg) end
  else
    return
  end
  -- the client method in the stack names the operation: DefaultDynamoDbClient.putItem(
  local method = message:match("%.Default%w+Client%.(%l%w*)%(")
    or message:match("%.Amazon%w+Client%.(%l%w*)%(")
  if method and not method:find("^execute") and not method:find("^invoke") then
    r.operation = method:sub(1, 1):upper() .. method:sub(2)
  end
end

-- '$metadata' with httpStatusCode, the error's name, @aws-sdk/client-x
local function js_v3(r, message)
  if not message:find("$metadata", 1, true) then return end
  r.sdk = "js-v3"
  r.status = tonumber(message:match('"httpStatusCode":%s*(%d+)')
    or message:match("httpStatusCode: (%d+)"))
  r.attempts = tonumber(message:match('"attempts":%s*(%d+)') or message:match("attempts: (%d+)"))
  r.code = message:match('"errorType":%s*"([%w.]+)"') or message:match("Code: '([%w.]+)'")
    or message:match('"Code":%s*"([%w.]+)"') or message:match("name: '([%w.]+)'")
  if not r.code then
    local head = message:match("^(.-)\n%s+at ") or text.first_line(message)
    for name in head:gmatch("(%u[%w]+): ") do r.code = name end
  end
  local client = message:match("@aws%-sdk/client%-([%w%-]+)")
  r.service = client and services.normalize_service(client)
  r.operation = message:match("de_(%w-)Command[%s(E]") or message:match("(%w+)Command")
  if r.operation == "" then r.operation = nil end
end

-- "code: 'ServiceUnavailable', ... statusCode: 503, retryable: true"
local function js_v2(r, message)
  if not message:find("retryable: ", 1, true) then return end
  r.sdk = "js-v2"
  r.code = message:match("code: '([%w.]+)'")
  r.status = tonumber(message:match("statusCode: (%d+)"))
end

-- "Amazon.DynamoDBv2.AmazonDynamoDBException: ..." / "Amazon.S3.Model.X: ..."
local function dotnet(r, message)
  local svc, class = message:match("Amazon%.([%w]+)%.Model%.(%w+Exception)")
  if not svc then svc, class = message:match("Amazon%.([%w]+)%.(Amazon%w+Exception)") end
  if not svc then return end
  r.sdk, r.service = "dotnet", services.normalize_service(svc)
  r.code = not class:find("^Amazon") and class or nil
end

local READERS = { boto3, go_v2, java, js_v3, js_v2, dotnet }

--- Reads one log line as an AWS SDK error: {sdk, code, status, service, operation,
--- attempts, retries} (fields may be nil), or nil when the line is no SDK error. A line
--- in no SDK's wording that says "Rate exceeded" or "Service Unavailable" gives sdk
--- "unknown" with that phrase as its code.
function M.parse(message)
  local r = {}
  for _, read in ipairs(READERS) do
    read(r, message)
    if r.sdk then break end
  end
  -- any wording: the endpoint host names the service
  if not r.service then
    for service in pairs(services.services_in(message)) do r.service = service end
  end
  if not r.sdk then
    local phrase = text.contains_any(message, services.THROTTLING_PHRASES)
      or text.contains_any(message, services.UNAVAILABLE_PHRASES)
    if not phrase then return nil end
    r.sdk, r.code = "unknown", phrase
  end
  return r
end

--- Where a multi-line event names the SDK error below its first line (the last line of a
--- Python traceback, a Java exception line): that line, trimmed and clipped; else nil.
function M.error_line(message)
  local found
  for line in message:gmatch("[^\n]+") do
    if line:find("An error occurred (", 1, true) or line:find("(Service: ", 1, true) then
      found = line
    end
  end
  if not found then return nil end
  return text.clip((found:gsub("^%s+", "")), 240)
end

return M
