--- Tests of lib.services: service names from operations, SDK spellings, hosts, log lines
--- and environment variable names; the throttling and unavailable error families.
local t = require("testlib")
local services = require("lib.services")

t.test("operation_names_their_service", function()
  t.eq(services.service_for_operation("PutItem"), "dynamodb")
  t.eq(services.service_for_operation("PutRecordBatch"), "firehose")
  t.eq(services.service_for_operation("GetSecretValue"), "secretsmanager")
  t.eq(services.service_for_operation("NoSuchOperation"), nil)
  t.eq(services.service_for_operation(nil), nil)
end)

t.test("sdk_spellings_normalize_to_one_id", function()
  t.eq(services.normalize_service("DynamoDb"), "dynamodb")
  t.eq(services.normalize_service("AmazonDynamoDBv2"), "dynamodb")
  t.eq(services.normalize_service("Amazon S3"), "s3")
  t.eq(services.normalize_service("secrets-manager"), "secretsmanager")
  t.eq(services.normalize_service("CloudWatch"), "monitoring")
  t.eq(services.normalize_service("SFN"), "states")
  t.eq(services.normalize_service(""), nil)
  t.eq(services.normalize_service(nil), nil)
end)

t.test("endpoint_hosts_name_their_service", function()
  t.eq(services.service_from_host("dynamodb.us-east-1.amazonaws.com"), "dynamodb")
  t.eq(services.service_from_host("orders.s3.us-east-1.amazonaws.com"), "s3")
  t.eq(services.service_from_host("sts.amazonaws.com"), "sts")
  t.eq(services.service_from_host("s3.dualstack.eu-west-1.amazonaws.com"), "s3")
  t.eq(services.service_from_host("sqs-fips.us-gov-west-1.amazonaws.com"), "sqs")
  t.eq(services.service_from_host("db.cluster-x.us-east-1.rds.amazonaws.com"), "rds")
  t.eq(services.service_from_host("example.com"), nil)
end)

t.test("hosts_in_a_line_are_listed_once", function()
  t.eq(services.hosts_in("Connect to SQS.us-east-1.amazonaws.com:443 failed; retry "
    .. "https://sqs.us-east-1.amazonaws.com/123/q"), { "sqs.us-east-1.amazonaws.com" })
end)

t.test("services_in_reads_every_sdk_wording", function()
  t.eq(services.services_in("An error occurred (ServiceUnavailable) when calling the PutItem "
    .. "operation"), { dynamodb = true })
  t.eq(services.services_in("operation error Secrets Manager: GetSecretValue, https response"),
    { secretsmanager = true })
  t.eq(services.services_in("Service Unavailable (Service: DynamoDb, Status Code: 503,"),
    { dynamodb = true })
  t.eq(services.services_in("at /var/task/node_modules/@aws-sdk/client-sns/dist"), { sns = true })
  t.eq(services.services_in("nothing to see"), {})
end)

t.test("environment_variable_names_hint_at_services", function()
  t.eq(services.service_for_env_name("ORDERS_TABLE"), "dynamodb")
  t.eq(services.service_for_env_name("audit_delivery_stream"), "firehose")
  t.eq(services.service_for_env_name("LOG_LEVEL"), nil)
end)

t.test("services_called_names_the_first_evidence_and_skips_logs", function()
  local events = {
    { iso = "2026-01-01T00:00:00Z", message = "PutLogEvents to logs.us-east-1.amazonaws.com" },
    { iso = "2026-01-01T00:00:01Z", message = "Connect to s3.us-east-1.amazonaws.com:443\nmore" },
  }
  local got = services.services_called(events, { "ORDERS_TABLE", "LOG_LEVEL" })
  t.eq(got, {
    { service = "dynamodb", why = { "environment variable ORDERS_TABLE" } },
    { service = "s3", why = { "log line at 2026-01-01T00:00:01Z: Connect to "
      .. "s3.us-east-1.amazonaws.com:443" } },
  })
end)

t.test("error_kind_puts_codes_in_one_family_each", function()
  t.eq({ services.error_kind("SlowDown") }, { "throttled", 503 })
  t.eq({ services.error_kind("botocore.errorfactory.ThrottlingException") }, { "throttled", 400 })
  t.eq({ services.error_kind("ServiceUnavailable") }, { "unavailable", 503 })
  t.eq({ services.error_kind("InternalServiceError") }, { "unavailable", 500 })
  t.eq({ services.error_kind("Rate exceeded") }, { "throttled" })
  t.eq({ services.error_kind("Service Unavailable") }, { "unavailable", 503 })
  t.eq({ services.error_kind(nil, 429) }, { "throttled" })
  t.eq({ services.error_kind(nil, 502) }, { "unavailable" })
  t.eq(services.error_kind("AccessDeniedException", 400), nil)
  t.eq(services.error_kind(nil, nil), nil)
end)

t.test("no_code_is_both_throttling_and_unavailable", function()
  for code in pairs(services.THROTTLING) do
    t.eq(services.UNAVAILABLE[code], nil, code)
  end
end)

t.test("throttling_in_finds_whole_codes_and_phrases", function()
  t.eq(services.throttling_in("upload failed SlowDown: Please reduce your request rate."),
    "SlowDown")
  t.eq(services.throttling_in("botocore.exceptions.ClientError: An error occurred "
    .. "(ThrottlingException) when calling the Publish operation"), "ThrottlingException")
  t.eq(services.throttling_in("ERROR Rate exceeded"), "Rate exceeded")
  -- the families the throttle step used to miss
  t.eq(services.throttling_in("LimitExceededException: Rate limit exceeded for shard"),
    "LimitExceededException")
  t.eq(services.throttling_in("RequestThrottled (400)"), "RequestThrottled")
  t.eq(services.throttling_in("SlowDownload finished"), nil)
  t.eq(services.throttling_in("all good"), nil)
  t.eq(services.throttling_in(nil), nil)
end)

return t.run()
