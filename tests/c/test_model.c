/* test_model.c — the embedded service models: metadata per service, operation lookup,
 * paginators, shapes, name suggestions, the cache, and the read/write classification the
 * core relies on to refuse writes during diagnosis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model.h"

#include <string.h>

static const rb_model *load(const char *service) {
  rb_error err;
  const rb_model *m = rb_model_load(service, &err);
  if (!m)
    fail_msg("cannot load '%s': %s: %s", service, err.code, err.message);
  return m;
}

static rb_operation op_of(const char *service, const char *name) {
  rb_operation op;
  rb_error err;
  if (rb_model_find(service, name, NULL, &op, &err) != 0)
    fail_msg("%s %s: %s: %s", service, name, err.code, err.message);
  return op;
}

static void every_service_loads_with_its_protocol(void **state) {
  (void)state;
  static const struct {
    const char *service;
    rb_protocol_kind protocol;
    const char *signing, *prefix, *id, *version;
  } cases[] = {
      {"lambda", RB_PROTOCOL_REST_JSON, "lambda", "lambda", "Lambda", "2015-03-31"},
      {"iam", RB_PROTOCOL_QUERY, "iam", "iam", "IAM", "2010-05-08"},
      {"sts", RB_PROTOCOL_QUERY, "sts", "sts", "STS", "2011-06-15"},
      {"logs", RB_PROTOCOL_JSON, "logs", "logs", "CloudWatch Logs", "2014-03-28"},
      {"monitoring", RB_PROTOCOL_QUERY, "monitoring", "monitoring", "CloudWatch",
       "2010-08-01"},
      {"ec2", RB_PROTOCOL_EC2, "ec2", "ec2", "EC2", "2016-11-15"},
      {"apigateway", RB_PROTOCOL_REST_JSON, "apigateway", "apigateway", "API Gateway",
       "2015-07-09"},
      {"apigatewayv2", RB_PROTOCOL_REST_JSON, "apigateway", "apigateway", "ApiGatewayV2",
       "2018-11-29"},
      {"xray", RB_PROTOCOL_REST_JSON, "xray", "xray", "XRay", "2016-04-12"},
      {"cloudtrail", RB_PROTOCOL_JSON, "cloudtrail", "cloudtrail", "CloudTrail",
       "2013-11-01"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const rb_model_meta *m = rb_model_metadata(load(cases[i].service));
    assert_string_equal(m->service, cases[i].service);
    assert_int_equal(m->protocol, cases[i].protocol);
    assert_string_equal(m->signing_name, cases[i].signing);
    assert_string_equal(m->endpoint_prefix, cases[i].prefix);
    assert_string_equal(m->service_id, cases[i].id);
    assert_string_equal(m->api_version, cases[i].version);
  }
}

static void json_and_global_metadata_is_kept(void **state) {
  (void)state;
  const rb_model_meta *logs = rb_model_metadata(load("logs"));
  assert_string_equal(logs->target_prefix, "Logs_20140328");
  assert_string_equal(logs->json_version, "1.1");
  assert_string_equal(logs->protocol_name, "json");
  const rb_model_meta *iam = rb_model_metadata(load("iam"));
  assert_string_equal(iam->global_endpoint, "iam.amazonaws.com");
  assert_null(iam->target_prefix);
  assert_null(rb_model_metadata(load("lambda"))->global_endpoint);
  const rb_model_meta *trail = rb_model_metadata(load("cloudtrail"));
  assert_string_equal(trail->target_prefix,
                      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101");
  assert_null(trail->global_endpoint);
  assert_null(rb_model_metadata(load("xray"))->global_endpoint);
}

static void cloudwatch_is_an_alias_of_monitoring(void **state) {
  (void)state;
  const rb_model *a = load("cloudwatch"), *b = load("monitoring");
  assert_ptr_equal(a, b);
  assert_string_equal(rb_model_metadata(a)->service, "monitoring");
  assert_int_equal(rb_model_is_write("cloudwatch", "GetMetricStatistics", NULL), 0);
}

static void embedded_service_names_are_listed(void **state) {
  (void)state;
  size_t n = 0;
  int lambda = 0, quotas = 0;
  for (; rb_model_service_name(n); n++) {
    lambda |= strcmp(rb_model_service_name(n), "lambda") == 0;
    quotas |= strcmp(rb_model_service_name(n), "service-quotas") == 0;
  }
  assert_int_equal(n, 12);
  assert_true(lambda);
  assert_true(quotas);
  const rb_model *m = load("service-quotas");
  assert_string_equal(rb_model_metadata(m)->endpoint_prefix, "servicequotas");
  assert_int_equal(rb_model_is_write("sqs", "GetQueueAttributes", NULL), 0);
}

static void operation_has_method_uri_and_shapes(void **state) {
  (void)state;
  rb_operation op = op_of("lambda", "GetFunctionConfiguration");
  assert_string_equal(op.name, "GetFunctionConfiguration");
  assert_string_equal(op.method, "GET");
  assert_string_equal(op.uri, "/2015-03-31/functions/{FunctionName}/configuration");
  assert_string_equal(op.input_shape, "GetFunctionConfigurationRequest");
  assert_string_equal(op.output_shape, "FunctionConfiguration");
  assert_null(op.result_wrapper);
  assert_int_equal(op.has_paginator, 0);
  rb_operation q = op_of("monitoring", "GetMetricStatistics");
  assert_string_equal(q.method, "POST");
  assert_string_equal(q.uri, "/");
  assert_string_equal(q.result_wrapper, "GetMetricStatisticsResult");
  rb_operation none = op_of("iam", "DeleteRole");
  assert_null(none.output_shape);
}

static void paginators_name_their_tokens(void **state) {
  (void)state;
  rb_operation lf = op_of("lambda", "ListFunctions");
  assert_true(lf.has_paginator);
  assert_string_equal(lf.paginator.input_token, "Marker");
  assert_string_equal(lf.paginator.output_token, "NextMarker");
  assert_string_equal(lf.paginator.limit_key, "MaxItems");
  assert_string_equal(lf.paginator.result_key, "Functions");
  assert_null(lf.paginator.more_results);
  rb_operation iam = op_of("iam", "ListAttachedRolePolicies");
  assert_string_equal(iam.paginator.more_results, "IsTruncated");
  rb_operation alarms = op_of("monitoring", "DescribeAlarms");
  assert_string_equal(alarms.paginator.result_key, "MetricAlarms");
  const cJSON *keys =
      cJSON_GetObjectItemCaseSensitive(alarms.paginator.raw, "result_key");
  assert_int_equal(cJSON_GetArraySize(keys), 2);
  assert_string_equal(cJSON_GetArrayItem(keys, 1)->valuestring, "CompositeAlarms");
}

static void shapes_resolve_through_refs(void **state) {
  (void)state;
  const rb_model *m = load("ec2");
  const cJSON *req = rb_model_shape(m, "DescribeSubnetsRequest");
  assert_string_equal(rb_model_str(req, "type"), "structure");
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(req, "members"), "Filters");
  assert_string_equal(rb_model_str(ref, "locationName"), "Filter");
  const cJSON *list = rb_model_ref_shape(m, ref);
  assert_string_equal(rb_model_str(list, "type"), "list");
  assert_null(rb_model_shape(m, "NoSuchShape"));
  assert_null(rb_model_shape(m, NULL));
  const cJSON *inv = rb_model_shape(load("lambda"), "InvocationRequest");
  assert_string_equal(rb_model_str(inv, "payload"), "Payload");
  assert_false(rb_model_flag(inv, "document"));
  /* Lambda comes from the newer aws-sdk model (tools/models-src): LoggingConfig. */
  const rb_model *lam = load("lambda");
  const cJSON *logging = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(rb_model_shape(lam, "FunctionConfiguration"),
                                       "members"),
      "LoggingConfig");
  const cJSON *lc = rb_model_ref_shape(lam, logging);
  assert_string_equal(rb_model_str(lc, "type"), "structure");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(lc, "members"), "LogGroup"));
}

