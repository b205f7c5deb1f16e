#!/usr/bin/env bash
# ---------------------------------------------------------------------------------------
# This is the bash triage script printed at the end of the field guide
# (seed/lambda-troubleshooting-guide.txt, "Lambda Error Triage Script"), copied verbatim so
# bench/triage-vs-guide can time it against `runbook triage.lua`. One change: the guide's
# last line reads `echo "=== Triage complete ==="Error Medic Editorial` because the page's
# author byline ran into it when the text was extracted; the byline is dropped here. The
# script calls `aws`: bench/triage-vs-guide exports a shell function of that name that runs
# Debian's aws CLI with --endpoint-url pointed at the local fake AWS.
# ---------------------------------------------------------------------------------------
# Lambda Error Triage Script
# Usage: FUNCTION=my-function REGION=us-east-1 bash triage-lambda.sh
set -euo pipefail
FUNCTION=${FUNCTION:?"Set FUNCTION env var"}
REGION=${REGION:-us-east-1}
SINCE=${SINCE:-1h}
echo "=== Lambda Triage: $FUNCTION ==="
echo ""
echo "--- Function Configuration ---"
aws lambda get-function-configuration \
--function-name "$FUNCTION" --region "$REGION" \
--query '{Timeout:Timeout,Memory:MemorySize,Runtime:Runtime,Role:Role,VpcConfig:VpcConfig,LastModified:LastModified}'
echo ""
echo "--- Concurrency Settings ---"
aws lambda get-function-concurrency \
--function-name "$FUNCTION" --region "$REGION" 2>/dev/null || echo "No reserved concurrency set"
echo ""
echo "--- Account Concurrency Limit ---"
aws lambda get-account-settings --region "$REGION" \
--query 'AccountLimit.{ConcurrentExecutions:ConcurrentExecutions,UnreservedConcurrentExecutions:UnreservedConcurrentExecutions}'
echo ""
echo "--- Resource-Based Policy ---"
aws lambda get-policy \
--function-name "$FUNCTION" --region "$REGION" \
--query 'Policy' --output text 2>/dev/null | python3 -m json.tool || echo "No resource-based policy"
echo ""
echo "--- Execution Role Policies ---"
ROLE=$(aws lambda get-function-configuration \
--function-name "$FUNCTION" --region "$REGION" \
--query 'Role' --output text | awk -F/ '{print $NF}')
echo "Role: $ROLE"
aws iam list-attached-role-policies --role-name "$ROLE" \
--query 'AttachedPolicies[].PolicyName'
aws iam list-role-policies --role-name "$ROLE" \
--query 'PolicyNames'
echo ""
echo "--- Recent Errors (last $SINCE) ---"
aws logs tail "/aws/lambda/$FUNCTION" \
--since "$SINCE" \
--filter-pattern '?ERROR ?Exception ?Timeout ?throttl' \
--region "$REGION" 2>/dev/null | tail -50 || echo "No log group found or no matching events"
echo ""
echo "--- Throttle Metric (last 30 min) ---"
START=$(date -u -d '30 minutes ago' +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || \
date -u -v-30M +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u +%Y-%m-%dT%H:%M:%SZ)
aws cloudwatch get-metric-statistics \
--namespace AWS/Lambda \
--metric-name Throttles \
--dimensions Name=FunctionName,Value="$FUNCTION" \
--start-time "$START" --end-time "$END" \
--period 300 --statistics Sum \
--region "$REGION" \
--query 'sort_by(Datapoints,&Timestamp)[].{Time:Timestamp,Throttles:Sum}'
echo ""
echo "--- Duration P99 (last 30 min) ---"
aws cloudwatch get-metric-statistics \
--namespace AWS/Lambda \
--metric-name Duration \
--dimensions Name=FunctionName,Value="$FUNCTION" \
--start-time "$START" --end-time "$END" \
--period 300 --statistics p99 \
--region "$REGION" \
--query 'sort_by(Datapoints,&Timestamp)[].{Time:Timestamp,P99ms:p99}' 2>/dev/null || echo "Extended statistics require CloudWatch Metric Streams or separate API"
echo ""
echo "=== Triage complete ==="
