/* test_protocol_parse.c — reading responses beyond what botocore's vectors cover: what
 * runbook keeps that botocore drops (unknown elements and keys), empty and odd bodies,
 * error precedence between headers and bodies, one-line messages, and malformed 2xx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model.h"
#include "protocol.h"

#include <string.h>

#define RID "3f9c1a2b-4d5e-6f70-8192-a3b4c5d6e7f8"

static cJSON *parse_ok(const char *service, const char *op, int status,
                       const rb_headers *h, const char *body) {
  cJSON *out = NULL;
  rb_error err;
  if (rb_protocol_parse(service, op, status, h, body, strlen(body), &out, &err) != 0)
    fail_msg("%s %s: %s: %s", service, op, err.code, err.message);
  assert_non_null(out);
  return out;
}

static rb_error parse_err(const char *service, const char *op, int status,
                          const rb_headers *h, const char *body) {
  cJSON *out = (cJSON *)1;
  rb_error err;
  assert_int_equal(
      rb_protocol_parse(service, op, status, h, body, strlen(body), &out, &err), -1);
  assert_null(out);
  assert_int_equal(err.status, status);
  assert_int_equal(err.retryable, 0);
  return err;
}

static void expect_json(const cJSON *got, const char *want_text) {
  cJSON *want = cJSON_Parse(want_text);
  assert_non_null(want);
  if (!cJSON_Compare(want, got, 1)) {
    char *g = cJSON_PrintUnformatted(got);
    print_message("want: %s\ngot:  %s\n", want_text, g);
    cJSON_free(g);
    cJSON_Delete(want);
    fail();
  }
  cJSON_Delete(want);
}

/* ---- success bodies ---- */

static void unknown_xml_elements_are_kept(void **state) {
  (void)state;
  cJSON *out = parse_ok("sts", "GetCallerIdentity", 200, NULL,
                        "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                        "<Account>123456789012</Account><NewField>x</NewField>"
                        "<NewBlock><A>1</A><B/></NewBlock></GetCallerIdentityResult>"
                        "</GetCallerIdentityResponse>");
  expect_json(out, "{\"Account\":\"123456789012\",\"NewField\":\"x\","
                   "\"NewBlock\":{\"A\":\"1\",\"B\":\"\"}}");
  cJSON_Delete(out);
}

static void ec2_request_id_goes_to_response_metadata_only(void **state) {
  (void)state;
  cJSON *out =
      parse_ok("ec2", "DescribeSubnets", 200, NULL,
               "<DescribeSubnetsResponse><requestId>" RID "</requestId>"
               "<subnetSet/><nextToken>t1</nextToken></DescribeSubnetsResponse>");
  expect_json(out, "{\"Subnets\":[],\"NextToken\":\"t1\","
                   "\"ResponseMetadata\":{\"RequestId\":\"" RID "\"}}");
  cJSON_Delete(out);
}

static void operation_without_output_reads_only_the_request_id(void **state) {
  (void)state;
  cJSON *out = parse_ok("iam", "DeleteRolePolicy", 200, NULL,
                        "<DeleteRolePolicyResponse><ResponseMetadata><RequestId>" RID
                        "</RequestId></ResponseMetadata></DeleteRolePolicyResponse>");
  expect_json(out, "{\"ResponseMetadata\":{\"RequestId\":\"" RID "\"}}");
  cJSON_Delete(out);
  out = parse_ok("iam", "DeleteRolePolicy", 200, NULL, "");
  expect_json(out, "{}");
  cJSON_Delete(out);
}

static void query_request_id_falls_back_to_the_header(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(rb_headers_add(&h, "x-amzn-RequestId", RID), 0);
  cJSON *out =
      parse_ok("monitoring", "ListDashboards", 200, &h,
               "<ListDashboardsResponse><ListDashboardsResult><DashboardEntries/>"
               "</ListDashboardsResult></ListDashboardsResponse>");
  expect_json(out, "{\"DashboardEntries\":[],\"ResponseMetadata\":{\"RequestId\":\"" RID
                   "\"}}");
  cJSON_Delete(out);
  rb_headers_free(&h);
}

static void xml_number_that_is_not_a_number_stays_text(void **state) {
  (void)state;
  cJSON *out =
      parse_ok("ec2", "DescribeSubnets", 200, NULL,
               "<DescribeSubnetsResponse><subnetSet><item><availableIpAddressCount>"
               "lots</availableIpAddressCount><mapPublicIpOnLaunch>TRUE"
               "</mapPublicIpOnLaunch></item></subnetSet></DescribeSubnetsResponse>");
  expect_json(out, "{\"Subnets\":[{\"AvailableIpAddressCount\":\"lots\","
                   "\"MapPublicIpOnLaunch\":false}]}");
  cJSON_Delete(out);
}

