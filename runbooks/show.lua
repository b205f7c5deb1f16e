--- show: one step in full: what it checks, its arguments, what it reads, what it may fix.
--
--   runbook show STEP [--format text|json] [--plugins DIR]
--
-- STEP is the step discovery finds for that id (triage.catalog), the one a triage would
-- run: a team's override when one wins. Shown: the description, the arguments with their
-- defaults, types (the default's Lua type) and meanings (`arg_help`), tags, needs, the AWS
-- operations it reads (those of the evidence providers its needs name, then its own
-- `reads`) and the writes its fixes may propose (its manifest's `fixes`). Reads no AWS.
-- Exit 0; 2 on a usage error or an unknown step; 3 when the step's file does not load.
local argv = require("triage.argv")
local catalog = require("triage.catalog")
local json = require("runbook.json")

local M = {}

M.usage = "usage: runbook show STEP [--format text|json]"

local function fail(code, fmt, ...)
  io.stderr:write("runbook show: ", fmt:format(...), "\n")
  return code
end

--- The arguments: { id, format } | nil, message.
function M.parse(args)
  local opts, problem = argv.parse(args, { usage = M.usage,
                                           values = { ["--format"] = "string" },
                                           positional = "id" })
  if opts and not opts.help and not opts.id then return nil, "no step given: " .. M.usage end
  return opts, problem
end

-- A default as a runbook would write it: 0.8, true, "text", {"a","b"}.
local function literal(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) == "table" then return json.encode(v) or "{...}" end
  return tostring(v)
end

local function list_or_none(list, none)
  return #list > 0 and table.concat(list, ", ") or none
end

--- The text page of one described step.
function M.render_text(d)
  local out = { ("%s: %s\n"):format(d.id, d.title) }
  if d.description then out[#out + 1] = "  " .. d.description .. "\n" end
  local function field(name, value) out[#out + 1] = ("%-10s %s\n"):format(name, value) end
  out[#out + 1] = "\n"
  field("source", d.source .. (d.origin and (" (" .. d.origin .. ")") or ""))
  if #d.overrides > 0 then field("overrides", table.concat(d.overrides, ", ")) end
  field("tags", list_or_none(d.tags, "none"))
  field("needs", list_or_none(d.needs, "nothing") .. (#d.needs > 0 and "  (? = optional)" or ""))
  out[#out + 1] = "\narguments (set in the runbook, or --arg " .. d.id .. ".NAME=VALUE)\n"
  if #d.arguments == 0 then out[#out + 1] = "  none\n" end
  local w = 4
  for _, a in ipairs(d.arguments) do w = math.max(w, #a.name) end
  for _, a in ipairs(d.arguments) do
    out[#out + 1] = ("  %-" .. w .. "s  %-7s  %-8s  %s\n"):format(a.name, a.type,
      literal(a.default), a.help or "")
  end
  out[#out + 1] = "\nreads (AWS operations)\n"
  for _, op in ipairs(d.reads) do out[#out + 1] = "  " .. op .. "\n" end
  if #d.reads == 0 then out[#out + 1] = "  none declared\n" end
  out[#out + 1] = "\nfixes it may propose\n"
  if d.fixes == nil then
    out[#out + 1] = "  not declared (the step has no `fixes` in its manifest)\n"
  elseif #d.fixes == 0 then
    out[#out + 1] = "  none: it only reports\n"
  end
  for _, op in ipairs(d.fixes or {}) do out[#out + 1] = "  " .. op .. "\n" end
  return (table.concat(out):gsub(" +\n", "\n"))
end

--- The JSON document of one described step.
function M.render_json(d)
  local args = {}
  for _, a in ipairs(d.arguments) do
    args[#args + 1] = { name = a.name, type = a.type, default = a.default,
                        help = a.help or json.null }
  end
  local doc = {
    id = d.id, title = d.title, description = d.description or json.null, source = d.source,
    origin = d.origin or json.null,
    overrides = json.array(d.overrides), tags = json.array(d.tags), needs = json.array(d.needs),
    arguments = json.array(args), reads = json.array(d.reads),
    fixes = d.fixes and json.array(d.fixes) or json.null,
  }
  return assert(json.encode(doc, { pretty = true })) .. "\n"
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail(2, "%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n\nShows one step: description, arguments, tags, needs, the AWS "
      .. "operations it reads\nand the fixes it may propose (docs/writing-steps.md).\n")
    return 0
  end
  local cat = catalog.scan()
  local entry = cat.by_id[opts.id]
  if not entry then
    return fail(2, "unknown step '%s' (`runbook list` shows every step found)", opts.id)
  end
  if entry.problem then
    return fail(3, "step '%s' in %s: %s", opts.id, entry.file, entry.problem)
  end
  local d = catalog.describe(entry, true)
  io.stdout:write(opts.format == "json" and M.render_json(d) or M.render_text(d))
  return 0
end

return M.main(...)
