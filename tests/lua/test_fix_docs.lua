--- Runs the examples of docs/fix-plans.md, so the guide step authors read cannot rot: each
--- `lua` block followed by an `sh` block returns a fix, whose normalized commands must be
--- the `sh` block's lines exactly.
local t = require("testlib")
local plan = require("fix.plan")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local path = here .. "/../../docs/fix-plans.md"
local fh = assert(io.open(path, "r"))
local text = fh:read("a")
fh:close()

-- Fenced blocks in order: { lang = "lua", body = "...", line = n }.
local blocks, n = {}, 0
local current
for line in (text .. "\n"):gmatch("(.-)\n") do
  n = n + 1
  local fence = line:match("^```(%w*)%s*$")
  if fence and not current then
    current = { lang = fence, lines = {}, line = n }
  elseif fence and fence == "" and current then
    current.body = table.concat(current.lines, "\n")
    blocks[#blocks + 1] = current
    current = nil
  elseif current then
    current.lines[#current.lines + 1] = line
  end
end

local examples = 0
for i, b in ipairs(blocks) do
  local nextb = blocks[i + 1]
  if b.lang == "lua" and nextb and nextb.lang == "sh" then
    examples = examples + 1
    t.test(("example_at_line_%d_renders_as_documented"):format(b.line), function()
      local chunk = assert(load(b.body, "=fix-plans.md:" .. b.line, "t", _ENV))
      local fix = chunk()
      local ok, err = plan.validate(fix.plan, fix.verify)
      t.eq(err, nil)
      t.eq(ok, true)
      t.eq(plan.normalize(fix).commands, nextb.lines)
    end)
  end
end

t.test("the_guide_has_examples", function()
  t.ok(examples >= 5, ("found %d examples"):format(examples))
end)

return t.run()
