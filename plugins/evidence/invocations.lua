--- evidence.invocations: how events reach the function other than a direct call: its
--- asynchronous invocation config and the SQS queues its event source mappings poll.
--
-- The async and event_sources steps read these; each is one call per run, shared, and
-- "there is none" (no EventInvokeConfig, a queue that no longer exists) is absence as data.
--
--   ev.invoke_config          GetFunctionEventInvokeConfig of the function (its qualifier)
--                             | absent: no asynchronous invocation config
--   ev["queue:QUEUE_ARN"]     { arn, url, name, attributes = GetQueueAttributes All,
--                               redrive = RedrivePolicy decoded | nil } | absent
--   ev["sqs_metric:NAME:STAT:QUEUE_NAME"]  the queue's AWS/SQS series (evidence.metrics)
local arn = require("lib.arn")
local evidence = require("triage.evidence")
local json = require("runbook.json")
local metrics = require("evidence.metrics")

local M = {}

function M.invoke_config(ctx)
  local reply, err = ctx.aws.call("lambda", "GetFunctionEventInvokeConfig",
    { FunctionName = ctx.function_name, Qualifier = ctx.qualifier })
  if reply then return reply end
  if type(err) == "table" and err.code == "ResourceNotFoundException" then
    return evidence.absent("no asynchronous invocation config (EventInvokeConfig)")
  end
  return nil, err
end

--- The queue URL SQS answers to for a queue ARN ("https://sqs.REGION.amazonaws.com/ACCOUNT/
--- NAME"; amazonaws.com.cn in the China partition); nil when it is not an SQS ARN.
function M.queue_url(queue_arn)
  local p = arn.parse(queue_arn)
  if not p or p.service ~= "sqs" or p.resource == "" then return nil end
  local suffix = p.partition == "aws-cn" and "amazonaws.com.cn" or "amazonaws.com"
  return ("https://sqs.%s.%s/%s/%s"):format(p.region, suffix, p.account, p.resource), p.resource
end

local NO_QUEUE = { ["AWS.SimpleQueueService.NonExistentQueue"] = true,
                   QueueDoesNotExist = true }

function M.queue(ctx, _, queue_arn)
  local url, name = M.queue_url(queue_arn)
  if not url then
    return nil, { code = "UnknownEvidence", kind = "usage",
                  message = ("queue evidence is queue:SQS_QUEUE_ARN, not 'queue:%s'")
                    :format(tostring(queue_arn)) }
  end
  local reply, err = ctx.aws.call("sqs", "GetQueueAttributes",
    { QueueUrl = url, AttributeNames = { "All" } })
  if not reply then
    if type(err) == "table" and NO_QUEUE[err.code] then
      return evidence.absent(("queue %s does not exist"):format(queue_arn))
    end
    return nil, err
  end
  local attributes = reply.Attributes or {}
  local ok, redrive = pcall(json.decode, attributes.RedrivePolicy or "null")
  if not ok then redrive = nil end
  if type(redrive) ~= "table" or redrive.deadLetterTargetArn == nil then redrive = nil end
  return { arn = queue_arn, url = url, name = name, attributes = attributes, redrive = redrive }
end

--- "ApproximateAgeOfOldestMessage:Maximum:orders" -> the queue's AWS/SQS series.
function M.sqs_metric(ctx, _, param)
  local name, statistic, queue = (param or ""):match("^(%w+):(%w+):(.+)$")
  if not name then
    return nil, { code = "UnknownEvidence", kind = "usage",
                  message = ("sqs_metric evidence is sqs_metric:NAME:STATISTIC:QUEUE_NAME, "
                    .. "not 'sqs_metric:%s'"):format(tostring(param)) }
  end
  return metrics.series(ctx, name, statistic,
    { namespace = "AWS/SQS", dimensions = { { Name = "QueueName", Value = queue } } })
end

return M
