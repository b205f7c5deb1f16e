--- The --fix options of the triage command line (triage.cli) and their check against the
--- runbook's steps (triage.fixes.parse).
local t = require("testlib")
local cli = require("triage.cli")
local fixes = require("triage.fixes")

t.test("--fix alone offers every step's fix", function()
  t.eq(cli.parse({ "my-fn", "--fix" }).fix, true)
  t.eq(cli.parse({ "my-fn" }).fix, nil)
end)

t.test("--fix=a,b names steps; repeats add up; a bare --fix does not widen them", function()
  t.eq(cli.parse({ "my-fn", "--fix=timeout,throttle" }).fix, "timeout,throttle")
  t.eq(cli.parse({ "my-fn", "--fix=timeout", "--fix=throttle" }).fix, "timeout,throttle")
  t.eq(cli.parse({ "my-fn", "--fix=timeout", "--fix" }).fix, "timeout")
end)

t.test("--fix STEP (without =) is an error that says to write --fix=STEP", function()
  local opts, problem = cli.parse({ "my-fn", "--fix", "timeout" })
  t.eq(opts, nil)
  t.contains(problem, "write --fix=timeout")
end)

t.test("fixes.parse checks every named step against the runbook's", function()
  local known = { timeout = true, throttle = true }
  t.eq(fixes.parse(true, known), true)
  t.eq(fixes.parse("timeout,throttle", known), { timeout = true, throttle = true })
  local set, problem = fixes.parse("timeout,nosuch", known)
  t.eq(set, nil)
  t.contains(problem, "unknown step 'nosuch' in --fix=timeout,nosuch")
  set, problem = fixes.parse("", known)
  t.eq(set, nil)
  t.contains(problem, "names no step")
end)

return t.run()