static void operation_names_are_sorted_and_complete(void **state) {
  (void)state;
  const rb_model *m = load("lambda");
  size_t n = rb_model_operation_count(m);
  assert_true(n > 50);
  for (size_t i = 1; i < n; i++)
    assert_true(strcmp(rb_model_operation_name(m, i - 1), rb_model_operation_name(m, i)) <
                0);
  assert_null(rb_model_operation_name(m, n));
  assert_true(rb_model_operation_count(load("ec2")) > 500);
}

static void unknown_operation_suggests_the_closest(void **state) {
  (void)state;
  rb_operation op;
  rb_error err;
  assert_int_equal(rb_model_find("lambda", "GetFunctionConfig", NULL, &op, &err), -1);
  assert_string_equal(err.code, "UnknownOperation");
  assert_string_equal(err.message, "unknown operation 'GetFunctionConfig' for service "
                                   "'lambda' (did you mean GetFunctionConfiguration?)");
  assert_int_equal(rb_model_find("ec2", "DescribeSubnet", NULL, &op, &err), -1);
  assert_string_equal(err.message, "unknown operation 'DescribeSubnet' for service 'ec2' "
                                   "(did you mean DescribeSubnets?)");
  assert_int_equal(rb_model_find("lambda", "getfunction", NULL, &op, &err), -1);
  assert_string_equal(err.message, "unknown operation 'getfunction' for service 'lambda' "
                                   "(did you mean GetFunction?)");
  assert_int_equal(rb_model_find("sts", "Xyzzy", NULL, &op, &err), -1);
  assert_string_equal(err.message, "unknown operation 'Xyzzy' for service 'sts'");
}