static void unknown_json_keys_are_kept_and_null_members_dropped(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(rb_headers_add(&h, "X-Amzn-RequestId", RID), 0);
  cJSON *out = parse_ok("apigatewayv2", "GetApi", 200, &h,
                        "{\"apiId\":\"x1\",\"name\":null,\"brandNew\":{\"k\":[1]}}");
  expect_json(out, "{\"ApiId\":\"x1\",\"brandNew\":{\"k\":[1]},"
                   "\"ResponseMetadata\":{\"RequestId\":\"" RID "\"}}");
  cJSON_Delete(out);
  rb_headers_free(&h);
}

static void empty_rest_json_body_is_an_empty_result(void **state) {
  (void)state;
  cJSON *out = parse_ok("lambda", "GetFunctionConcurrency", 200, NULL, "  \n");
  expect_json(out, "{}");
  cJSON_Delete(out);
}

static void invoke_reads_status_headers_and_raw_payload(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(rb_headers_add(&h, "x-amz-executed-version", "7"), 0);
  cJSON *out = parse_ok("lambda", "Invoke", 202, &h, "not json at all");
  expect_json(out, "{\"StatusCode\":202,\"ExecutedVersion\":\"7\","
                   "\"Payload\":\"not json at all\"}");
  cJSON_Delete(out);
  rb_headers_free(&h);
}

/* ---- malformed 2xx ---- */

static void json_array_where_an_object_is_expected_is_malformed(void **state) {
  (void)state;
  rb_error err = parse_err("logs", "DescribeLogGroups", 200, NULL, "[1,2]");
  assert_string_equal(err.code, "MalformedResponse");
  assert_string_equal(err.message,
                      "malformed response to logs DescribeLogGroups: expected a "
                      "json object, got another value");
  err = parse_err("lambda", "GetFunction", 200, NULL, "\"text\"");
  assert_string_equal(err.code, "MalformedResponse");
}

static void json_with_trailing_garbage_is_malformed(void **state) {
  (void)state;
  rb_error err =
      parse_err("logs", "DescribeLogGroups", 200, NULL, "{\"logGroups\":[]} x");
  assert_string_equal(
      err.message,
      "malformed response to logs DescribeLogGroups: invalid json at byte 17");
  err = parse_err("logs", "DescribeLogGroups", 200, NULL, "{\"logGroups\":[");
  assert_string_equal(err.code, "MalformedResponse");
}

static void xml_with_doctype_or_empty_body_is_malformed(void **state) {
  (void)state;
  rb_error err =
      parse_err("sts", "GetCallerIdentity", 200, NULL,
                "<!DOCTYPE x [<!ENTITY a \"b\">]><GetCallerIdentityResponse/>");
  assert_string_equal(err.code, "MalformedResponse");
  assert_non_null(strstr(err.message, "document type declarations are not accepted"));
  err = parse_err("sts", "GetCallerIdentity", 200, NULL, "");
  assert_string_equal(err.message,
                      "malformed response to sts GetCallerIdentity: empty body");
}

/* ---- errors ---- */

static void rest_json_header_code_wins_over_body(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(
      rb_headers_add(&h, "X-Amzn-ErrorType", "AccessDeniedException:http://x/"), 0);
  assert_int_equal(rb_headers_add(&h, "x-amzn-RequestId", RID), 0);
  rb_error err = parse_err("lambda", "GetPolicy", 403, &h,
                           "{\"code\":\"Other\",\"Message\":\"User is not authorized\"}");
  assert_string_equal(err.code, "AccessDeniedException");
  assert_string_equal(err.message, "User is not authorized");
  assert_string_equal(err.request_id, RID);
  rb_headers_free(&h);
}

static void json_code_drops_namespace_and_reads_query_error_header(void **state) {
  (void)state;
  rb_error err =
      parse_err("logs", "GetLogEvents", 400, NULL,
                "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
                "\"message\":\"The security token included in the request is "
                "invalid.\"}");
  assert_string_equal(err.code, "UnrecognizedClientException");
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(
      rb_headers_add(&h, "x-amzn-query-error", "AWS.SimpleQueueService.X;Sender"), 0);
  err =
      parse_err("logs", "GetLogEvents", 400, &h, "{\"__type\":\"Y\",\"message\":\"m\"}");
  assert_string_equal(err.code, "AWS.SimpleQueueService.X");
  rb_headers_free(&h);
}

static void error_message_is_one_line(void **state) {
  (void)state;
  rb_error err =
      parse_err("iam", "GetRole", 400, NULL,
                "<ErrorResponse><Error><Code>ValidationError</Code><Message>line one\n"
                "\tline two  </Message></Error><RequestId>r1</RequestId>"
                "</ErrorResponse>");
  assert_string_equal(err.code, "ValidationError");
  assert_string_equal(err.message, "line one line two");
  assert_string_equal(err.request_id, "r1");
}

