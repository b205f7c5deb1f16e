--- Tests of lib.xray: segment documents as BatchGetTraces returns them (JSON text), parsed
--- into invocations and aggregated into where the time went.
local json = require("runbook.json")
local t = require("testlib")
local xray = require("lib.xray")

local T0 = 1796093000.0 -- 2026-12-01T02:43:20Z
local FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:checkout"

-- A Lambda trace as X-Ray stores it: the AWS::Lambda service segment and the
-- AWS::Lambda::Function segment with Initialization (optional), Invocation and Overhead;
-- `calls` are subsegments of Invocation, offsets in seconds from the invocation start.
local function trace(n, o)
  local id = ("1-6937f%03x-4b2c8e01f3a9d6c7b5e4%04x"):format(n, n)
  local start = T0 + n * 10
  local init = o.init or 0
  local inv_s = start + init
  local inv_f = inv_s + o.invocation
  local subs = {}
  for i, c in ipairs(o.calls or {}) do
    local sub = { id = ("%016x"):format(n * 100 + i), name = c.name,
                  start_time = inv_s + c.at, end_time = (not c.open) and (inv_s + c.at + c.s) or nil,
                  in_progress = c.open or nil, namespace = c.namespace, fault = c.fault,
                  error = c.error, throttle = c.throttle, aws = c.aws, http = c.http, sql = c.sql,
                  subsegments = c.subsegments }
    subs[#subs + 1] = sub
  end
  local phases = {}
  if o.init then
    phases[#phases + 1] = { id = ("%016x"):format(n * 100 + 90), name = "Initialization",
                            start_time = start, end_time = inv_s,
                            aws = { function_arn = FN_ARN } }
  end
  if o.no_invocation_phase then
    for _, s in ipairs(subs) do phases[#phases + 1] = s end
  else
    phases[#phases + 1] = { id = ("%016x"):format(n * 100 + 91), name = "Invocation",
                            start_time = inv_s, end_time = inv_f, subsegments = subs,
                            aws = { function_arn = FN_ARN } }
  end
  phases[#phases + 1] = { id = ("%016x"):format(n * 100 + 92), name = "Overhead",
                          start_time = inv_f, end_time = inv_f + 0.004 }
  local fn_doc = {
    id = ("%016x"):format(n * 100 + 1), name = "checkout", start_time = start,
    end_time = inv_f + 0.004, trace_id = id, parent_id = ("%016x"):format(n * 100 + 2),
    origin = "AWS::Lambda::Function",
    aws = { ["function_arn"] = "arn:aws:lambda:us-east-1:123456789012:function:checkout",
            resource_names = { "checkout" }, account_id = "123456789012" },
    subsegments = phases, fault = o.fault, error = o.error,
    cause = o.cause and { working_directory = "/var/task",
                          exceptions = { { id = "7c1d2e3f4a5b6c7d", message = o.cause } } } or nil,
  }
  local svc_doc = {
    id = ("%016x"):format(n * 100 + 2), name = "checkout", start_time = start - 0.02,
    end_time = inv_f + 0.01, trace_id = id, origin = "AWS::Lambda",
    http = { response = { status = o.fault and 200 or 200 } },
    aws = { request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" },
    resource_arn = "arn:aws:lambda:us-east-1:123456789012:function:checkout",
    subsegments = { { id = ("%016x"):format(n * 100 + 3), name = "Dwell Time",
                      start_time = start - 0.02, end_time = start - 0.001 },
                    { id = ("%016x"):format(n * 100 + 4), name = "Attempt #1",
                      start_time = start - 0.001, end_time = inv_f + 0.01,
                      http = { response = { status = 200 } } } },
  }
  local inferred = { id = ("%016x"):format(n * 100 + 5), name = "api.partner.example",
                     start_time = inv_s, end_time = inv_f, trace_id = id, inferred = true,
                     parent_id = ("%016x"):format(n * 100 + 1), origin = "Remote" }
  return { Id = id, Duration = (inv_f + 0.01) - (start - 0.02), LimitExceeded = false,
           Segments = { { Id = svc_doc.id, Document = json.encode(svc_doc) },
                        { Id = inferred.id, Document = json.encode(inferred) },
                        { Id = fn_doc.id, Document = json.encode(fn_doc) } } }
end

local function charge(at, s, extra)
  local c = { name = "api.partner.example", namespace = "remote", at = at, s = s,
              http = { request = { method = "post",
                                   url = "https://api.partner.example/charge?order=991&token=abc" },
                       response = { status = 200, content_length = 112 } } }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local function dynamo(at, s, extra)
  local c = { name = "DynamoDB", namespace = "aws", at = at, s = s,
              aws = { operation = "GetItem", region = "us-east-1", table_name = "orders",
                      request_id = "3AIENM5J4ELQ3SPODHKBIRVIC7VV4KQNSO5AEMVJF66Q9ASUAAJG", retries = 0 },
              http = { response = { status = 200 } },
              subsegments = { { id = "aa00000000000001", name = "Marshal", start_time = 0, end_time = 0 } } }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

t.test("filter_expression_names_the_function_node_by_name_and_type", function()
  t.eq(xray.filter_expression("checkout"),
       'service(id(name: "checkout", type: "AWS::Lambda::Function"))')
  t.eq(xray.filter_expression('we"ird'),
       'service(id(name: "we\\"ird", type: "AWS::Lambda::Function"))')
end)

t.test("pick_reads_failed_traces_first_then_the_slowest_capped", function()
  local summaries = {
    { Id = "1-a", Duration = 0.2 }, { Id = "1-b", Duration = 2.9 },
    { Id = "1-c", Duration = 0.4, HasFault = true }, { Id = "1-d", Duration = 1.1 },
    { Id = "1-e", Duration = 3.0, HasError = true }, { Duration = 9 },
  }
  t.eq(xray.pick(summaries, 25), { "1-e", "1-c", "1-b", "1-d", "1-a" })
  t.eq(xray.pick(summaries, 3), { "1-e", "1-c", "1-b" })
  t.eq(xray.pick({}, 25), {})
end)

t.test("batches_of_five", function()
  local ids = {}
  for i = 1, 12 do ids[i] = "1-" .. i end
  local b = xray.batches(ids, 5)
  t.eq(#b, 3)
  t.eq(#b[1], 5)
  t.eq(b[3], { "1-11", "1-12" })
  t.eq(xray.batches({}, 5), {})
end)

t.test("parse_trace_reads_phases_calls_and_the_timeout_cause", function()
  local inv = xray.parse_trace(trace(1, {
    init = 0.41, invocation = 3.0, fault = true, cause = "Task timed out after 3.00 seconds",
    calls = { dynamo(0.01, 0.02), charge(0.05, 2.9, { fault = true,
      http = { request = { method = "POST", url = "https://api.partner.example/charge" },
               response = { status = 504 } } }) },
  }))
  t.eq(inv.function_name, "checkout")
  t.eq(math.floor(inv.invocation_ms + 0.5), 3000)
  t.eq(math.floor(inv.init_ms + 0.5), 410)
  t.eq(math.floor(inv.overhead_ms + 0.5), 4)
  t.eq(inv.timed_out, true)
  t.eq(inv.fault, true)
  t.eq(#inv.calls, 2, "Marshal under the DynamoDB call is part of it, not a call")
  t.eq(inv.calls[1].label, "DynamoDB GetItem orders")
  t.eq(inv.calls[1].kind, "aws")
  t.eq(inv.calls[2].label, "POST https://api.partner.example/charge")
  t.eq(inv.calls[2].status, 504)
  t.eq(inv.calls[2].fault, true)
  t.eq(math.floor(inv.own_ms + 0.5), 80, "3000 - 20 - 2900")
end)

t.test("calls_made_while_initializing_belong_to_the_cold_start", function()
  local tr = trace(7, { init = 0.8, invocation = 0.5, calls = { dynamo(0.0, 0.1) } })
  local fn_doc = json.decode(tr.Segments[3].Document)
  local init = fn_doc.subsegments[1]
  t.eq(init.name, "Initialization")
  init.subsegments = { { id = "bb00000000000001", name = "SecretsManager", namespace = "aws",
                         start_time = init.start_time + 0.1, end_time = init.start_time + 0.7,
                         aws = { operation = "GetSecretValue" } } }
  tr.Segments[3].Document = json.encode(fn_doc)
  local inv = xray.parse_trace(tr)
  t.eq(#inv.calls, 1, "the invocation's own call only")
  t.eq(#inv.init_calls, 1)
  local rows = xray.init_calls({ inv })
  t.eq(rows[1].label, "SecretsManager GetSecretValue")
  t.eq(rows[1].p95_ms, 600)
end)

t.test("parse_trace_drops_query_strings_and_credentials_from_urls", function()
  local inv = xray.parse_trace(trace(2, { invocation = 0.5, calls = {
    charge(0.0, 0.1),
    { name = "orders-db", at = 0.2, s = 0.1, namespace = "remote",
      sql = { url = "postgresql://app:s3cret@orders.cluster-x.rds.amazonaws.com:5432/orders?ssl=1",
              database_type = "PostgreSQL" } },
  } }))
  t.eq(inv.calls[1].label, "POST https://api.partner.example/charge")
  t.eq(inv.calls[2].kind, "sql")
  t.eq(inv.calls[2].label, "postgresql://orders.cluster-x.rds.amazonaws.com:5432/orders")
  t.eq(inv.calls[2].host, "orders.cluster-x.rds.amazonaws.com")
end)

t.test("parse_trace_without_invocation_phase_uses_the_segment_less_init_and_overhead", function()
  local inv = xray.parse_trace(trace(3, { init = 0.3, invocation = 1.0, no_invocation_phase = true,
                                          calls = { charge(0.1, 0.5) } }))
  t.eq(math.floor(inv.invocation_ms + 0.5), 1000)
  t.eq(#inv.calls, 1)
  t.eq(math.floor(inv.own_ms + 0.5), 500)
end)

t.test("parse_trace_ends_a_call_still_in_progress_at_the_segment_end", function()
  local inv = xray.parse_trace(trace(4, { invocation = 3.0, calls = { charge(0.2, nil, { open = true }) } }))
  t.eq(inv.calls[1].in_progress, true)
  t.ok(inv.calls[1].ms > 2700, "runs to the end of the function segment")
end)

t.test("parse_trace_without_a_function_segment_says_so", function()
  local tr = trace(5, { invocation = 1 })
  table.remove(tr.Segments, 3)
  local inv, why = xray.parse_trace(tr)
  t.eq(inv, nil)
  t.eq(why, "no AWS::Lambda::Function segment")
  local list, skipped = xray.parse_traces({ tr, trace(6, { invocation = 1 }) })
  t.eq(#list, 1)
  t.eq(skipped, { tr.Id })
end)

t.test("covered_counts_overlapping_calls_once_and_clips_to_the_invocation", function()
  local ivs = { { start = 0, finish = 2 }, { start = 1, finish = 3 }, { start = 5, finish = 6 } }
  t.eq(xray.covered(ivs, 0, 10), 4)
  t.eq(xray.covered({ { start = -1, finish = 2 } }, 0, 1), 1)
  t.eq(xray.covered({}, 0, 1), 0)
end)

-- Eight timed-out invocations stuck in the partner call, four quick ones.
local function slow_partner_sample()
  local traces = {}
  local waits = { 2.70, 2.72, 2.75, 2.78, 2.80, 2.82, 2.85, 2.88 }
  for i, w in ipairs(waits) do
    traces[#traces + 1] = trace(i, {
      init = i == 1 and 0.45 or nil, invocation = 3.0, fault = true,
      cause = "Task timed out after 3.00 seconds",
      calls = { dynamo(0.01, 0.03), charge(0.06, w, { fault = true }) } })
  end
  for i = 9, 12 do
    traces[#traces + 1] = trace(i, { invocation = 0.4, calls = { dynamo(0.01, 0.02), charge(0.05, 0.3) } })
  end
  return xray.parse_traces(traces)
end

t.test("aggregate_speaks_of_the_timed_out_invocations_and_names_the_worst", function()
  local agg = xray.aggregate(slow_partner_sample(), { timeout_s = 3 })
  t.eq(agg.traces, 12)
  t.eq(agg.scope, "timed-out")
  t.eq(agg.count, 8)
  t.eq(agg.cold_starts, 1)
  local w = agg.worst
  t.eq(w.label, "POST https://api.partner.example/charge")
  t.eq(w.traces, 8)
  t.eq(w.calls, 8)
  t.eq(w.faults, 8)
  t.eq(w.p95_ms, 2880)
  t.eq(w.p50_ms, 2780)
  t.eq(xray.pct(w.share), "93 %")
  t.eq(agg.downstreams[2].label, "DynamoDB GetItem orders")
  t.ok(agg.own.share > 0.05 and agg.own.share < 0.07, "own code ~6 %")
  t.eq(xray.sentence(agg), "93 % of the timed-out invocations' time was spent in POST "
    .. "https://api.partner.example/charge: p95 2.9 s over 8 traces")
  local lines = xray.lines(agg)
  t.eq(lines[1], "POST https://api.partner.example/charge: 93 % of the time, 8 calls in 8 traces, "
    .. "p50 2.8 s, p95 2.9 s, 8 faults")
  t.eq(lines[#lines], "the function's own code: 6 % of the time")
end)

t.test("aggregate_marks_invocations_that_ran_to_the_timeout_as_timed_out", function()
  local invs = xray.parse_traces({ trace(1, { invocation = 2.99, calls = { charge(0, 2.9) } }),
                                   trace(2, { invocation = 0.3, calls = { charge(0, 0.2) } }) })
  local agg = xray.aggregate(invs, { timeout_s = 3 })
  t.eq(agg.scope, "timed-out")
  t.eq(agg.count, 1)
  t.eq(xray.aggregate(invs, {}).scope, "sampled", "without the timeout, only causes count")
end)

t.test("aggregate_with_no_dominant_downstream_names_the_functions_own_code", function()
  local invs = xray.parse_traces({ trace(1, { invocation = 2.0, calls = { dynamo(0.1, 0.1) } }),
                                   trace(2, { invocation = 2.0, calls = { dynamo(0.1, 0.2) } }) })
  local agg = xray.aggregate(invs, { timeout_s = 30 })
  t.eq(agg.worst, nil)
  t.eq(agg.scope, "sampled")
  t.eq(xray.sentence(agg), "93 % of the sampled invocations' time was spent in the function's own "
    .. "code (no downstream call dominates) over 2 traces")
end)

t.test("aggregate_counts_errors_and_throttles_per_downstream", function()
  local invs = xray.parse_traces({
    trace(1, { invocation = 1.0, error = true, calls = {
      dynamo(0.1, 0.6, { throttle = true, error = true, http = { response = { status = 400 } } }) } }),
    trace(2, { invocation = 1.0, calls = { dynamo(0.1, 0.7) } }) })
  local agg = xray.aggregate(invs, { failed_first = true })
  t.eq(agg.scope, "failed")
  t.eq(agg.count, 1)
  local d = agg.downstreams[1]
  t.eq(d.throttles, 1)
  t.eq(d.errors, 1)
  t.eq(xray.lines(agg)[1], "DynamoDB GetItem orders: 60 % of the time, 1 call in 1 trace, p50 600 ms, "
    .. "p95 600 ms, 1 error, 1 throttled")
end)

t.test("only_failed_and_failing_name_the_call_that_failed_most", function()
  local agg = xray.aggregate(slow_partner_sample(), { timeout_s = 3, only_failed = true })
  t.eq(agg.scope, "failed")
  t.eq(agg.count, 8)
  local row, n = xray.failing(agg)
  t.eq(row.label, "POST https://api.partner.example/charge")
  t.eq(n, 8)
  t.eq(row.failed_traces, 8)
  t.eq(agg.downstreams[2].failed_traces, 0, "DynamoDB never failed")
  local one = trace(1, { invocation = 1, calls = { dynamo(0, 0.1) } })
  local quiet = xray.aggregate(xray.parse_traces({ one }))
  t.eq(xray.failing(quiet), nil)
end)

t.test("an_empty_sample_has_no_sentence", function()
  local agg = xray.aggregate({}, { timeout_s = 3 })
  t.eq(agg.count, 0)
  t.eq(xray.sentence(agg), nil)
  t.eq(xray.lines(agg), {})
end)

return t.run()
