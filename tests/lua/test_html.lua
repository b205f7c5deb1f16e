--- Tests of triage.html (--format html) on hand-made report documents, one function and a
--- fleet: the verdict, the findings with evidence, why, fix commands, plan and suppression,
--- SVG charts with the timeout line and change markers, the fleet table worst first linking
--- to each function's section; every value from AWS escaped (no markup, quote or </script>
--- survives); and triage.series taking the series a run already holds, never reading.
local t = require("testlib")
local chart = require("triage.html.chart")
local html = require("triage.html")
local json = require("runbook.json")
local series = require("triage.series")

local START = 1796559480 -- 2026-12-06T11:38:00Z
local function iso(s) return os.date("!%Y-%m-%dT%H:%M:%SZ", s) end

local function points(values, from)
  local out = {}
  for i, v in ipairs(values) do out[i] = { time = (from or START) + (i - 1) * 60, value = v } end
  return out
end

local function step(id, title, status, findings)
  return { id = id, title = title, status = status, tags = {}, duration_ms = 10,
           findings = findings }
end

local function doc(name, status, steps, extra)
  local d = {
    schema_version = 1, tool = "runbook", version = "9.9.9",
    ["function"] = { name = name, qualifier = json.null, region = "us-east-1",
                     account = "123456789012",
                     arn = "arn:aws:lambda:us-east-1:123456789012:function:" .. name },
    window = { start = iso(START), ["end"] = iso(START + 600), seconds = 600, label = "10m" },
    reference_time = iso(START + 600),
    verdict = { status = status, summary = "timeouts", headline = "timeouts; slow partner",
                counts = { error = 0, fail = 1, warn = 0, info = 0, ok = 1, skip = 0 } },
    steps = steps, duration_ms = 5,
  }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local TIMEOUT = {
  severity = "fail", title = "invocations time out: p99 4.2 s exceeds the 3 s timeout",
  evidence = { "2026-12-06T11:40:00.000Z abc Task timed out after 3.00 seconds" },
  why = "Lambda stops the invocation at the timeout",
  fix = { explain = "raise the timeout", changes = "Timeout 3 s -> 10 s",
          commands = { "aws lambda update-function-configuration --function-name my-fn --timeout 10" },
          plan = { { service = "lambda", operation = "UpdateFunctionConfiguration",
                     params = { FunctionName = "my-fn", Timeout = 10 },
                     before = { Timeout = 3 }, after = { Timeout = 10 },
                     undo = { service = "lambda", operation = "UpdateFunctionConfiguration",
                              params = { FunctionName = "my-fn", Timeout = 3 } } } },
          verify = { { what = "Timeout >= 6" } } },
  confidence = "high", data = {},
}

local DEPLOYER = "arn:aws:sts::123456789012:assumed-role/deploy/ci"
local CHANGE = {
  severity = "fail", title = "since deploy of version 42 at 11:42Z by deploy/ci: 24 % errors",
  evidence = { "errors began after the deploy",
               iso(START + 240) .. " UpdateFunctionCode by " .. DEPLOYER .. ": code",
               iso(START + 420) .. " UpdateAlias by " .. DEPLOYER .. ": alias" },
  why = json.null, fix = json.null, confidence = "medium",
  data = { change = { time = iso(START + 240), who = DEPLOYER,
                      names = "UpdateFunctionCode + PublishVersion" },
           onset = { kind = "errors", time = iso(START + 300) } },
}

local SUPPRESSED = {
  severity = "warn", title = "reserved concurrency is low", evidence = {}, why = json.null,
  fix = json.null, confidence = json.null, data = {},
  suppressed = { reason = "batch job, throttled on purpose", expires = "2027-01-31", entry = 1 },
}

local SERIES = {
  ["Duration:p99"] = { period = 60, points = points({ 900, 1200, 4200, 3900, 4100 }) },
  ["Errors:Sum"] = { period = 60, points = points({ 0, 0, 3, 5, 4 }) },
  ["Throttles:Sum"] = { period = 60, points = points({ 0, 0, 0, 0, 0 }) },
}

local function copy(v)
  if type(v) ~= "table" or v == json.null then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