static void proxy_text_on_4xx_gets_a_status_code(void **state) {
  (void)state;
  rb_error err =
      parse_err("lambda", "ListFunctions", 403, NULL, "Forbidden by proxy\r\n");
  assert_string_equal(err.code, "Forbidden");
  assert_string_equal(err.message,
                      "http 403 (Forbidden) from lambda ListFunctions: Forbidden "
                      "by proxy");
  err =
      parse_err("monitoring", "GetMetricData", 400, NULL, "<html><body>no</body></html>");
  assert_string_equal(err.code, "BadRequest");
  err = parse_err("sts", "GetCallerIdentity", 418, NULL, "");
  assert_string_equal(err.code, "Http418");
  assert_string_equal(err.message,
                      "http 418 from sts GetCallerIdentity with no error details");
}

static void gateway_error_without_code_is_named_by_status(void **state) {
  (void)state;
  rb_error err = parse_err("apigateway", "GetRestApis", 502, NULL,
                           "{\"message\": \"Internal server error\"}");
  assert_string_equal(err.code, "BadGateway");
  assert_string_equal(err.message, "http 502 (Bad Gateway) from apigateway GetRestApis: "
                                   "Internal server error");
  err = parse_err("ec2", "DescribeVpcs", 503, NULL, "  \n<html><body>busy</body></html>");
  assert_string_equal(err.code, "ServiceUnavailable");
  err = parse_err("logs", "DescribeLogGroups", 504, NULL, "");
  assert_string_equal(err.code, "GatewayTimeout");
  err = parse_err("logs", "DescribeLogGroups", 599, NULL, "");
  assert_string_equal(err.code, "InternalError");
}

static void error_without_message_says_where_it_came_from(void **state) {
  (void)state;
  rb_error err = parse_err("logs", "DescribeLogGroups", 400, NULL,
                           "{\"__type\":\"InvalidParameterException\"}");
  assert_string_equal(err.code, "InvalidParameterException");
  assert_string_equal(err.message, "http 400 from logs DescribeLogGroups");
}

static void throttling_429_keeps_the_aws_code(void **state) {
  (void)state;
  rb_headers h = RB_HEADERS_INIT;
  assert_int_equal(rb_headers_add(&h, "x-amzn-ErrorType", "TooManyRequestsException"), 0);
  rb_error err = parse_err("apigatewayv2", "GetApis", 429, &h,
                           "{\"message\":\"Too Many Requests\"}");
  assert_string_equal(err.code, "TooManyRequestsException");
  assert_string_equal(err.message, "Too Many Requests");
  rb_headers_free(&h);
}

static void unknown_operation_fails_parse_too(void **state) {
  (void)state;
  cJSON *out = (cJSON *)1;
  rb_error err;
  assert_int_equal(rb_protocol_parse("lambda", "Nope", 200, NULL, "{}", 2, &out, &err),
                   -1);
  assert_null(out);
  assert_string_equal(err.code, "UnknownOperation");
}

static int teardown(void **state) {
  (void)state;
  rb_model_free_all();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(unknown_xml_elements_are_kept),
      cmocka_unit_test(ec2_request_id_goes_to_response_metadata_only),
      cmocka_unit_test(operation_without_output_reads_only_the_request_id),
      cmocka_unit_test(query_request_id_falls_back_to_the_header),
      cmocka_unit_test(xml_number_that_is_not_a_number_stays_text),
      cmocka_unit_test(unknown_json_keys_are_kept_and_null_members_dropped),
      cmocka_unit_test(empty_rest_json_body_is_an_empty_result),
      cmocka_unit_test(invoke_reads_status_headers_and_raw_payload),
      cmocka_unit_test(json_array_where_an_object_is_expected_is_malformed),
      cmocka_unit_test(json_with_trailing_garbage_is_malformed),
      cmocka_unit_test(xml_with_doctype_or_empty_body_is_malformed),
      cmocka_unit_test(rest_json_header_code_wins_over_body),
      cmocka_unit_test(json_code_drops_namespace_and_reads_query_error_header),
      cmocka_unit_test(error_message_is_one_line),
      cmocka_unit_test(proxy_text_on_4xx_gets_a_status_code),
      cmocka_unit_test(gateway_error_without_code_is_named_by_status),
      cmocka_unit_test(error_without_message_says_where_it_came_from),
      cmocka_unit_test(throttling_429_keeps_the_aws_code),
      cmocka_unit_test(unknown_operation_fails_parse_too),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
