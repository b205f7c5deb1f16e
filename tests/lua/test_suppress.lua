--- Tests of triage.suppress: the suppressions file parsed (one-line errors naming the
--- entry), entries split by expiry, and matched against findings by step, function glob,
--- account, region and title.
local suppress = require("triage.suppress")
local json = require("runbook.json")
local t = require("testlib")

local function truthy(v, what) t.eq(not not v, true, what) end
local function falsy(v, what) t.eq(not not v, false, what) end

local function file(entries)
  return assert(json.encode({ version = 1, suppressions = json.array(entries) }))
end

local BASE = { step = "throttle", ["function"] = "batch-*", reason = "nightly batch",
               expires = "2027-01-31" }

local function with(over)
  local e = {}
  for k, v in pairs(BASE) do e[k] = v end
  for k, v in pairs(over) do e[k] = v end
  return e
end

local function parse_one(over)
  return suppress.parse(file({ with(over) }), "s.json")
end

local SUBJECT = { step = "throttle", ["function"] = "batch-orders", account = "123456789012",
                  region = "us-east-1", title = "reserved concurrency is 0: every invocation" }

local function matches(over, subject)
  local entries = assert(parse_one(over))
  return suppress.match(entries, subject or SUBJECT) ~= nil
end

t.test("a valid file parses, each entry numbered by its place", function()
  local entries = assert(suppress.parse(file({ BASE, with({ step = "timeout" }) }), "s.json"))
  t.eq(#entries, 2)
  t.eq(entries[2].index, 2)
  t.eq(entries[2].step, "timeout")
  t.eq(suppress.name(entries[1]), "suppressions[1] (step throttle, function batch-*)")
end)

t.test("an empty list is valid", function()
  t.eq(#assert(suppress.parse('{"version": 1, "suppressions": []}', "s.json")), 0)
end)

t.test("malformed files are one line naming the file and the entry", function()
  local cases = {
    { "{", "s.json: not valid JSON" },
    { '{"version": 2, "suppressions": []}', "s.json: version must be 1 (got 2)" },
    { '{"version": 1}', 's.json: no "suppressions" list' },
    { '{"version": 1, "suppressions": [], "x": 1}', "unknown top-level field 'x'" },
    { file({ BASE, with({ expires = "soon" }) }),
      "s.json: suppressions[2] (step throttle) expires 'soon' is not a date YYYY-MM-DD" },
    { file({ with({ reason = "" }) }), "suppressions[1] (step throttle) has no 'reason'" },
    { file({ with({ step = json.null }) }), "suppressions[1] field 'step' is not a string" },
    { file({ with({ account = "12" }) }), "account '12' is not a 12-digit account id" },
    { file({ with({ tilte = "x" }) }), "has unknown field 'tilte'" },
    { file({ with({ title = "(" }) }), "title '(' is not a valid Lua pattern" },
    { file({ 7 }), "suppressions[1] is not an object" },
  }
  for _, c in ipairs(cases) do
    local entries, err = suppress.parse(c[1], "s.json")
    t.eq(entries, nil)
    truthy(err:find(c[2], 1, true), err)
    t.eq(err:find("\n"), nil)
  end
end)

t.test("an entry suppresses through its expiry date, not after", function()
  local entries = assert(suppress.parse(file({ BASE, with({ expires = "2026-12-01" }) }), "s"))
  local active, expired = suppress.split(entries, "2027-01-31")
  t.eq(#active, 1)
  t.eq(#expired, 1)
  t.eq(expired[1].index, 2)
  active, expired = suppress.split(entries, "2027-02-01")
  t.eq(#active, 0)
  t.eq(#expired, 2)
end)

t.test("function and step are globs, anchored", function()
  truthy(matches({}))
  truthy(matches({ ["function"] = "*" }))
  truthy(matches({ ["function"] = "batch-order?" }))
  falsy(matches({ ["function"] = "batch" }))
  falsy(matches({ ["function"] = "x-batch-*" }))
  truthy(matches({ step = "thr*" }))
  falsy(matches({ step = "timeout" }))
  -- a dash or dot in a glob is literal
  falsy(matches({ ["function"] = "batch.orders" }))
end)

t.test("account and region must equal the function's; unknown ones do not match", function()
  truthy(matches({ account = "123456789012", region = "us-east-1" }))
  falsy(matches({ account = "210987654321" }))
  falsy(matches({ region = "eu-west-1" }))
  local unknown = { step = "throttle", ["function"] = "batch-orders", title = "x" }
  falsy(matches({ account = "123456789012" }, unknown))
end)

t.test("title is a substring or a Lua pattern", function()
  truthy(matches({ title = "concurrency is 0:" }))
  truthy(matches({ title = "^reserved .- is %d" }))
  falsy(matches({ title = "unreserved pool" }))
end)

t.test("apply marks matching findings, never ok or skip ones", function()
  local entries = assert(suppress.parse(file({ with({ title = "throttled" }) }), "s"))
  local steps = { { id = "throttle", findings = {
    { severity = "fail", title = "throttled 5 times" },
    { severity = "ok", title = "throttled never" },
    { severity = "warn", title = "something else" },
  } }, { id = "timeout", findings = { { severity = "fail", title = "throttled" } } } }
  local n = suppress.apply(entries, { name = "batch-orders" }, steps)
  t.eq(n, 1)
  t.eq(steps[1].findings[1].suppressed, { reason = "nightly batch", expires = "2027-01-31",
                                          entry = 1 })
  t.eq(steps[1].findings[2].suppressed, nil)
  t.eq(steps[1].findings[3].suppressed, nil)
  t.eq(steps[2].findings[1].suppressed, nil)
end)

t.test("the first matching entry wins", function()
  local entries = assert(suppress.parse(file({ with({ step = "timeout" }),
    with({ reason = "second" }), with({ reason = "third" }) }), "s"))
  t.eq(suppress.match(entries, SUBJECT).reason, "second")
end)

return t.run()
