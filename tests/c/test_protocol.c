/* test_protocol.c — building requests: the exact bytes of one request per protocol,
 * sorted and reproducible output, timestamps and encodings, and every validation error a
 * script can trigger (unknown service/operation/parameter, missing and mistyped values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model.h"
#include "protocol.h"

#include <string.h>

typedef struct built {
  rb_proto_request r;
  rb_error err;
  int rc;
} built;

static built build(const char *service, const char *op, const char *params_json) {
  built b;
  cJSON *params = params_json ? cJSON_Parse(params_json) : NULL;
  if (params_json && !params)
    fail_msg("bad test json: %s", params_json);
  memset(&b.err, 0, sizeof b.err);
  b.rc = rb_protocol_build(service, op, params, &b.r, &b.err);
  cJSON_Delete(params);
  return b;
}

static built build_ok(const char *service, const char *op, const char *params_json) {
  built b = build(service, op, params_json);
  if (b.rc != 0)
    fail_msg("%s %s: %s: %s", service, op, b.err.code, b.err.message);
  return b;
}

static void build_fails(const char *service, const char *op, const char *params_json,
                        const char *code, const char *message) {
  built b = build(service, op, params_json);
  assert_int_equal(b.rc, -1);
  assert_string_equal(b.err.code, code);
  assert_string_equal(b.err.message, message);
  assert_null(b.r.method);
  assert_int_equal(b.r.body.len, 0);
  assert_int_equal(b.r.headers.count, 0);
}

static const char *body(built *b) {
  return rb_buf_cstr(&b->r.body);
}

/* ---- one exact request per protocol ---- */

static void rest_json_get_puts_labels_in_path_and_members_in_query(void **state) {
  (void)state;
  built b = build_ok("lambda", "GetFunctionConfiguration",
                     "{\"FunctionName\":\"orders-api\",\"Qualifier\":\"live\"}");
  assert_string_equal(b.r.method, "GET");
  assert_string_equal(rb_buf_cstr(&b.r.path),
                      "/2015-03-31/functions/orders-api/configuration");
  assert_string_equal(rb_buf_cstr(&b.r.query), "Qualifier=live");
  assert_string_equal(body(&b), "");
  assert_int_equal(b.r.headers.count, 0);
  rb_proto_request_free(&b.r);
}

static void rest_json_body_is_compact_with_sorted_keys(void **state) {
  (void)state;
  built b = build_ok("lambda", "UpdateFunctionConfiguration",
                     "{\"Timeout\":30,\"FunctionName\":\"orders-api\",\"MemorySize\":512,"
                     "\"Environment\":{\"Variables\":{\"b\":\"2\",\"a\":\"1\"}}}");
  assert_string_equal(b.r.method, "PUT");
  assert_string_equal(rb_buf_cstr(&b.r.path),
                      "/2015-03-31/functions/orders-api/configuration");
  assert_string_equal(body(&b),
                      "{\"Environment\":{\"Variables\":{\"a\":\"1\",\"b\":\"2\"}},"
                      "\"MemorySize\":512,\"Timeout\":30}");
  assert_string_equal(rb_headers_get(&b.r.headers, "Content-Type"), "application/json");
  rb_proto_request_free(&b.r);
}

static void rest_json_query_list_repeats_the_key(void **state) {
  (void)state;
  built b =
      build_ok("apigateway", "GetResources",
               "{\"restApiId\":\"a1b2\",\"embed\":[\"methods\",\"x y\"],\"limit\":5}");
  assert_string_equal(rb_buf_cstr(&b.r.path), "/restapis/a1b2/resources");
  assert_string_equal(rb_buf_cstr(&b.r.query), "embed=methods&embed=x%20y&limit=5");
  assert_string_equal(rb_headers_get(&b.r.headers, "Accept"), "application/json");
  rb_proto_request_free(&b.r);
}

static void json_protocol_posts_target_and_body(void **state) {
  (void)state;
  built b =
      build_ok("logs", "FilterLogEvents",
               "{\"logGroupName\":\"/aws/lambda/orders-api\",\"startTime\":1704067200000,"
               "\"filterPattern\":\"Task timed out\",\"limit\":100}");
  assert_string_equal(b.r.method, "POST");
  assert_string_equal(rb_buf_cstr(&b.r.path), "/");
  assert_string_equal(rb_buf_cstr(&b.r.query), "");
  assert_string_equal(rb_headers_get(&b.r.headers, "X-Amz-Target"),
                      "Logs_20140328.FilterLogEvents");
  assert_string_equal(rb_headers_get(&b.r.headers, "Content-Type"),
                      "application/x-amz-json-1.1");
  assert_string_equal(body(&b), "{\"filterPattern\":\"Task timed out\",\"limit\":100,"
                                "\"logGroupName\":\"/aws/lambda/orders-api\","
                                "\"startTime\":1704067200000}");
  rb_proto_request_free(&b.r);
}

