--- enable-event-sources: re-enable a function's event source mappings that are disabled.
--
--   runbook enable-event-sources.lua FUNCTION [--uuid UUID] [--yes] [--dry-run]
--                                    [--journal FILE]
--
-- A disabled mapping (someone paused a queue's consumer during an incident, or Lambda
-- turned it off) leaves messages piling up in the queue or stream with nothing in the
-- function's own metrics to say so. This lists the function's mappings
-- (ListEventSourceMappings, every page), shows each Disabled one with its source ARN, why
-- it was disabled (StateTransitionReason), when, and its last processing result, and
-- offers to re-enable each in turn (UpdateEventSourceMapping Enabled=true) through
-- runbook.remedy: shown, confirmed on the terminal (or --yes), re-read just before it is
-- sent (refused if someone re-enabled or changed it since), journaled (`runbook undo
-- --last` disables it again) and verified with a fresh GetEventSourceMapping. `--uuid`
-- limits it to one mapping.
--
-- Exit codes (docs/exit-codes.md): 0 re-enabled, nothing disabled, or declined; 2 usage, an
-- unknown function, or a UUID that is not one of the function's mappings; 3 the mappings
-- could not be read; 4 offered but not applied (no terminal and no --yes, or --dry-run);
-- 5 a change failed, or a mapping changed in between.
local actions = require("fix.actions")
local argv = require("triage.argv")
local aws = require("runbook.aws")
local exit = require("triage.exit")
local remediate = require("lib.remediate")
local remedy = require("runbook.remedy")
local text = require("lib.text")
local time = require("lib.time")

local M = {}

M.usage = "usage: runbook enable-event-sources.lua FUNCTION [--uuid UUID] [--yes] [--dry-run]"

M.HELP = [[

Finds FUNCTION's event source mappings that are Disabled, shows each (source, why and when
it was disabled, last processing result) and offers to re-enable it. Each change is shown,
confirmed, re-read before it is sent, journaled and verified; `runbook undo --last`
disables it again.

  --uuid UUID        only this mapping
  --yes              approve without asking
  --dry-run          show the changes and send nothing

Exit: 0 done (or nothing disabled), 2 usage or unknown function/mapping,
4 not applied (no terminal and no --yes, or --dry-run), 5 failed.]]

local fail = remediate.failer("enable-event-sources")

--- The arguments: { fn, uuid } | nil, message | { help }.
function M.parse(args)
  local opts, problem = argv.parse(args, { usage = M.usage, values = { ["--uuid"] = "string" },
    positional = "fn" })
  if not opts or opts.help then return opts, problem end
  if not opts.fn then return nil, "give the function: " .. M.usage end
  if opts.uuid == "" then
    return nil, "--uuid needs a mapping's UUID (aws lambda list-event-source-mappings)"
  end
  return { fn = opts.fn, uuid = opts.uuid }
end

--- True for a mapping that is switched off (Disabled; not one Lambda is still disabling).
function M.is_disabled(mapping)
  return mapping.State == "Disabled"
end

local function when(v)
  if v == nil then return "?" end
  if type(v) == "number" then return time.iso(v) end
  return tostring(v)
end

--- A mapping as the operator reads it before the offer (lines).
function M.describe(mapping)
  return {
    ("Event source mapping %s"):format(mapping.UUID),
    ("  source:          %s"):format(tostring(mapping.EventSourceArn or "(self-managed source)")),
    ("  state:           %s (%s, since %s)"):format(tostring(mapping.State),
      tostring(mapping.StateTransitionReason or "no reason given"), when(mapping.LastModified)),
    ("  last processing: %s"):format(tostring(mapping.LastProcessingResult or "none recorded")),
  }
end

--- The plan that re-enables `mapping` (the ListEventSourceMappings item, which holds
--- what GetEventSourceMapping returns), verified with a fresh GetEventSourceMapping.
function M.plan(fn, mapping)
  local uuid = mapping.UUID
  local source = mapping.EventSourceArn or "its source"
  return remedy.plan{
    fix = {
      explain = ("re-enable the mapping from %s (disabled: %s)"):format(source,
        tostring(mapping.StateTransitionReason or "no reason given")),
      plan = { actions.update_event_source_mapping(uuid, { Enabled = true }, mapping) },
      verify = { { what = ("mapping %s is no longer Disabled"):format(uuid),
                   read = { service = "lambda", operation = "GetEventSourceMapping",
                            params = { UUID = uuid } },
                   path = "State", op = "~=", value = "Disabled" } },
    },
    title = ("re-enable %s's event source %s"):format(fn, source),
    step = "enable-event-sources", ["function"] = fn,
    risk = ("%s starts invoking %s again, including the backlog that built up while it was "
      .. "disabled; `runbook undo --last` disables it again"):format(source, fn),
  }
end

-- The function's mappings: list | nil, exit code, message.
local function mappings_of(fn)
  local cfg, code, message = remediate.read_function(fn)
  if not cfg then return nil, code, message end
  local items, err = aws.collect("lambda", "ListEventSourceMappings", { FunctionName = fn })
  if items then return items end
  return nil, exit.RUNTIME, ("cannot list the event source mappings of '%s': %s: %s"):format(fn,
    tostring(err.code), tostring(err.message))
end

-- The mappings to offer: list | nil, exit code, message (exit 0 with a message: nothing to do).
local function select(opts, items)
  if opts.uuid then
    for _, m in ipairs(items) do
      if m.UUID == opts.uuid then
        if M.is_disabled(m) then return { m } end
        return nil, exit.OK, ("mapping %s of %s is %s: nothing to re-enable"):format(m.UUID,
          opts.fn, tostring(m.State))
      end
    end
    local ids = {}
    for _, m in ipairs(items) do ids[#ids + 1] = m.UUID end
    return nil, exit.USAGE, ("function '%s' has no event source mapping '%s' (%s)"):format(opts.fn,
      opts.uuid, #ids > 0 and ("its mappings: " .. text.join(ids, 5)) or "it has none")
  end
  local out = {}
  for _, m in ipairs(items) do
    if M.is_disabled(m) then out[#out + 1] = m end
  end
  if #out == 0 then
    return nil, exit.OK, ("%s has no disabled event source mapping (%s)"):format(opts.fn,
      #items == 0 and "it has none" or (text.plural(#items, "mapping") .. ", none Disabled"))
  end
  return out
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail(exit.USAGE, "%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n", M.HELP, "\n")
    return exit.OK
  end
  local items, code, message = mappings_of(opts.fn)
  if not items then return fail(code, "%s", message) end
  local chosen
  chosen, code, message = select(opts, items)
  if not chosen then
    if code == exit.OK then
      io.stdout:write(message, "\n")
      return exit.OK
    end
    return fail(code, "%s", message)
  end
  local outcomes = {}
  for i, m in ipairs(chosen) do
    io.stderr:write(("\n(%d/%d) "):format(i, #chosen), table.concat(M.describe(m), "\n"), "\n")
    local o = remedy.offer(M.plan(opts.fn, m))
    outcomes[#outcomes + 1] = o
    local done = o.status == "verified" or o.status == "applied"
    io.stdout:write(("%s %s: %s\n"):format(m.UUID, tostring(m.EventSourceArn),
      done and "re-enabled" or ("not re-enabled: " .. tostring(o.reason or o.status))))
    if remedy.quit_requested() then break end
  end
  return remediate.exit_code(outcomes)
end

return M.main(...)