-- a fresh document each time: the escaping test changes one
local function single()
  return copy(doc("my-fn", "fail", {
    step("timeout", "Timeouts", "fail", { TIMEOUT }),
    step("throttle", "Throttling", "warn", { SUPPRESSED }),
    step("changes", "What changed", "fail", { CHANGE }),
    step("vpc", "VPC networking", "skip", { { severity = "skip", title = "not attached to a VPC",
      evidence = {}, why = json.null, fix = json.null, confidence = json.null, data = {} } }),
  }, { series = SERIES, timeout_s = 3 }))
end

local function count(s, needle)
  local n, at = 0, 1
  while true do
    local i = s:find(needle, at, true)
    if not i then return n end
    n, at = n + 1, i + 1
  end
end

t.test("escape_leaves_no_markup_quote_or_control_character", function()
  t.eq(html.escape('<a href="x">\'&\1\27[31m'), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;??[31m")
  t.eq(html.escape("line\nnext\ttab"), "line\nnext\ttab")
  t.eq(html.escape("bad \255 byte"), "bad \u{FFFD} byte")
end)

t.test("single_report_has_verdict_findings_fix_plan_and_suppression", function()
  local page = html.render(single())
  t.ok(page:find("^<!DOCTYPE html>"), "a doctype first")
  t.contains(page, "<title>runbook triage: my-fn (us-east-1)</title>")
  t.contains(page, '<div class="verdict fail">')
  t.contains(page, "timeouts; slow partner")
  t.contains(page, "invocations time out: p99 4.2 s exceeds the 3 s timeout")
  t.contains(page, "Task timed out after 3.00 seconds")
  t.contains(page, "<b>Why it matters:</b> Lambda stops the invocation at the timeout")
  t.contains(page, "$ aws lambda update-function-configuration --function-name my-fn --timeout 10")
  t.contains(page, "<b>Changes:</b> Timeout 3 s -&gt; 10 s")
  t.contains(page, '<code>lambda UpdateFunctionConfiguration</code>: <code>{&quot;Timeout&quot;:3}'
    .. '</code> &rarr; <code>{&quot;Timeout&quot;:10}</code> <span class="tag">reversible</span>')
  t.contains(page, "<li>Timeout &gt;= 6</li>")
  t.contains(page, '<article class="finding sev warn suppressed"')
  t.contains(page, "suppressed: batch job, throttled on purpose (until 2027-01-31)")
  t.ok(not page:find("not attached to a VPC</pre>", 1, true), "a skip finding has no details")
  t.contains(page, "not attached to a VPC") -- but its row
  -- the worst finding first among the details; the steps table links to it
  local timeout_at = page:find('id="fn-123456789012-us-east-1-my-fn-timeout-1"', 1, true)
  local warn_at = page:find('id="fn-123456789012-us-east-1-my-fn-throttle-1"', 1, true)
  t.ok(timeout_at and warn_at and timeout_at < warn_at, "fail before (suppressed) warn")
  t.contains(page, '<a href="#fn-123456789012-us-east-1-my-fn-timeout-1">')
  t.eq(count(page, "<script"), 1, "one script, the page's own")
  t.contains(page, "<script>" .. require("triage.html.page").SCRIPT .. "</script>")
  t.contains(page, "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-"
    .. require("triage.html.page").SCRIPT_SHA256 .. "'")
  t.ok(not page:find("https?://[%w.]+/[%w/]*%.js"), "no external script")
  t.ok(not page:find("<link", 1, true), "no external style")
  t.ok(not page:find("@import", 1, true) and not page:find("url(", 1, true), "no fetched resource")
end)

t.test("single_report_charts_duration_against_timeout_with_change_markers", function()
  local page = html.render(single())
  t.eq(count(page, '<svg class="chart"'), 3, "Duration, Errors, Throttles")
  t.contains(page, 'aria-label="Duration p99 (ms) over the window: 5 points, peak 4.2 s"')
  t.contains(page, '<line class="threshold"')
  t.contains(page, "timeout 3 s")
  -- the change (data.change and its evidence line at the same time: one marker), the alias
  -- change listed in the evidence, and the onset: on each of the three charts
  t.eq(count(page, '<line class="marker change"'), 6)
  t.eq(count(page, '<line class="marker onset"'), 3)
  t.contains(page, "UpdateFunctionCode + PublishVersion by arn:aws:sts::123456789012:assumed-role/deploy/ci")
  t.ok(page:find('<path class="line" d="M[%d.]+ [%d.]+ L'), "a line through the points")
end)

t.test("chart_breaks_the_line_at_a_gap_and_says_when_there_is_no_data", function()
  local s = { period = 60, points = { { time = START, value = 1 }, { time = START + 60, value = 2 },
                                      { time = START + 300, value = 3 }, { time = START + 360, value = 1 } } }
  local svg = chart.svg({ title = "Errors", series = s, start = START, finish = START + 600 },
    html.escape)
  local d = svg:match('<path class="line" d="([^"]+)"')
  t.eq(select(2, d:gsub("M", "")), 2, "two runs of points")
  local empty = chart.svg({ title = "Errors", series = { period = 60, points = {} }, start = START,
    finish = START + 600 }, html.escape)
  t.contains(empty, "no data points in the window")
  t.eq(chart.format(4200, "ms"), "4.2 s")
  t.eq(chart.format(850, "ms"), "850 ms")
  t.eq(chart.format(0.5), "0.5")
end)

local EVIL = '<script>alert(1)</script>"onmouseover=alert(2) x=\'</script>'

t.test("values_from_aws_are_escaped_everywhere", function()
  local d = single()
  d["function"].name = EVIL
  d["function"].qualifier = EVIL
  d["function"].arn = EVIL
  d.verdict.headline = EVIL
  d.steps[1].title = EVIL
  d.steps[1].id = EVIL
  d.steps[1].findings[1].title = EVIL
  d.steps[1].findings[1].evidence = { EVIL, "line\n" .. EVIL }
  d.steps[1].findings[1].fix.commands = { EVIL }
  d.steps[1].findings[1].fix.plan[1].before = { Timeout = EVIL }
  d.steps[2].findings[1].suppressed.reason = EVIL
  d.steps[3].findings[1].data.change.who = EVIL
  d.steps[3].findings[1].evidence[2] = iso(START + 240) .. " UpdateFunctionCode by " .. EVIL
  local fleet = { schema_version = 1, kind = "fleet", tool = "runbook", version = EVIL,
    window = d.window, reference_time = d.reference_time,
    verdict = { status = "fail", counts = { fail = 1 }, functions = 1, failing = 1 },
    targets = { { account = EVIL, region = EVIL, status = "error", functions = 0, error = EVIL } },
    functions = { d } }
  for _, page in ipairs({ html.render(d), html.render(fleet) }) do
    t.eq(count(page, "<script"), 1, "only the page's own script")
    t.eq(count(page, "</script>"), 1, "only the page's own script ends")
    t.ok(not page:find("alert(1)</", 1, true), "no raw markup")
    t.ok(not page:find('"onmouseover', 1, true), "no quote closes an attribute")
    t.ok(not page:find("'</", 1, true), "no raw single quote before markup")
    t.contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=alert(2) x=&#39;")
    for id in page:gmatch(' id="([^"]*)"') do
      t.ok(id:match("^[%w_-]+$"), "an id of safe characters: " .. id)
    end
    for href in page:gmatch(' href="([^"]*)"') do
      t.ok(href:match("^#[%w_-]+$"), "a link within the page: " .. href)
    end
  end
end)

local function fleet_doc()
  local broken = single()
  local ok = doc("b-ok-fn", "ok", { step("timeout", "Timeouts", "ok", { { severity = "ok",
    title = "no timeouts", evidence = {}, why = json.null, fix = json.null,
    confidence = json.null, data = {} } }) })
  ok.verdict.headline, ok.mode = "no problems found", "config"
  local warned = doc("a-warn-fn", "warn", { step("throttle", "Throttling", "warn", { {
    severity = "warn", title = "reserved concurrency at 80 %", evidence = {}, why = json.null,
    fix = json.null, confidence = json.null, data = {} } }) })
  return { schema_version = 1, kind = "fleet", tool = "runbook", version = "9.9.9",
    window = broken.window, reference_time = broken.reference_time,
    verdict = { status = "error", counts = { error = 0, fail = 1, warn = 1, info = 0, ok = 1,
                skip = 0 }, functions = 3, failing = 2 },
    targets = { { account = "123456789012", region = "us-east-1", status = "ok", functions = 3 },
                { account = "210987654321", region = "eu-west-1", status = "error", functions = 0,
                  error = "cannot assume role fleet-ro: AccessDenied" } },
    -- in the wrong order on purpose: the page sorts worst first, then by name
    functions = { ok, warned, broken } }
end

t.test("fleet_table_worst_first_links_each_function_section", function()
  local page = html.render(fleet_doc())
  t.contains(page, "<title>runbook fleet triage</title>")
  t.contains(page, "2 of 3 functions in 2 targets need attention")
  t.contains(page, "210987654321 eu-west-1: cannot assume role fleet-ro: AccessDenied")
  t.contains(page, '<table class="sortable fleet" id="functions">')
  t.contains(page, '<input type="search" class="search" hidden')
  t.contains(page, "targets read (functions): 123456789012 us-east-1 (3)")
  for _, col in ipairs({ "account", "region", "function", "verdict", "finding" }) do
    t.contains(page, ('<th data-col="%s"'):format(col))
  end
  local names = {}
  local row = '<tr class="sev %a+" data%-i="%d+"><td>[^<]*</td><td>[^<]*</td>'
    .. '<td><a href="#[^"]+">([^<]+)</a>'
  for name in page:gmatch(row) do
    names[#names + 1] = name
  end
  t.eq(names, { "my-fn", "a-warn-fn", "b-ok-fn" })
  for _, name in ipairs(names) do
    local id = "fn-123456789012-us-east-1-" .. name
    t.contains(page, ('<a href="#%s">'):format(id))
    t.ok(page:find(('id="%s"><details'):format(id), 1, true), "a section for " .. name)
  end
  t.contains(page, 'id="fn-123456789012-us-east-1-my-fn"><details open>')
  t.contains(page, 'id="fn-123456789012-us-east-1-b-ok-fn"><details>')
  t.contains(page, '<span class="tag" title="configuration checks only">config</span>')
  t.contains(page, "<td>invocations time out: p99 4.2 s exceeds the 3 s timeout</td>")
  t.eq(count(page, '<svg class="chart"'), 3, "charts for the function that has series")
end)

t.test("two_functions_of_one_name_get_distinct_sections", function()
  local d = fleet_doc()
  d.functions[#d.functions + 1] = single()
  local page = html.render(d)
  t.contains(page, 'id="fn-123456789012-us-east-1-my-fn"><details')
  t.contains(page, 'id="fn-123456789012-us-east-1-my-fn-2"><details')
end)

t.test("a fleet of store entries renders the same page one report at a time", function()
  local store = require("triage.fleet.store")
  local whole = fleet_doc()
  local kept = fleet_doc()
  local decoded = 0
  for i, d in ipairs(kept.functions) do kept.functions[i] = store.entry(d) end
  local parts = html.render(kept, { parts = true, decode = function(e)
    decoded = decoded + 1
    return store.doc(e)
  end })
  t.eq(type(parts), "table")
  t.eq(decoded, 3, "each report decoded once, for its section")
  t.eq(table.concat(parts), html.render(whole))
end)

-- triage.series ------------------------------------------------------------------------

local function task(value) return { done = true, results = table.pack(value) } end

t.test("series_come_from_what_the_run_holds_duration_p99_first", function()
  local s = { period = 60, points = points({ 1, 2 }), total = 3, max = 2 }
  local run = { memo = {
    ["evidence:metric:Duration:Maximum"] = task(s),
    ["evidence:metric:Duration:p99"] = task(s),
    ["evidence:metric:Errors:Sum"] = task({ failed = { code = "AccessDenied" } }),
    ["evidence:metric:Throttles:Sum"] = { done = false },
    ["evidence:config"] = task({ Timeout = 7 }),
  } }
  local got = series.of(run)
  t.eq(got["Duration:p99"].period, 60)
  t.eq(#got["Duration:p99"].points, 2)
  t.eq(got["Duration:Maximum"], nil)
  t.eq(got["Errors:Sum"], nil, "a failed read is no series")
  t.eq(got["Throttles:Sum"], nil, "an unfinished read is no series")
  t.eq(series.timeout_s(run), 7)
  t.eq(series.of({ memo = {} }), nil)
  t.eq(series.timeout_s({ memo = {} }), nil)
end)

t.test("series_from_a_fleet_preset_never_ask_for_what_was_not_read", function()
  local asked = false
  local preset = setmetatable({ ["metric:Duration:Maximum"] = { period = 300,
    points = points({ 5 }) }, config = { Timeout = 30 } },
    { __index = function() asked = true end })
  local run = { memo = {}, preset = preset }
  local got = series.of(run)
  t.eq(got["Duration:Maximum"].period, 300)
  t.eq(series.timeout_s(run), 30)
  t.ok(not asked, "the preset's fallback is not consulted")
  local ok = json.encode(got)
  t.ok(ok, "encodes as JSON")
end)

return t.run()