static void unknown_service_suggests_the_closest(void **state) {
  (void)state;
  rb_error err;
  assert_null(rb_model_load("lamda", &err));
  assert_string_equal(err.code, "UnknownService");
  assert_string_equal(err.message, "unknown service 'lamda' (did you mean lambda?)");
  assert_null(rb_model_load("dynamodb", &err));
  assert_string_equal(err.message, "unknown service 'dynamodb'");
  assert_int_equal(rb_model_is_write("s3", "GetObject", &err), -1);
  assert_string_equal(err.code, "UnknownService");
}

static void suggest_works_on_arrays_and_objects(void **state) {
  (void)state;
  cJSON *arr = cJSON_CreateArray();
  cJSON_AddItemToArray(arr, cJSON_CreateString("FunctionName"));
  cJSON_AddItemToArray(arr, cJSON_CreateString("Qualifier"));
  assert_string_equal(rb_model_suggest("FunctionNme", arr), "FunctionName");
  assert_string_equal(rb_model_suggest("qualifer", arr), "Qualifier");
  assert_null(rb_model_suggest("Payload", arr));
  assert_null(rb_model_suggest("x", NULL));
  cJSON_Delete(arr);
}

static void reads_are_classified_read(void **state) {
  (void)state;
  static const char *const reads[][2] = {
      {"lambda", "GetFunctionConfiguration"},
      {"lambda", "ListFunctions"},
      {"lambda", "GetPolicy"},
      {"iam", "SimulatePrincipalPolicy"},
      {"iam", "GenerateServiceLastAccessedDetails"},
      {"iam", "ListAttachedRolePolicies"},
      {"sts", "AssumeRole"},
      {"sts", "GetCallerIdentity"},
      {"sts", "DecodeAuthorizationMessage"},
      {"logs", "StartQuery"},
      {"logs", "StopQuery"},
      {"logs", "GetQueryResults"},
      {"logs", "FilterLogEvents"},
      {"logs", "TestMetricFilter"},
      {"monitoring", "GetMetricData"},
      {"monitoring", "DescribeAlarms"},
      {"ec2", "DescribeSubnets"},
      {"ec2", "SearchTransitGatewayRoutes"},
      {"apigateway", "GetRestApis"},
      {"apigatewayv2", "GetApis"},
      {"apigatewayv2", "ExportApi"},
      {"xray", "GetTraceSummaries"},
      {"xray", "BatchGetTraces"},
      {"xray", "GetServiceGraph"},
      {"cloudtrail", "LookupEvents"},
      {"lambda", "GetFunctionRecursionConfig"},
  };
  for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
    if (rb_model_is_write(reads[i][0], reads[i][1], NULL) != 0)
      fail_msg("%s %s should be a read", reads[i][0], reads[i][1]);
}

