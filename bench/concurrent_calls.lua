-- 50 independent AWS calls, first one after another, then all at once as tasks.
-- Usage: runbook bench/concurrent_calls.lua [COUNT]   (run by bench/concurrent_calls.sh)
local count = tonumber((...)) or 50

local function call(i)
  -- distinct parameters, so the core cannot share one answer between them
  local r, err = aws.iam.GetRole{RoleName = "bench-role-" .. i}
  assert(r or (err and err.code == "NoSuchEntity"), err and err.message)
end

local t0 = runbook.clock()
for i = 1, count do call(i) end
local sequential = runbook.clock() - t0

t0 = runbook.clock()
local fns = {}
for i = 1, count do fns[i] = function() call(count + i) end end
for _, r in ipairs(runbook.all(fns)) do assert(r[1], r[2]) end
local concurrent = runbook.clock() - t0

print(("calls=%d sequential_s=%.3f concurrent_s=%.3f"):format(count, sequential, concurrent))