static void json_protocol_without_params_sends_empty_object(void **state) {
  (void)state;
  built b = build_ok("logs", "DescribeLogGroups", NULL);
  assert_string_equal(body(&b), "{}");
  rb_proto_request_free(&b.r);
}

static void query_protocol_flattens_members_lists_and_timestamps(void **state) {
  (void)state;
  built b =
      build_ok("monitoring", "GetMetricStatistics",
               "{\"Namespace\":\"AWS/Lambda\",\"MetricName\":\"Errors\","
               "\"Dimensions\":[{\"Name\":\"FunctionName\",\"Value\":\"orders-api\"}],"
               "\"StartTime\":1704067200,\"EndTime\":\"2024-01-01T01:00:00Z\","
               "\"Period\":300,\"Statistics\":[\"Sum\"]}");
  assert_string_equal(b.r.method, "POST");
  assert_string_equal(rb_buf_cstr(&b.r.path), "/");
  assert_string_equal(rb_headers_get(&b.r.headers, "Content-Type"),
                      "application/x-www-form-urlencoded; charset=utf-8");
  assert_string_equal(body(&b),
                      "Action=GetMetricStatistics&Version=2010-08-01"
                      "&Dimensions.member.1.Name=FunctionName"
                      "&Dimensions.member.1.Value=orders-api"
                      "&EndTime=2024-01-01T01%3A00%3A00Z&MetricName=Errors"
                      "&Namespace=AWS%2FLambda&Period=300"
                      "&StartTime=2024-01-01T00%3A00%3A00Z&Statistics.member.1=Sum");
  rb_proto_request_free(&b.r);
}

static void query_protocol_iam_and_sts(void **state) {
  (void)state;
  built b = build_ok("iam", "ListAttachedRolePolicies",
                     "{\"RoleName\":\"orders-api-role\",\"MaxItems\":100}");
  assert_string_equal(body(&b), "Action=ListAttachedRolePolicies&Version=2010-05-08"
                                "&MaxItems=100&RoleName=orders-api-role");
  rb_proto_request_free(&b.r);
  b = build_ok("sts", "AssumeRole",
               "{\"RoleArn\":\"arn:aws:iam::123456789012:role/r\",\"RoleSessionName\":"
               "\"runbook triage\",\"DurationSeconds\":900}");
  assert_string_equal(body(&b), "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900"
                                "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
                                "&RoleSessionName=runbook+triage");
  rb_proto_request_free(&b.r);
}

static void ec2_lists_have_no_member_and_names_are_capitalized(void **state) {
  (void)state;
  built b = build_ok("ec2", "DescribeSubnets",
                     "{\"SubnetIds\":[\"subnet-1\",\"subnet-2\"],\"DryRun\":false,"
                     "\"Filters\":[{\"Name\":\"vpc-id\",\"Values\":[\"vpc-1\"]}]}");
  assert_string_equal(body(&b), "Action=DescribeSubnets&Version=2016-11-15&DryRun=false"
                                "&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1"
                                "&SubnetId.1=subnet-1&SubnetId.2=subnet-2");
  rb_proto_request_free(&b.r);
}

/* ---- encodings and values ---- */

static void uri_label_escapes_slash_and_colon(void **state) {
  (void)state;
  built b = build_ok("lambda", "GetPolicy", "{\"FunctionName\":\"a b/c:d~e\"}");
  assert_string_equal(rb_buf_cstr(&b.r.path),
                      "/2015-03-31/functions/a%20b%2Fc%3Ad~e/policy");
  rb_proto_request_free(&b.r);
}

static void literal_query_in_uri_comes_first(void **state) {
  (void)state;
  built b = build_ok("lambda", "ListProvisionedConcurrencyConfigs",
                     "{\"FunctionName\":\"f\",\"Marker\":\"a+b\"}");
  assert_string_equal(rb_buf_cstr(&b.r.path),
                      "/2019-09-30/functions/f/provisioned-concurrency");
  assert_string_equal(rb_buf_cstr(&b.r.query), "List=ALL&Marker=a%2Bb");
  rb_proto_request_free(&b.r);
}

