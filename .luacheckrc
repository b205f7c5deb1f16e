-- luacheck settings for every Lua file of the project (run by the lua_lint test).
std = "lua54"
max_line_length = 110
-- Scripts run by `runbook` get these conveniences as globals (core/lua_env.c).
files["tests/cli/scripts"] = { read_globals = { "aws", "runbook", "json" } }
files["bench"] = { read_globals = { "aws", "runbook", "json" } }
-- Editor stubs declare the API they describe.
files["plugins/meta"] = { allow_defined_top = true, ignore = { "212", "631" } }
