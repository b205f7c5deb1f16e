--- Tests of lib.changes: CloudTrail items read as changes (versioned Lambda event names,
--- IAM names), deploys grouped, the onset of a failure in the metrics, and the change
--- that most likely caused it.
local changes = require("lib.changes")
local json = require("runbook.json")
local t = require("testlib")

local T0 = 1796000000 -- a minute boundary
local CI = "arn:aws:sts::111122223333:assumed-role/deploy/ci"

local function item(name, at, params, resp, extra)
  local ev = { eventVersion = "1.08", eventTime = os.date("!%Y-%m-%dT%H:%M:%SZ", at),
               eventSource = "lambda.amazonaws.com", eventName = name,
               awsRegion = "eu-west-1", eventID = name .. at,
               userIdentity = { type = "AssumedRole", arn = CI },
               requestParameters = params or json.null, responseElements = resp or json.null }
  for k, v in pairs(extra or {}) do ev[k] = v end
  return { EventId = ev.eventID, EventName = name, EventTime = at, Username = "ci",
           CloudTrailEvent = json.encode(ev) }
end

local function series(values, step)
  local pts = {}
  for i, v in ipairs(values) do pts[i] = { time = T0 + (i - 1) * (step or 60), value = v } end
  return { points = pts, period = step or 60 }
end

t.test("base_name_strips_the_api_version_lambda_writes", function()
  t.eq(changes.base_name("UpdateFunctionCode20150331v2"), "UpdateFunctionCode")
  t.eq(changes.base_name("UpdateFunctionConfiguration20150331v2"), "UpdateFunctionConfiguration")
  t.eq(changes.base_name("PublishVersion20150331"), "PublishVersion")
  t.eq(changes.base_name("PutFunctionConcurrency20171031"), "PutFunctionConcurrency")
  t.eq(changes.base_name("PutRolePolicy"), "PutRolePolicy")
end)

t.test("parse_event_reads_who_when_and_what_from_the_cloudtrail_json", function()
  local c = changes.parse_event(item("UpdateFunctionCode20150331v2", T0 + 60,
    { functionName = "checkout" }, { codeSha256 = "NEWSHA=", version = "$LATEST" }))
  t.eq(c.name, "UpdateFunctionCode")
  t.eq(c.event_name, "UpdateFunctionCode20150331v2")
  t.eq(c.kind, "code")
  t.eq(c.time, T0 + 60)
  t.eq(c.who, CI)
  t.eq(c.short, "deploy/ci")
  t.eq(c.info.code_sha256, "NEWSHA=")
  t.contains(c.what[1], "CodeSha256 NEWSHA=")
end)

t.test("parse_event_lists_the_configuration_fields_that_changed", function()
  local c = changes.parse_event(item("UpdateFunctionConfiguration20150331v2", T0,
    { functionName = "checkout", timeout = 3, memorySize = 128 }))
  t.eq(c.info.fields, { "memorySize", "timeout" })
  t.eq(c.what[1], "changed memorySize, timeout")
end)

t.test("parse_event_ignores_reads_unknown_names_and_refused_calls", function()
  t.eq(changes.parse_event(item("GetFunction20150331v2", T0)), nil)
  t.eq(changes.parse_event(item("UpdateFunctionCode20150331v2", T0, nil, nil,
    { errorCode = "AccessDenied" })), nil)
  t.eq(changes.parse_event({ EventName = "x" }), nil)
  t.eq(changes.parse_event(nil), nil)
end)

