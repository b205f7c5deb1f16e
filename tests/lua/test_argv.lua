--- Unit tests of triage.argv, the command line of list, show and iam-policy.
local argv = require("triage.argv")
local t = require("testlib")

local SPEC = { usage = "usage: x", values = { ["--steps"] = "list", ["--format"] = "string" },
               flags = { ["--fix"] = "fix" }, positional = "id" }

t.test("values in both spellings, repeated lists, flags and one positional", function()
  local opts = argv.parse({ "--steps", "a", "--steps=b or c", "--fix", "timeout",
                            "--format=json" }, SPEC)
  t.eq(opts, { steps = { "a", "b or c" }, fix = true, id = "timeout", format = "json" })
  t.eq(argv.parse({}, SPEC), { steps = {}, fix = false, format = "text" })
end)

t.test("help wins, and every usage problem is one line naming it", function()
  t.eq(argv.parse({ "x", "-h" }, SPEC), { help = true })
  local cases = {
    { { "--steps" }, "missing value for --steps" },
    { { "--bogus" }, "unexpected argument '--bogus': usage: x" },
    { { "a", "b" }, "unexpected argument 'b': usage: x" },
    { { "--format", "yaml" }, "invalid --format 'yaml': text or json" },
  }
  for _, c in ipairs(cases) do
    local opts, problem = argv.parse(c[1], SPEC)
    t.eq(opts, nil)
    t.eq(problem, c[2])
  end
  local _, problem = argv.parse({ "stray" }, { usage = "u" })
  t.eq(problem, "unexpected argument 'stray': u")
end)

t.test("many positionals, in order, and a command's own formats", function()
  local spec = { usage = "u", many = "files", values = { ["--format"] = "string" },
                 formats = { text = true, html = true } }
  t.eq(argv.parse({ "a.json", "--format", "html", "b.json" }, spec),
       { files = { "a.json", "b.json" }, format = "html" })
  local opts, problem = argv.parse({ "--format", "json" }, spec)
  t.eq(opts, nil)
  t.eq(problem, "invalid --format 'json': html, text")
end)

return t.run()
