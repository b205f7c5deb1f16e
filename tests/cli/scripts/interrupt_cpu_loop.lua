-- A task that never yields and swallows every error with pcall: used by
-- tests/cli/test_interrupt_cli.py, which sends a signal once "ready" is printed.
local function spin()
  local n = 0
  while true do n = (n + 1) % 1000 end
end
local stubborn = runbook.spawn(function()
  io.stdout:write("ready\n")
  io.stdout:flush()
  while true do pcall(spin) end
end)
runbook.join(stubborn)
print("not interrupted")
