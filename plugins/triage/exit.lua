--- triage.exit: the exit codes of runbook, one table (docs/exit-codes.md).
--
-- Scripts, CI jobs and wrappers branch on these numbers, so they never change meaning.
-- When several apply, the one that says the most about what was NOT done wins:
--   130 interrupted > 2 usage > 3 runtime/credentials > 5 partial > 4 fixes pending
--   > 1 findings > 0 ok
-- (an interrupted run finished nothing; a usage error ran nothing; a run without
-- credentials read nothing; a partial run's report has holes; pending fixes are findings
-- someone still has to act on).
local M = {}

M.OK = 0           -- nothing at or above --fail-on
M.FINDINGS = 1     -- findings at or above --fail-on, or `runbook call` got an AWS error
M.USAGE = 2        -- bad arguments, unknown step or function: nothing was diagnosed
M.RUNTIME = 3      -- no credentials, no region, unreachable endpoint: nothing could be read
M.FIXES_PENDING = 4 -- fixes were offered but none applied (no terminal and no --yes)
M.PARTIAL = 5      -- some functions, accounts or fixes failed while the rest went on
M.INTERRUPTED = 130 -- SIGINT (Ctrl-C); SIGTERM gives 143

-- Higher wins.
local PRECEDENCE = { [0] = 0, [1] = 1, [4] = 2, [5] = 3, [3] = 4, [2] = 5, [143] = 6, [130] = 7 }

--- The code that wins among several (nil entries ignored): combine(1, 4) == 4.
function M.combine(...)
  local best = M.OK
  for i = 1, select("#", ...) do
    local code = select(i, ...)
    if code ~= nil and (PRECEDENCE[code] or 0) > (PRECEDENCE[best] or 0) then best = code end
  end
  return best
end

return M
