/* fuzz_ops.h — the fixed list of (service, operation) pairs the protocol fuzz targets
 * choose from with the first input byte.
 *
 * Covers every protocol the core speaks: rest-json (lambda, apigateway, apigatewayv2),
 * json 1.1 (logs), query (monitoring, iam, sts) and ec2, with reads and writes, lists,
 * maps, blobs, timestamps, payload members and header members. tests/fuzz/make_seeds.py
 * reads this table to turn test vectors into seed files, so entries are only ever
 * appended: reordering would change what every saved seed means. */
#ifndef RB_FUZZ_OPS_H
#define RB_FUZZ_OPS_H

#include <stddef.h>

typedef struct fz_op {
  const char *service;
  const char *operation;
} fz_op;

static const fz_op fz_ops[] = {
    {"lambda", "GetFunctionConfiguration"},
    {"lambda", "GetFunction"},
    {"lambda", "ListFunctions"},
    {"lambda", "UpdateFunctionConfiguration"},
    {"lambda", "Invoke"},
    {"lambda", "GetLayerVersionByArn"},
    {"lambda", "ListProvisionedConcurrencyConfigs"},
    {"lambda", "PutFunctionConcurrency"},
    {"lambda", "GetPolicy"},
    {"lambda", "GetLayerVersion"},
    {"lambda", "CreateEventSourceMapping"},
    {"lambda", "UpdateFunctionCode"},
    {"lambda", "DeleteFunctionConcurrency"},
    {"lambda", "GetFunctionConcurrency"},
    {"lambda", "GetAccountSettings"},
    {"lambda", "ListEventSourceMappings"},
    {"lambda", "ListAliases"},
    {"lambda", "GetFunctionUrlConfig"},
    {"apigateway", "GetRestApis"},
    {"apigateway", "GetRestApi"},
    {"apigateway", "GetResources"},
    {"apigateway", "GetStage"},
    {"apigatewayv2", "GetApis"},
    {"apigatewayv2", "GetApi"},
    {"apigatewayv2", "GetStages"},
    {"apigatewayv2", "UpdateApi"},
    {"logs", "FilterLogEvents"},
    {"logs", "DescribeLogGroups"},
    {"logs", "DescribeLogStreams"},
    {"logs", "StartQuery"},
    {"logs", "GetQueryResults"},
    {"monitoring", "GetMetricStatistics"},
    {"monitoring", "GetMetricData"},
    {"monitoring", "DescribeAlarms"},
    {"monitoring", "DescribeAlarmsForMetric"},
    {"cloudwatch", "ListMetrics"},
    {"iam", "GetRole"},
    {"iam", "ListAttachedRolePolicies"},
    {"iam", "GetRolePolicy"},
    {"iam", "SimulatePrincipalPolicy"},
    {"iam", "GetAccountSummary"},
    {"iam", "GetPolicyVersion"},
    {"sts", "AssumeRole"},
    {"sts", "GetCallerIdentity"},
    {"sts", "AssumeRoleWithWebIdentity"},
    {"ec2", "DescribeSubnets"},
    {"ec2", "DescribeNetworkInterfaces"},
    {"ec2", "DescribeRouteTables"},
    {"ec2", "DescribeSecurityGroups"},
    {"ec2", "DescribeNatGateways"},
    {"ec2", "DescribeVpcs"},
    {"ec2", "DescribeAccountAttributes"},
};

#define FZ_OP_COUNT (sizeof fz_ops / sizeof fz_ops[0])

#endif
