-- confirm.lua — asks one question through runbook.fix_scope.confirm (the controlling
-- terminal, /dev/tty) and prints the answer and the --yes/--dry-run options on stdout.
-- Core Lua only: tests/cli/test_confirm_cli.py runs it with `runbook_testhooks
-- --test-core-script` (tests/cmake/hooks.cmake). Argument: the choices (default "ynaq").
local fix_scope = require "runbook.fix_scope"

local choices = ...
print("answer", fix_scope.confirm("Apply the test change?", choices or "ynaq"))
local options = fix_scope.options()
print("options", options.yes, options.dry_run)
