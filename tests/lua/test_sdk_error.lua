--- Tests of lib.sdk_error: one log line read as an AWS SDK error in each SDK's wording.
local t = require("testlib")
local sdk_error = require("lib.sdk_error")

local function pick(r, keys)
  local out = {}
  for _, k in ipairs(keys) do out[k] = r and r[k] end
  return out
end
local KEYS = { "sdk", "code", "status", "service", "operation", "attempts", "retries" }

t.test("boto3_names_code_operation_and_retries", function()
  local r = sdk_error.parse("[ERROR] ClientError: An error occurred (ServiceUnavailable) when "
    .. "calling the PutItem operation (reached max retries: 4): Service Unavailable")
  t.eq(pick(r, KEYS), { sdk = "boto3", code = "ServiceUnavailable", service = "dynamodb",
                        operation = "PutItem", retries = 4 })
end)

t.test("go_v2_names_service_status_and_attempts", function()
  local r = sdk_error.parse("operation error Secrets Manager: GetSecretValue, exceeded maximum "
    .. "number of attempts, 3, https response error StatusCode: 500, RequestID: abc-1, "
    .. "api error InternalServiceError: try again")
  t.eq(pick(r, KEYS), { sdk = "go", code = "InternalServiceError", status = 500,
                        service = "secretsmanager", operation = "GetSecretValue", attempts = 3 })
end)

t.test("java_v1_and_v2_wordings", function()
  local v1 = sdk_error.parse("com.amazonaws.AmazonServiceException: busy (Service: "
    .. "AmazonDynamoDBv2; Status Code: 503; Error Code: ServiceUnavailable; Request ID: X)")
  t.eq(pick(v1, KEYS), { sdk = "java-v1", code = "ServiceUnavailable", status = 503,
                         service = "dynamodb" })
  local v2 = sdk_error.parse("software.amazon.awssdk.services.dynamodb.model.DynamoDbException: "
    .. "Service Unavailable (Service: DynamoDb, Status Code: 503, Request ID: Y)\n"
    .. "\tat software.amazon.awssdk.services.dynamodb.DefaultDynamoDbClient.putItem(X.java:1)")
  t.eq(pick(v2, KEYS), { sdk = "java-v2", status = 503, service = "dynamodb",
                         operation = "PutItem" })
end)

t.test("javascript_v3_and_v2_wordings", function()
  local v3 = sdk_error.parse('ERROR Invoke Error {"errorType":"InternalError","$metadata":'
    .. '{"httpStatusCode":500,"attempts":3}} at de_PutObjectCommand (/var/task/node_modules/'
    .. '@aws-sdk/client-s3/dist-cjs/index.js:1:1)')
  t.eq(pick(v3, KEYS), { sdk = "js-v3", code = "InternalError", status = 500, service = "s3",
                         operation = "PutObject", attempts = 3 })
  local v2 = sdk_error.parse("code: 'ServiceUnavailable', statusCode: 503, retryable: true")
  t.eq(pick(v2, KEYS), { sdk = "js-v2", code = "ServiceUnavailable", status = 503 })
end)

t.test("dotnet_names_the_service_from_the_namespace", function()
  local r = sdk_error.parse("Amazon.S3.Model.SlowDownException: Please reduce your request rate")
  t.eq(pick(r, KEYS), { sdk = "dotnet", code = "SlowDownException", service = "s3" })
end)

t.test("phrases_without_an_sdk_and_lines_that_are_no_error", function()
  t.eq(pick(sdk_error.parse("ERROR Rate exceeded"), KEYS), { sdk = "unknown", code = "Rate exceeded" })
  t.eq(sdk_error.parse("START RequestId: 1 Version: $LATEST"), nil)
  t.eq(sdk_error.worth_parsing("START RequestId: 1"), false)
  t.eq(sdk_error.worth_parsing("api error ServiceUnavailable"), true)
end)

t.test("error_line_finds_the_sdk_line_below_a_traceback", function()
  t.eq(sdk_error.error_line("Traceback (most recent call last):\n  File x\n"
    .. "  botocore.errorfactory.InternalServerError: An error occurred (InternalServerError) "
    .. "when calling the Query operation"), "botocore.errorfactory.InternalServerError: An "
    .. "error occurred (InternalServerError) when calling the Query operation")
  t.eq(sdk_error.error_line("plain line"), nil)
end)

return t.run()
