--- Tests of triage.junit and triage.sarif on hand-made report documents: every value from
--- AWS is escaped in the XML (markup, quotes, control characters, invalid UTF-8), a fleet of
--- documents gives one testsuite each and one SARIF run, --fail-on picks the failures, and
--- rule ids are the step id plus the finding's kind when its data names one.
local t = require("testlib")
local json = require("runbook.json")
local junit = require("triage.junit")
local sarif = require("triage.sarif")

local NASTY = 'a<b>&"c\'\1\27[31m\255'

local function doc(name, steps)
  return { version = "9.9.9", duration_ms = 1500, steps = steps,
           ["function"] = { name = name, arn = "arn:aws:lambda:us-east-1:123456789012:function:" .. name } }
end

local function step(id, status, findings)
  return { id = id, title = id .. " title", status = status, duration_ms = 20, findings = findings }
end

local function f(severity, title, data)
  return { severity = severity, title = title, evidence = { "e1 " .. NASTY }, why = json.null,
           fix = { explain = "do " .. NASTY, commands = { "aws x --y '<z>'" } }, data = data or {} }
end

local DOCS = {
  doc("one", { step("throttle", "fail", { f("fail", "T " .. NASTY, { code = "zero" }) }),
               step("vpc", "skip", { f("skip", "not in a VPC") }),
               step("config", "warn", { f("warn", "W") }) }),
  doc("two", { step("config", "info", { f("info", "I"), f("ok", "fine") }) }),
}

t.test("escape_leaves_no_markup_or_control_characters", function()
  local s = junit.escape(NASTY)
  t.eq(s, "a&lt;b&gt;&amp;&quot;c&apos;??[31m?")
end)

t.test("junit_one_suite_per_function_failures_from_fail_on", function()
  local xml = junit.render(DOCS, "fail")
  t.contains(xml, '<testsuites name="runbook triage" tests="4" failures="1" errors="0" skipped="1">')
  t.contains(xml, '<testsuite name="arn:aws:lambda:us-east-1:123456789012:function:one" tests="3"'
    .. ' failures="1" errors="0" skipped="1" time="1.500">')
  t.contains(xml, '<testcase classname="arn:aws:lambda:us-east-1:123456789012:function:two"'
    .. ' name="config" time="0.020"/>')
  t.contains(xml, '<failure message="T a&lt;b&gt;&amp;&quot;c&apos;??[31m?" type="fail">')
  t.contains(xml, "fix: do a&lt;b&gt;")
  t.contains(xml, "$ aws x --y &apos;&lt;z&gt;&apos;")
  t.contains(xml, '<skipped message="not in a VPC"/>')
  t.ok(not xml:find("[\1-\8\27\128-\255]"), "no raw control or high bytes")
  local warn = junit.render(DOCS, "warn")
  t.contains(warn, 'tests="4" failures="2"')
  t.contains(junit.render(DOCS, "info"), 'tests="4" failures="3"')
end)

t.test("sarif_one_run_rules_by_step_and_kind", function()
  local log = sarif.log(DOCS)
  t.eq(log.version, "2.1.0")
  t.eq(#log.runs, 1)
  local run = log.runs[1]
  t.eq(run.tool.driver.name, "runbook")
  t.eq(run.tool.driver.version, "9.9.9")
  local ids = {}
  for i, r in ipairs(run.tool.driver.rules) do ids[i] = r.id end
  t.eq(table.concat(ids, ","), "throttle/zero,config")
  local levels = {}
  for i, r in ipairs(run.results) do levels[i] = r.ruleId .. "=" .. r.level end
  t.eq(table.concat(levels, ","), "throttle/zero=error,config=warning,config=note")
  t.eq(run.results[1].message.text, "T a<b>&\"c'\1\27[31m?") -- invalid UTF-8 -> ?
  t.eq(run.results[3].ruleIndex, 1)
  t.eq(run.results[3].locations[1].logicalLocations[1].fullyQualifiedName,
    "arn:aws:lambda:us-east-1:123456789012:function:two")
  t.ok(json.decode(sarif.render(DOCS)).runs, "renders as JSON")
end)

t.test("suppressed_findings_are_no_failures_and_sarif_suppressions", function()
  local g = f("fail", "accepted")
  g.suppressed = { reason = "on purpose", expires = "2099-01-01" }
  local docs = { doc("three", { step("throttle", "ok", { g }) }) }
  t.contains(junit.render(docs, "fail"), 'failures="0"')
  local res = sarif.log(docs).runs[1].results[1]
  t.eq(res.suppressions[1].kind, "external")
  t.eq(res.suppressions[1].justification, "on purpose")
end)

t.test("sarif_rule_kind_only_when_stable", function()
  t.eq(sarif.rule_id("s", { data = { kind = "a b" } }), "s")
  t.eq(sarif.rule_id("s", { data = { reason_code = "EniLimitExceeded" } }), "s/EniLimitExceeded")
  t.eq(sarif.rule_id("s", { data = json.null }), "s")
end)

return t.run()
