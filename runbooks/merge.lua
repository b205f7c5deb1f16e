--- merge: one fleet report from the JSON reports of several runs.
--
--   runbook merge [--format text|json|markdown|junit|sarif|html] [--output FILE]
--     [--fail-on ok|info|warn|fail|error] REPORT.json...
--
-- N runners of a scheduler each triage a share of the fleet (--shard K/N --format json);
-- this combines their reports, fleet documents or single-function reports alike, into one
-- fleet document (docs/fleet.md) and renders it in any format. A function found in two
-- reports is kept once (the first); a target that could not be read in any of them stays
-- reported. Reads no AWS. Exit as a fleet triage: 0, 1 when a finding is at or above
-- --fail-on, 2 on a usage error or a file that is not a runbook JSON report.
local argv = require("triage.argv")
local cli = require("triage.cli")
local finding = require("triage.finding")
local fleet_report = require("triage.fleet.report")
local json = require("runbook.json")
local report = require("triage.report")

local M = {}

M.usage = "usage: runbook merge [--format text|json|markdown|junit|sarif|html] [--output FILE]"
  .. " [--fail-on ok|info|warn|fail|error] REPORT.json..."

local function fail(fmt, ...)
  io.stderr:write("runbook merge: ", fmt:format(...), "\n")
  return 2
end

--- The arguments: {format, output, fail_on, files = {...}} | nil, message
function M.parse(args)
  local opts, problem = argv.parse(args, { usage = M.usage, many = "files",
    formats = cli.formats,
    values = { ["--format"] = "string", ["--output"] = "string", ["--fail-on"] = "string" } })
  if not opts or opts.help then return opts, problem end
  opts.fail_on = opts["fail-on"] or "fail"
  if finding.RANK[opts.fail_on] == nil or opts.fail_on == "skip" then
    return nil, ("invalid --fail-on '%s': ok, info, warn, fail or error"):format(opts.fail_on)
  end
  if #opts.files == 0 then return nil, "no reports given: " .. M.usage end
  return opts
end

--- One report file, decoded and checked: doc | nil, message
function M.load(path)
  local opened, fh, err = pcall(io.open, path, "r")
  if not opened or not fh then
    return nil, ("cannot read '%s': %s"):format(path, tostring(opened and err or "not readable"))
  end
  local body = fh:read("a")
  fh:close()
  local doc, problem = json.decode(body or "")
  if type(doc) ~= "table" then
    return nil, ("'%s' is not JSON (%s): give reports written with --format json")
      :format(path, tostring(problem and (problem.message or problem) or "not an object"))
  end
  if doc.tool ~= "runbook" or doc.schema_version ~= 1 then
    return nil, ("'%s' is not a runbook report (schema_version 1): give reports written "
      .. "with --format json"):format(path)
  end
  local list = doc.kind == "fleet" and doc.functions or (doc.steps and { doc })
  if type(list) ~= "table" then
    return nil, ("'%s' has neither functions nor steps: a truncated report?"):format(path)
  end
  return doc
end

function M.main(...)
  local opts, problem = M.parse(table.pack(...))
  if not opts then return fail("%s", problem) end
  if opts.help then
    io.stdout:write(M.usage, "\n")
    return 0
  end
  local parts = {}
  for _, path in ipairs(opts.files) do
    local doc, why = M.load(path)
    if not doc then return fail("%s", why) end
    parts[#parts + 1] = doc
  end
  local doc, why = fleet_report.merge(parts)
  if not doc then return fail("%s", why) end
  local written, unwritten = report.emit(fleet_report.render(doc, opts), opts)
  if not written then
    io.stderr:write("runbook merge: ", unwritten, "\n")
    return 3
  end
  return fleet_report.exit_code(doc, opts.fail_on, finding.RANK)
end

return M.main(...)
