--- lib.remediate: what every remediation runbook (runbooks/rollback.lua,
--- runbooks/enable-event-sources.lua, a team's own) does around runbook.remedy: read the
--- function first and turn a failed read into the right exit code, and turn the offers'
--- outcomes into one exit code (docs/exit-codes.md).
--
-- One home for both, so a missing function is exit 2 and a fix that could not be applied
-- for lack of a terminal is exit 4 in every remediation runbook alike. Output goes to
-- stderr, prefixed with the runbook's name ("runbook rollback: ...").
local aws = require("runbook.aws")
local core = require("runbook.core")
local exit = require("triage.exit")

local M = {}

--- A function that writes "runbook NAME: message" to stderr and returns `code`:
--- local fail = remediate.failer("rollback"); return fail(2, "no alias '%s'", name)
function M.failer(name)
  return function(code, fmt, ...)
    io.stderr:write("runbook ", name, ": ", fmt:format(...), "\n")
    return code
  end
end

--- Reads the function's configuration ($LATEST, or `qualifier`): cfg | nil, exit code,
--- one-line message ("function 'x' not found in us-east-1").
function M.read_function(name, qualifier)
  local cfg, err = aws.call("lambda", "GetFunctionConfiguration",
    { FunctionName = name, Qualifier = qualifier })
  if cfg then return cfg end
  local region = core.region() or "the configured region"
  if err.code == "ResourceNotFoundException" then
    return nil, exit.USAGE, ("function '%s' not found in %s"):format(name, region)
  end
  return nil, exit.RUNTIME, ("cannot read function '%s': %s: %s"):format(name,
    tostring(err.code), tostring(err.message))
end

--- The exit code for the outcomes of remedy.offer (one per plan offered): 5 when one
--- failed, went stale or was not cleared by its verification; 4 when some were offered
--- but none was applied (no terminal and no --yes, or --dry-run); else 0 (applied, or
--- declined by the operator).
function M.exit_code(outcomes)
  local applied, pending = 0, 0
  for _, o in ipairs(outcomes) do
    if o.status == "failed" or o.status == "stale" or o.status == "not_cleared" then
      return exit.PARTIAL
    elseif o.status == "verified" or o.status == "applied" then
      applied = applied + 1
    elseif o.status == "offered" then
      pending = pending + 1
    end
  end
  if pending > 0 and applied == 0 then return exit.FIXES_PENDING end
  return exit.OK
end

return M