t.test("parse_event_reads_iam_role_changes", function()
  local c = changes.parse_event(item("DetachRolePolicy", T0,
    { roleName = "checkout-role", policyArn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" }))
  t.eq(c.kind, "role policy")
  t.eq(c.info.role, "checkout-role")
  t.contains(c.what[1], "AmazonS3ReadOnlyAccess")
end)

t.test("a_deploy_is_one_identity_s_changes_close_together", function()
  local cs = changes.parse_events(
    { item("UpdateAlias20150331", T0 + 120, { name = "live", functionVersion = "42" }),
      item("UpdateFunctionCode20150331v2", T0 + 60, {}, { codeSha256 = "NEW=" }) },
    { item("PublishVersion20150331", T0 + 90, {}, { version = "42" }),
      item("UpdateFunctionCode20150331v2", T0 + 60, {}, { codeSha256 = "NEW=" }) })
  t.eq(#cs, 3, "the event read twice counts once")
  local groups = changes.group(cs)
  t.eq(#groups, 1)
  t.eq(groups[1].version, "42")
  t.eq(groups[1].alias, "live")
  t.eq(changes.names(groups[1]), "UpdateFunctionCode + PublishVersion + UpdateAlias")
end)

t.test("onset_is_the_first_period_errors_rise_and_stay", function()
  local m = { invocations = series({ 1000, 1000, 1000, 1000, 1000 }),
              errors = series({ 1, 1, 240, 250, 230 }) }
  local o = changes.onset(m)
  t.eq(o.kind, "errors")
  t.eq(o.time, T0 + 120)
  t.eq(changes.pct(o.before), "0.1 %")
  t.eq(changes.pct(o.after), "24 %")
end)

t.test("no_onset_when_errors_were_always_there_or_never", function()
  t.eq(changes.onset({ invocations = series({ 100, 100, 100 }), errors = series({ 0, 1, 0 }) }), nil)
  t.eq(changes.onset({ invocations = series({ 100, 100, 100 }),
                       errors = series({ 30, 30, 30 }) }), nil)
end)

t.test("onset_finds_duration_growth", function()
  local o = changes.onset({ duration = series({ 200, 210, 190, 900, 950 }) })
  t.eq(o.kind, "duration")
  t.eq(o.time, T0 + 180)
end)

t.test("likely_cause_is_the_last_change_before_the_onset", function()
  local early = { time = T0 - 7200, changes = {}, who = "a" }
  local deploy = { time = T0 + 100, changes = {}, who = "b" }
  local late = { time = T0 + 600, changes = {}, who = "c" }
  local g = changes.likely_cause({ early, deploy, late }, { time = T0 + 60 }, 60)
  t.eq(g, deploy, "a change inside the onset's period counts")
  t.eq(changes.likely_cause({ early }, { time = T0 + 60 }, 60), nil, "too long before")
  t.eq(changes.likely_cause({ late }, { time = T0 + 60 }, 60), nil, "after the onset")
end)

t.test("sentence_and_headline_say_who_when_what_and_before_after", function()
  local cs = changes.parse_events({
    item("UpdateFunctionCode20150331v2", T0 + 60, {}, { codeSha256 = "NEW=" }),
    item("PublishVersion20150331", T0 + 70, {}, { version = "42" }) })
  local g = changes.group(cs)[1]
  local onset = { kind = "errors", time = T0 + 240, before = 0.001, after = 0.24 }
  local s = changes.sentence(g, onset)
  t.contains(s, "errors went from 0.1 % to 24 % 3 min after UpdateFunctionCode + PublishVersion")
  t.contains(s, "by " .. CI .. " at " .. os.date("!%H:%MZ", T0 + 60))
  t.contains(s, "CodeSha256 changed")
  t.eq(changes.headline(g, onset),
       ("since deploy of version 42 at %s by deploy/ci: 24 %% errors"):format(
         os.date("!%H:%MZ", T0 + 60)))
end)

t.test("impact_measures_rates_and_p95_before_and_after", function()
  local m = { invocations = series({ 100, 100, 100, 100 }), errors = series({ 0, 0, 50, 50 }),
              duration = series({ 200, 200, 800, 900 }) }
  local i = changes.impact(m, T0 + 120)
  t.eq(i.errors.before, 0)
  t.eq(i.errors.after, 0.5)
  t.eq(i.duration.before, 200)
  t.ok(i.duration.after >= 800)
end)

t.test("alias_before_is_the_version_of_the_change_before_the_latest", function()
  local cs = changes.parse_events({
    item("CreateAlias20150331", T0 - 86400, { name = "live", functionVersion = "40" }),
    item("UpdateAlias20150331", T0 - 3600, { name = "live", functionVersion = "41" }),
    item("UpdateAlias20150331", T0 - 1800, { name = "canary", functionVersion = "42" }),
    item("UpdateAlias20150331", T0, { name = "live", functionVersion = "42" }) })
  local v, last = changes.alias_before(cs, "live", "42")
  t.eq(v, "41")
  t.eq(last.time, T0)
  local none, why = changes.alias_before(cs, "live", "43")
  t.eq(none, nil)
  t.contains(why, "it now points at 43")
  t.eq(changes.alias_before(cs, "canary", "42"), nil, "no change before the only one")
  t.eq(changes.alias_before(cs, "prod", "1"), nil)
end)

return t.run()