static void payload_blob_is_sent_raw_without_content_type(void **state) {
  (void)state;
  built b = build_ok("lambda", "Invoke",
                     "{\"FunctionName\":\"f\",\"Payload\":\"{\\\"k\\\": 1}\","
                     "\"InvocationType\":\"RequestResponse\",\"LogType\":\"Tail\"}");
  assert_string_equal(body(&b), "{\"k\": 1}");
  assert_null(rb_headers_get(&b.r.headers, "Content-Type"));
  assert_string_equal(rb_headers_get(&b.r.headers, "X-Amz-Invocation-Type"),
                      "RequestResponse");
  assert_string_equal(rb_headers_get(&b.r.headers, "X-Amz-Log-Type"), "Tail");
  rb_proto_request_free(&b.r);
}

static void post_with_only_located_members_sends_empty_json(void **state) {
  (void)state;
  built b = build_ok("lambda", "UpdateFunctionConfiguration", "{\"FunctionName\":\"f\"}");
  assert_string_equal(body(&b), "{}");
  assert_string_equal(rb_headers_get(&b.r.headers, "Content-Type"), "application/json");
  rb_proto_request_free(&b.r);
}

static void location_names_rename_json_members(void **state) {
  (void)state;
  built b = build_ok("apigatewayv2", "UpdateApi",
                     "{\"ApiId\":\"x1\",\"Name\":\"orders\",\"CorsConfiguration\":"
                     "{\"MaxAge\":300,\"AllowOrigins\":[\"*\"]}}");
  assert_string_equal(rb_buf_cstr(&b.r.path), "/v2/apis/x1");
  assert_string_equal(body(&b), "{\"corsConfiguration\":{\"allowOrigins\":[\"*\"],"
                                "\"maxAge\":300},\"name\":\"orders\"}");
  rb_proto_request_free(&b.r);
}

static void json_timestamps_become_epoch_seconds(void **state) {
  (void)state;
  built b = build_ok("lambda", "CreateEventSourceMapping",
                     "{\"FunctionName\":\"f\",\"StartingPositionTimestamp\":"
                     "\"2024-01-01T02:00:00.750+02:00\"}");
  assert_string_equal(
      body(&b), "{\"FunctionName\":\"f\",\"StartingPositionTimestamp\":1704067200}");
  rb_proto_request_free(&b.r);
}

static void query_timestamps_keep_fractions_and_convert_zones(void **state) {
  (void)state;
  built b = build_ok(
      "monitoring", "GetMetricStatistics",
      "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"Period\":60,"
      "\"StartTime\":\"2024-03-01T00:30:00.25-01:00\",\"EndTime\":1704067200.5}");
  assert_non_null(strstr(body(&b), "&StartTime=2024-03-01T01%3A30%3A00.250000Z"));
  assert_non_null(strstr(body(&b), "&EndTime=2024-01-01T00%3A00%3A00.500000Z"));
  rb_proto_request_free(&b.r);
}

static void doubles_use_the_shortest_exact_text(void **state) {
  (void)state;
  built b =
      build_ok("monitoring", "PutMetricAlarm",
               "{\"AlarmName\":\"a\",\"EvaluationPeriods\":1,\"ComparisonOperator\":"
               "\"GreaterThanThreshold\",\"Threshold\":0.1}");
  assert_non_null(strstr(body(&b), "&Threshold=0.1"));
  rb_proto_request_free(&b.r);
}

static void empty_query_list_is_sent_empty_and_ec2_omits_it(void **state) {
  (void)state;
  built b = build_ok("monitoring", "DescribeAlarms", "{\"AlarmNames\":{}}");
  assert_string_equal(body(&b), "Action=DescribeAlarms&Version=2010-08-01&AlarmNames=");
  rb_proto_request_free(&b.r);
  b = build_ok("ec2", "DescribeSubnets", "{\"SubnetIds\":[]}");
  assert_string_equal(body(&b), "Action=DescribeSubnets&Version=2016-11-15");
  rb_proto_request_free(&b.r);
}

static void null_members_are_left_out(void **state) {
  (void)state;
  built b = build_ok("lambda", "ListFunctions", "{\"Marker\":null,\"MaxItems\":10}");
  assert_string_equal(rb_buf_cstr(&b.r.query), "MaxItems=10");
  rb_proto_request_free(&b.r);
}

