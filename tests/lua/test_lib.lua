--- Unit tests of the pure helpers in plugins/lib (time, text, arn) and the exit-code table.
local arn = require("lib.arn")
local exit = require("triage.exit")
local t = require("testlib")
local text = require("lib.text")
local time = require("lib.time")

t.test("parse_iso reads the forms AWS and operators write", function()
  t.eq(time.parse_iso("2026-11-27T02:41:07Z"), 1795747267)
  t.eq(time.parse_iso("2026-11-27T02:41:07.123Z"), 1795747267)
  t.eq(time.parse_iso("2026-11-27T03:41:07+01:00"), 1795747267)
  t.eq(time.parse_iso("2026-11-27 02:41:07"), 1795747267)
  t.eq(time.parse_iso("2026-11-27T02:41Z"), 1795747260)
  t.eq(time.parse_iso("2026-11-27"), 1795737600)
  t.eq(time.parse_iso("1969-12-31T23:59:59Z"), -1)
  t.eq(time.parse_iso("2024-02-29T00:00:00Z"), 1709164800)
end)

t.test("parse_iso refuses what is not a time", function()
  for _, bad in ipairs({ "", "yesterday", "2026-13-01", "2026-11-27T25:00Z", "2026-11-27T02:41:07+1",
                         "2026-11-27X02:41" }) do
    t.eq(time.parse_iso(bad), nil, bad)
  end
  t.eq(time.parse_iso(nil), nil)
end)

t.test("iso and epoch round-trip seconds and milliseconds", function()
  t.eq(time.iso(1795747267), "2026-11-27T02:41:07Z")
  t.eq(time.iso(1795747267123), "2026-11-27T02:41:07Z")
  t.eq(time.iso(nil), "?")
  t.eq(time.epoch(1795747267123), 1795747267.123)
  t.eq(time.epoch("2026-11-27T02:41:07Z"), 1795747267)
  t.eq(time.date(1795747267), "2026-11-27")
end)

t.test("parse_duration and age", function()
  t.eq(time.parse_duration("90s"), 90)
  t.eq(time.parse_duration("1.5h"), 5400)
  t.eq(time.parse_duration("2d"), 172800)
  t.eq(time.parse_duration("0m"), nil)
  t.eq(time.parse_duration("1y"), nil)
  t.eq(time.age(45), "45 s")
  t.eq(time.age(720), "12 min")
  t.eq(time.age(3 * 3600), "3 h")
  t.eq(time.age(5 * 86400), "5 days")
end)

t.test("quote keeps one bounded line with the event's time", function()
  local e = { iso = "2026-11-27T02:41:07Z", message = "boom\tbad\nsecond line" }
  t.eq(text.quote(e), "2026-11-27T02:41:07Z boom bad")
  t.eq(text.quote({ iso = "x", message = "[ERROR]\t2026-11-27T02:41:07.1Z\tid\tKeyError" }),
    "[ERROR] 2026-11-27T02:41:07.1Z id KeyError")
  t.eq(#text.quote({ iso = "t", message = ("a"):rep(500) }, 20), 22)
  t.eq(text.clip("abcdef", 5), "ab...")
end)

t.test("plural, join, unique, contains_any", function()
  t.eq(text.plural(1, "throttle"), "1 throttle")
  t.eq(text.plural(3, "throttle"), "3 throttles")
  t.eq(text.plural(2, "policy", "policies"), "2 policies")
  t.eq(text.join({ "a" }), "a")
  t.eq(text.join({ "a", "b", "c" }), "a, b and c")
  t.eq(text.join({ "a", "b", "c", "d" }, 2), "a, b and 2 more")
  t.eq(text.unique({ "x", "y", "x", "z", "y" }), { "x", "y", "z" })
  t.eq(text.contains_any("Rate exceeded now", { "Throttl", "Rate exceeded" }), "Rate exceeded")
  t.eq(text.contains_any("fine", { "Throttl" }), nil)
  t.eq(text.sorted_keys({ b = 1, a = 2 }), { "a", "b" })
  t.eq(text.sorted_keys({ [2] = 1, [1] = 1 }), { 1, 2 })
  t.eq(text.keys_by_count({ PutItem = 2, Query = 5, GetItem = 2 }), { "Query", "GetItem", "PutItem" })
  t.eq(text.utf8_clean("ok\xffend"), "ok\u{FFFD}end")
end)

t.test("ARNs carry the partition of their region", function()
  t.eq(arn.partition_of("us-east-1"), "aws")
  t.eq(arn.partition_of("cn-north-1"), "aws-cn")
  t.eq(arn.partition_of("us-gov-west-1"), "aws-us-gov")
  t.eq(arn.execute_api("aws-cn", "cn-north-1", "123456789012", "abc", "prod", "GET", "orders"),
    "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/orders")
  t.eq(arn.build{ service = "sqs", region = "us-gov-west-1", account = "1", resource = "q" },
    "arn:aws-us-gov:sqs:us-gov-west-1:1:q")
  t.eq(arn.managed_policy("aws-cn", "service-role/AWSLambdaVPCAccessExecutionRole"),
    "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
  t.eq(arn.role("aws-us-gov", "1", "r"), "arn:aws-us-gov:iam::1:role/r")
  t.eq(arn.lambda_function("aws", "eu-west-1", "1", "f", "prod"),
    "arn:aws:lambda:eu-west-1:1:function:f:prod")
end)

t.test("ARNs parse, with role names from role and session ARNs", function()
  local a = arn.parse("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live")
  t.eq(a, { partition = "aws-cn", service = "lambda", region = "cn-north-1",
            account = "123456789012", resource = "function:f:live" })
  t.eq(arn.parse("not an arn"), nil)
  t.eq(arn.account("arn:aws:iam::123456789012:role/x"), "123456789012")
  t.eq(arn.role_name("arn:aws:iam::1:role/service-role/path/my-role"), "my-role")
  t.eq(arn.role_name("arn:aws:sts::1:assumed-role/ops/alice"), "ops")
  t.eq(arn.role_name("arn:aws:iam::1:user/alice"), nil)
end)

t.test("exit codes: the one that says most about what was not done wins", function()
  t.eq(exit.combine(), 0)
  t.eq(exit.combine(0, 1), 1)
  t.eq(exit.combine(1, 4), 4)
  t.eq(exit.combine(4, 5, 1), 5)
  t.eq(exit.combine(5, 3), 3)
  t.eq(exit.combine(3, 2), 2)
  t.eq(exit.combine(2, 130, 1), 130)
  t.eq(exit.combine(nil, 1, nil), 1)
  t.eq({ exit.OK, exit.FINDINGS, exit.USAGE, exit.RUNTIME, exit.FIXES_PENDING, exit.PARTIAL,
         exit.INTERRUPTED }, { 0, 1, 2, 3, 4, 5, 130 })
end)

return t.run()
