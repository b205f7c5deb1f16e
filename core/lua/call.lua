--- `runbook call SERVICE OPERATION ['{json params}']`: one AWS call, reply as pretty JSON.
-- Exit codes: 0 success, 1 the call failed (AWS or network error), 2 usage, 3 credentials.
local aws = require("runbook.aws")
local json = require("runbook.json")

local service, operation, params_text = ...
if not service or not operation then
  io.stderr:write("usage: runbook call SERVICE OPERATION ['{json params}']\n")
  return 2
end
local params = {}
if params_text and params_text ~= "" then
  local decoded, err = json.decode(params_text)
  if decoded == nil or type(decoded) ~= "table" then
    io.stderr:write(("runbook: invalid parameters for %s %s: %s\n"):format(
      service, operation, err and err.message or "expected a JSON object"))
    return 2
  end
  params = decoded
end

local result, err = aws.call(service, operation, params)
if not result then
  io.stderr:write(("runbook: %s %s failed: %s: %s\n"):format(service, operation, err.code,
    err.message))
  io.stderr:write(json.encode({ code = err.code, message = err.message, status = err.status,
    request_id = err.request_id, retryable = err.retryable, kind = err.kind },
    { pretty = true }), "\n")
  if err.kind == "setup" then return 3 end -- credentials, region, profile, endpoint
  if err.kind == "usage" then return 2 end -- unknown operation, bad parameters
  return 1
end
io.stdout:write(json.encode(result, { pretty = true }), "\n")
return 0