static void requests_are_reproducible(void **state) {
  (void)state;
  const char *p = "{\"VpcConfig\":{\"SubnetIds\":[\"s2\",\"s1\"]},\"FunctionName\":\"f\","
                  "\"Description\":\"d\"}";
  built a = build_ok("lambda", "UpdateFunctionConfiguration", p);
  built b = build_ok("lambda", "UpdateFunctionConfiguration", p);
  assert_string_equal(body(&a), body(&b));
  assert_string_equal(body(&a), "{\"Description\":\"d\",\"VpcConfig\":{\"SubnetIds\":"
                                "[\"s2\",\"s1\"]}}");
  rb_proto_request_free(&a.r);
  rb_proto_request_free(&b.r);
}

static void cloudwatch_alias_builds_monitoring_requests(void **state) {
  (void)state;
  built b = build_ok("cloudwatch", "ListDashboards", NULL);
  assert_string_equal(body(&b), "Action=ListDashboards&Version=2010-08-01");
  rb_proto_request_free(&b.r);
}

/* ---- validation ---- */

static void missing_required_parameter_is_named(void **state) {
  (void)state;
  build_fails(
      "lambda", "GetFunctionConfiguration", "{}", "InvalidParameter",
      "missing required parameter 'FunctionName' for lambda GetFunctionConfiguration");
  build_fails(
      "lambda", "GetFunctionConfiguration", NULL, "InvalidParameter",
      "missing required parameter 'FunctionName' for lambda GetFunctionConfiguration");
  build_fails(
      "lambda", "GetFunctionConfiguration", "{\"FunctionName\":null}", "InvalidParameter",
      "missing required parameter 'FunctionName' for lambda GetFunctionConfiguration");
}

static void missing_nested_parameter_names_its_path(void **state) {
  (void)state;
  build_fails(
      "monitoring", "GetMetricStatistics",
      "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"Period\":60,\"StartTime\":1,"
      "\"EndTime\":2,\"Dimensions\":[{\"Name\":\"a\",\"Value\":\"b\"},{\"Name\":\"c\"}]}",
      "InvalidParameter",
      "missing required parameter 'Dimensions[1].Value' for monitoring "
      "GetMetricStatistics");
}

static void unknown_parameter_gets_a_suggestion(void **state) {
  (void)state;
  build_fails("lambda", "GetFunctionConfiguration",
              "{\"FunctionName\":\"f\",\"Qualifer\":\"1\"}", "InvalidParameter",
              "unknown parameter 'Qualifer' for lambda GetFunctionConfiguration (did you "
              "mean Qualifier?)");
  build_fails(
      "ec2", "DescribeSubnets", "{\"Filters\":[{\"Name\":\"a\",\"Valeus\":[]}]}",
      "InvalidParameter",
      "unknown parameter 'Filters[0].Valeus' for ec2 DescribeSubnets (did you mean "
      "Values?)");
  build_fails("sts", "GetCallerIdentity", "{\"Zzz\":1}", "InvalidParameter",
              "unknown parameter 'Zzz' for sts GetCallerIdentity");
}

static void wrong_types_are_refused(void **state) {
  (void)state;
  build_fails(
      "lambda", "UpdateFunctionConfiguration",
      "{\"FunctionName\":\"f\",\"Environment\":\"A=1\"}", "InvalidParameter",
      "invalid type for parameter 'Environment' for lambda UpdateFunctionConfiguration: "
      "expected object, got string");
  build_fails("lambda", "ListFunctions", "{\"MaxItems\":\"10\"}", "InvalidParameter",
              "invalid type for parameter 'MaxItems' for lambda ListFunctions: expected "
              "integer, got string");
  build_fails("lambda", "ListFunctions", "{\"MaxItems\":1.5}", "InvalidParameter",
              "invalid type for parameter 'MaxItems' for lambda ListFunctions: expected "
              "integer, got number");
  build_fails("ec2", "DescribeSubnets", "{\"SubnetIds\":\"subnet-1\"}",
              "InvalidParameter",
              "invalid type for parameter 'SubnetIds' for ec2 DescribeSubnets: expected "
              "array, got string");
  build_fails("ec2", "DescribeSubnets", "{\"DryRun\":\"true\"}", "InvalidParameter",
              "invalid type for parameter 'DryRun' for ec2 DescribeSubnets: expected "
              "boolean, got string");
  build_fails(
      "ec2", "DescribeSubnets", "{\"SubnetIds\":[7]}", "InvalidParameter",
      "invalid type for parameter 'SubnetIds[0]' for ec2 DescribeSubnets: expected "
      "string, got number");
  build_fails("logs", "DescribeLogGroups", "[1]", "InvalidParameter",
              "parameters for logs DescribeLogGroups must be an object, got array");
}

