-- luacheck settings for a team's runbook directory (steps/, evidence/, runbooks, *_test.lua):
-- copy this file to the directory's root and run `luacheck .` there. It is what the
-- project's own .luacheckrc applies to examples/ (`luacheck plugins runbooks examples ...`).
std = "lua54"
max_line_length = 110
-- Runbook scripts get these conveniences as globals (core/lua_env.c); steps and evidence
-- modules should `local x = require("runbook.json")` instead, but may read them.
read_globals = { "aws", "runbook", "json" }
-- A step test (`runbook test`, docs/testing-steps.md) runs with `json` and the safe parts
-- of the standard library only: flag anything else it touches.
files["**/*_test.lua"] = {
  std = "none",
  read_globals = { "json", "string", "table", "math", "pairs", "ipairs", "select", "type",
                   "tostring", "tonumber" },
}