static void writes_are_classified_write(void **state) {
  (void)state;
  static const char *const writes[][2] = {
      {"lambda", "Invoke"},
      {"lambda", "InvokeAsync"},
      {"lambda", "UpdateFunctionConfiguration"},
      {"lambda", "PutFunctionConcurrency"},
      {"lambda", "DeleteFunction"},
      {"lambda", "AddPermission"},
      {"iam", "AttachRolePolicy"},
      {"iam", "PutRolePolicy"},
      {"iam", "UpdateAssumeRolePolicy"},
      {"ec2", "CreateNetworkInterface"},
      {"ec2", "RunInstances"},
      {"ec2", "AuthorizeSecurityGroupEgress"},
      {"logs", "PutRetentionPolicy"},
      {"logs", "CreateLogGroup"},
      {"monitoring", "PutMetricAlarm"},
      {"monitoring", "SetAlarmState"},
      {"apigateway", "TestInvokeMethod"},
      {"apigateway", "TestInvokeAuthorizer"},
      {"apigateway", "FlushStageCache"},
      {"apigatewayv2", "UpdateStage"},
      {"xray", "PutTraceSegments"},
      {"xray", "UpdateSamplingRule"},
      {"cloudtrail", "StopLogging"},
      {"cloudtrail", "PutEventSelectors"},
      {"lambda", "InvokeWithResponseStream"},
      {"lambda", "PutFunctionRecursionConfig"},
  };
  for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
    if (rb_model_is_write(writes[i][0], writes[i][1], NULL) != 1)
      fail_msg("%s %s should be a write", writes[i][0], writes[i][1]);
}

static void every_operation_has_method_and_uri(void **state) {
  (void)state;
  for (size_t s = 0; rb_model_service_name(s); s++) {
    const rb_model *m = load(rb_model_service_name(s));
    size_t writes = 0, n = rb_model_operation_count(m);
    for (size_t i = 0; i < n; i++) {
      rb_operation op;
      assert_int_equal(rb_model_operation(m, rb_model_operation_name(m, i), &op, NULL),
                       0);
      assert_non_null(op.method);
      assert_non_null(op.uri);
      assert_true(op.uri[0] == '/');
      assert_true(!op.input_shape || rb_model_shape(m, op.input_shape));
      assert_true(!op.output_shape || rb_model_shape(m, op.output_shape));
      writes += (size_t)op.write;
    }
    assert_true(writes < n);
    /* STS only mints credentials: every one of its operations is a read */
    assert_true(writes > 0 || strcmp(rb_model_service_name(s), "sts") == 0);
  }
}

static void cache_reloads_after_free_all(void **state) {
  (void)state;
  load("sts");
  rb_model_free_all();
  rb_model_free_all();
  const rb_model *m = load("sts");
  assert_string_equal(rb_model_metadata(m)->service, "sts");
}

static int teardown(void **state) {
  (void)state;
  rb_model_free_all();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_service_loads_with_its_protocol),
      cmocka_unit_test(json_and_global_metadata_is_kept),
      cmocka_unit_test(cloudwatch_is_an_alias_of_monitoring),
      cmocka_unit_test(embedded_service_names_are_listed),
      cmocka_unit_test(operation_has_method_uri_and_shapes),
      cmocka_unit_test(paginators_name_their_tokens),
      cmocka_unit_test(shapes_resolve_through_refs),
      cmocka_unit_test(operation_names_are_sorted_and_complete),
      cmocka_unit_test(unknown_operation_suggests_the_closest),
      cmocka_unit_test(unknown_service_suggests_the_closest),
      cmocka_unit_test(suggest_works_on_arrays_and_objects),
      cmocka_unit_test(reads_are_classified_read),
      cmocka_unit_test(writes_are_classified_write),
      cmocka_unit_test(every_operation_has_method_and_uri),
      cmocka_unit_test(cache_reloads_after_free_all),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
