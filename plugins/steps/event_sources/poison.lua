--- steps.event_sources.poison: a message or record that fails every time it is delivered,
--- found in the log lines.
--
-- An SQS message that makes the function fail comes back after its visibility timeout
-- until maxReceiveCount (or forever without a redrive policy); a stream record blocks its
-- shard until it expires. Functions usually log the id of what they were processing, so
-- the same SQS messageId (a UUID), Kinesis sequence number (20+ digits) or DynamoDB
-- eventID (32 hex digits) in the error lines of several invocations is a poison message.
-- Each invocation's own request id (also a UUID) is not a candidate. Pure: no AWS calls.
local logs = require("evidence.logs")

local M = {}

-- Words that make a log line an error line.
local ERROR_WORDS = { "ERROR", "Error", "error", "Exception", "exception", "FAIL", "fail",
                      "Traceback", "Task timed out" }

local function is_error(message)
  for _, w in ipairs(ERROR_WORDS) do
    if message:find(w, 1, true) then return true end
  end
  return false
end

local UUID = "%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x"

--- The candidate ids in one line: UUIDs other than `request_id`, long digit runs, and
--- 32-hex-digit ids (a DynamoDB eventID), each once.
function M.ids(message, request_id)
  local found, seen = {}, {}
  local function add(id)
    if id ~= request_id and not seen[id] then seen[id] = true; found[#found + 1] = id end
  end
  for id in message:gmatch(UUID) do add(id) end
  for id in message:gmatch("%d+") do
    if #id >= 20 then add(id) end
  end
  for id in message:gmatch("%x+") do
    if #id == 32 and id:find("%a") and id:find("%d") then add(id) end
  end
  return found
end

--- The ids seen in the error lines of at least `repeats` different invocations, most
--- first: { { id, invocations, first = event, last = event }, ... }.
function M.repeated(events, repeats)
  local by_id, order = {}, {}
  for _, e in ipairs(events or {}) do
    local message = e.message or ""
    if is_error(message) then
      local request_id = logs.request_id(message)
      for _, id in ipairs(M.ids(message, request_id)) do
        local hit = by_id[id]
        if not hit then
          hit = { id = id, requests = {}, invocations = 0, first = e }
          by_id[id] = hit
          order[#order + 1] = hit
        end
        local key = request_id or e.stream or tostring(e.time)
        if not hit.requests[key] then
          hit.requests[key] = true
          hit.invocations = hit.invocations + 1
        end
        hit.last = e
      end
    end
  end
  local out = {}
  for _, hit in ipairs(order) do
    if hit.invocations >= repeats then
      hit.requests = nil
      out[#out + 1] = hit
    end
  end
  table.sort(out, function(a, b) return a.invocations > b.invocations end)
  return out
end

return M
