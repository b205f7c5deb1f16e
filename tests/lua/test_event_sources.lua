--- Tests of the event-source helpers: poison-message detection over log events
--- (steps.event_sources.poison) and the SQS queue URL built from a queue ARN
--- (evidence.invocations.queue_url).
local t = require("testlib")
local invocations = require("evidence.invocations")
local poison = require("steps.event_sources.poison")

local MSG = "3f6c2a9e-81d4-4b7a-9c25-e0d7b4f1a683"

local function line(request_id, text)
  return { message = ("[ERROR]\t2026-12-06T10:00:00.000Z\t%s\t%s\n"):format(request_id, text),
           iso = "2026-12-06T10:00:00Z" }
end

local function rid(n) return ("5ab1c2d3-e4f5-0617-2839-4a5b6c7d8e%02d"):format(n) end

t.test("ids_skip_the_invocations_own_request_id", function()
  local seq = "49590338271490256608559692538361571095921575989136588898"
  local ids = poison.ids(("%s KeyError messageId=%s seq=%s"):format(rid(1), MSG, seq), rid(1))
  t.eq(ids, { MSG, seq })
end)

t.test("an_id_failing_in_several_invocations_is_poison", function()
  local events = {}
  for i = 1, 4 do events[#events + 1] = line(rid(i), "KeyError while processing messageId=" .. MSG) end
  local other = "11c2d3e4-f506-1728-394a-5b6c7d8e9f00"
  events[#events + 1] = line(rid(5), "KeyError while processing messageId=" .. other)
  local hits = poison.repeated(events, 3)
  t.eq(#hits, 1)
  t.eq(hits[1].id, MSG)
  t.eq(hits[1].invocations, 4)
end)

t.test("the_same_invocation_logging_an_id_twice_counts_once", function()
  local events = {}
  for _ = 1, 5 do events[#events + 1] = line(rid(1), "failed messageId=" .. MSG) end
  t.eq(#poison.repeated(events, 3), 0)
end)

t.test("ids_in_lines_that_are_not_errors_do_not_count", function()
  local events = {}
  for i = 1, 5 do
    events[#events + 1] = { message = ("[INFO]\t2026-12-06T10:00:00.000Z\t%s\tprocessed messageId=%s\n")
      :format(rid(i), MSG) }
  end
  t.eq(#poison.repeated(events, 3), 0)
end)

t.test("queue_urls_come_from_the_arn_in_its_partition", function()
  t.eq(invocations.queue_url("arn:aws:sqs:us-east-1:123456789012:orders"),
       "https://sqs.us-east-1.amazonaws.com/123456789012/orders")
  t.eq(invocations.queue_url("arn:aws-cn:sqs:cn-north-1:123456789012:orders.fifo"),
       "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders.fifo")
  t.eq(invocations.queue_url("arn:aws:kinesis:us-east-1:123456789012:stream/clicks"), nil)
  t.eq(invocations.queue_url("not an arn"), nil)
end)

return t.run()
