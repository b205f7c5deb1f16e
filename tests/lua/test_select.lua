--- Tests of triage.select: --steps expressions over step ids and tags, with globs.
local selection = require("triage.select")
local t = require("testlib")

local STEPS = {
  { id = "config", tags = { "default", "config" } },
  { id = "timeout", tags = { "default", "logs", "metrics" } },
  { id = "vpc", tags = { "default", "network", "vpc", "config" } },
  { id = "cold_start", tags = { "default", "logs", "performance" } },
  { id = "errors", tags = { "default", "logs", "metrics" } },
  { id = "team-dlq", tags = { "team" } },
  { id = "team-tags", tags = { "team", "governance" } },
}

local function pick(expr)
  local tree, err = selection.parse(expr)
  if not tree then return nil, err end
  return selection.select(tree, STEPS)
end

t.test("a_comma_list_of_ids_selects_those_ids_in_step_order", function()
  t.eq(pick("vpc,config"), { "config", "vpc" })
  t.eq(pick("timeout"), { "timeout" })
end)

t.test("an_id_that_is_also_a_tag_selects_only_the_step", function()
  t.eq(pick("config"), { "config" }, "vpc is tagged config but config is an id")
end)

t.test("a_tag_selects_every_step_carrying_it", function()
  t.eq(pick("team"), { "team-dlq", "team-tags" })
  t.eq(pick("logs"), { "timeout", "cold_start", "errors" })
end)

t.test("and_or_not_combine_with_not_binding_tightest", function()
  t.eq(pick("default and not vpc"), { "config", "timeout", "cold_start", "errors" })
  t.eq(pick("(logs or metrics) and not cold_start"), { "timeout", "errors" })
  t.eq(pick("logs or team and governance"), { "timeout", "cold_start", "errors", "team-tags" })
  t.eq(pick("not not vpc"), { "vpc" })
end)

t.test("a_comma_is_or_at_the_lowest_precedence", function()
  t.eq(pick("network and vpc, team-dlq"), { "vpc", "team-dlq" })
  t.eq(pick("(config, vpc) and not network"), { "config" })
end)

t.test("globs_match_ids_and_tags", function()
  t.eq(pick("team-*"), { "team-dlq", "team-tags" })
  t.eq(pick("cold_*"), { "cold_start" })
  t.eq(pick("perf*"), { "cold_start" }, "a tag glob")
  t.eq(pick("vp?"), { "vpc" })
  t.eq(pick("team-*.lua"), nil)
end)

t.test("an_unknown_name_is_an_error_naming_it", function()
  local ids, err, name = pick("default and not vcp")
  t.eq(ids, nil)
  t.eq(name, "vcp")
  t.contains(err, "unknown step 'vcp'")
  local _, err2 = pick("nope-*")
  t.contains(err2, "'nope-*'")
end)

t.test("syntax_errors_name_the_token", function()
  local cases = {
    { "default and", "at the end" },
    { "and vpc", "unexpected 'and'" },
    { "(logs or metrics", "expected ')' before the end" },
    { "logs)", "unexpected ')'" },
    { "config timeout", "unexpected 'timeout'" },
    { "logs & vpc", "unexpected character '&'" },
    { "", "empty expression" },
    { "  ", "empty expression" },
    { "vpc,,config", "unexpected ','" },
  }
  for _, c in ipairs(cases) do
    local tree, err = selection.parse(c[1])
    t.eq(tree, nil, c[1])
    t.contains(err, c[2])
  end
end)

t.test("names_lists_every_name_in_order", function()
  t.eq(selection.names(assert(selection.parse("(a or b) and not c, d"))), { "a", "b", "c", "d" })
end)

return t.run()
