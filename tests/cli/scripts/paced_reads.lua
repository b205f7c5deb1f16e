-- N distinct Lambda reads at once (GetFunctionConfiguration of fn-1 .. fn-N, which need
-- not exist), for tests/cli/test_rate_limit_cli.py: they share Lambda's control-plane
-- bucket unless --rate-limit says otherwise. With arg[2] = "adaptive" the script first
-- asks for adaptive retries. Prints one JSON line: the retry mode before and after, the
-- limiter's counters and the client's.
local core = require("runbook.core")
local json = require("runbook.json")

local n = tonumber(arg[1]) or 6
local mode_before, chosen = core.retry_mode()
local switched, why
if arg[2] == "adaptive" then switched, why = core.set_retry_mode("adaptive") end

local reads = {}
for i = 1, n do
  reads[i] = function()
    return aws.call("lambda", "GetFunctionConfiguration", { FunctionName = "fn-" .. i })
  end
end
runbook.all(reads)

print(json.encode({ mode_before = mode_before, chosen = chosen, switched = switched,
  why = why, mode = core.retry_mode(), limiter = core.limiter_stats(),
  stats = core.stats() }))