static void unreadable_timestamp_is_refused(void **state) {
  (void)state;
  build_fails(
      "monitoring", "GetMetricStatistics",
      "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"Period\":60,\"StartTime\":"
      "\"yesterday\",\"EndTime\":2}",
      "InvalidParameter",
      "invalid timestamp for parameter 'StartTime' for monitoring GetMetricStatistics: "
      "expected epoch seconds or ISO 8601 text (2024-01-31T12:00:00Z)");
  build_fails(
      "monitoring", "GetMetricStatistics",
      "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"Period\":60,\"StartTime\":"
      "\"2024-13-01T00:00:00Z\",\"EndTime\":2}",
      "InvalidParameter",
      "invalid timestamp for parameter 'StartTime' for monitoring GetMetricStatistics: "
      "expected epoch seconds or ISO 8601 text (2024-01-31T12:00:00Z)");
}

static void empty_uri_label_is_refused(void **state) {
  (void)state;
  build_fails(
      "lambda", "GetFunction", "{\"FunctionName\":\"\"}", "InvalidParameter",
      "invalid value for parameter 'FunctionName' for lambda GetFunction: must not "
      "be empty");
}

static void header_values_with_line_breaks_are_refused(void **state) {
  (void)state;
  build_fails(
      "lambda", "Invoke",
      "{\"FunctionName\":\"f\",\"ClientContext\":\"e30=\\r\\nX-Evil: 1\"}",
      "InvalidParameter",
      "invalid value for parameter 'ClientContext' for lambda Invoke: a header must "
      "not contain line breaks");
}

static void unknown_service_and_operation_fail_before_building(void **state) {
  (void)state;
  build_fails("lambda", "GetFunctionConfig", "{}", "UnknownOperation",
              "unknown operation 'GetFunctionConfig' for service 'lambda' (did you mean "
              "GetFunctionConfiguration?)");
  build_fails("s3", "ListBuckets", "{}", "UnknownService", "unknown service 's3'");
}

static void validate_alone_checks_without_building(void **state) {
  (void)state;
  cJSON *p = cJSON_Parse("{\"RoleName\":\"r\"}");
  rb_error err;
  assert_int_equal(rb_protocol_validate("iam", "GetRole", p, &err), 0);
  assert_int_equal(rb_protocol_validate("iam", "GetRole", NULL, &err), -1);
  assert_string_equal(err.message,
                      "missing required parameter 'RoleName' for iam GetRole");
  cJSON_Delete(p);
}

static int teardown(void **state) {
  (void)state;
  rb_model_free_all();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rest_json_get_puts_labels_in_path_and_members_in_query),
      cmocka_unit_test(rest_json_body_is_compact_with_sorted_keys),
      cmocka_unit_test(rest_json_query_list_repeats_the_key),
      cmocka_unit_test(json_protocol_posts_target_and_body),
      cmocka_unit_test(json_protocol_without_params_sends_empty_object),
      cmocka_unit_test(query_protocol_flattens_members_lists_and_timestamps),
      cmocka_unit_test(query_protocol_iam_and_sts),
      cmocka_unit_test(ec2_lists_have_no_member_and_names_are_capitalized),
      cmocka_unit_test(uri_label_escapes_slash_and_colon),
      cmocka_unit_test(literal_query_in_uri_comes_first),
      cmocka_unit_test(payload_blob_is_sent_raw_without_content_type),
      cmocka_unit_test(post_with_only_located_members_sends_empty_json),
      cmocka_unit_test(location_names_rename_json_members),
      cmocka_unit_test(json_timestamps_become_epoch_seconds),
      cmocka_unit_test(query_timestamps_keep_fractions_and_convert_zones),
      cmocka_unit_test(doubles_use_the_shortest_exact_text),
      cmocka_unit_test(empty_query_list_is_sent_empty_and_ec2_omits_it),
      cmocka_unit_test(null_members_are_left_out),
      cmocka_unit_test(requests_are_reproducible),
      cmocka_unit_test(cloudwatch_alias_builds_monitoring_requests),
      cmocka_unit_test(missing_required_parameter_is_named),
      cmocka_unit_test(missing_nested_parameter_names_its_path),
      cmocka_unit_test(unknown_parameter_gets_a_suggestion),
      cmocka_unit_test(wrong_types_are_refused),
      cmocka_unit_test(unreadable_timestamp_is_refused),
      cmocka_unit_test(empty_uri_label_is_refused),
      cmocka_unit_test(header_values_with_line_breaks_are_refused),
      cmocka_unit_test(unknown_service_and_operation_fail_before_building),
      cmocka_unit_test(validate_alone_checks_without_building),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
