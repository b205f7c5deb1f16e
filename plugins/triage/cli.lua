--- triage.cli: the triage runbook's command line, parsed into plain options.
--
--   runbook triage.lua FUNCTION [--since 1h|30m|2d|ISO] [--until ISO|now]
--     [--format text|json|markdown|junit|sarif|html] [--output FILE] [--fail-on ok|info|warn|fail|error]
--     [--steps EXPR] [--skip c] [--tag t] [--arg step.key=value] [--step-timeout SECONDS]
--     [--no-color] [--suppressions FILE]
--
-- Pure functions: no AWS, no I/O. A usage problem comes back as nil, "one line naming it";
-- the engine prints it and exits 2. Times are epoch seconds (UTC); `now` is passed in.
local finding = require("triage.finding")
local fleet_options = require("triage.fleet.options")
local time = require("lib.time")

local M = {}

M.usage = "usage: runbook triage.lua FUNCTION [--since 1h|30m|2d|ISO] [--until ISO|now]"
  .. " [--format text|json|markdown|junit|sarif|html] [--output FILE]"
  .. " [--fail-on ok|info|warn|fail|error] [--steps EXPR]"
  .. " [--skip c] [--tag t] [--arg step.key=value] [--step-timeout SECONDS] [--no-color]"
  .. " [--fix[=STEP,...]] [--suppressions FILE]"

--- The fleet's usage line (docs/fleet.md).
M.fleet_usage = "       runbook triage.lua --all [--regions r1,r2 | --all-regions] [--match GLOB]"
  .. " [--tag KEY=VALUE] [--runtime GLOB] [--deep] [--accounts IDS|FILE --role-name NAME"
  .. " [--external-id ID] | --profiles a,b] [--shard K/N] [--parallel N] [report options]"

-- The full help for --help: the usage lines, then what each option does.
M.help = M.usage .. "\n" .. M.fleet_usage .. [[


Diagnoses one Lambda function: every step of the runbook runs at once, read-only.

  FUNCTION            a name, name:qualifier, or a full or partial function ARN
                      (an ARN's region is used unless --region says otherwise)
  --since 1h          start of the window: 30m, 1h, 2d, or an ISO time (default 1h)
  --until now         end of the window: now or an ISO time
  --format text       text (default), json (docs/report-schema.md), markdown, for CI
                      junit (JUnit XML) or sarif (SARIF 2.1.0), or html (one
                      self-contained page with charts; docs/html-report.md)
  --output FILE       write the report to FILE (atomically: all or nothing) instead of
                      stdout
  --fail-on fail      exit 1 when a finding is at or above: ok, info, warn, fail, error
  --steps EXPR        run the steps the expression selects, over ids and tags with
                      globs: a,b  "default and not vpc"  "team-*"  "(logs or metrics)
                      and not cold_start"; may name any step found (runbook list)
  --tag t             of those, run only the steps with one of these tags
  --skip c            then leave these steps out
  --arg step.key=v    set a step's argument (repeatable; typed as its default,
                      JSON for a table): --arg timeout.margin=0.7
  --step-timeout 20   seconds before a step is stopped and reported as ERROR
  --no-color          no colour even on a terminal (also NO_COLOR, TERM=dumb)
  --suppressions F    accepted findings, marked suppressed and left out of the exit
                      code (default .runbook/suppressions.json; docs/suppressions.md)
  --fix               after the report, offer each finding's fix: re-read, show the
                      change and the aws commands, ask Apply? [y/N/a/q] on the terminal,
                      apply, verify, journal (runbook journal, runbook undo)
  --fix=STEP,...      offer only these steps' fixes

A fleet: every function of an account, or of many (docs/fleet.md); --fix is refused.

  --all               triage every function (ListFunctions) of the region
  --regions r1,r2     ... of these regions; --all-regions: every region enabled (EC2)
  --match GLOB        only functions whose name matches (repeatable: any of them)
  --tag KEY=VALUE     only functions with this tag (the value may be a glob)
  --runtime GLOB      only these runtimes (python3.*, nodejs*, image)
  --deep              every step for every function; without it, a function whose
                      metrics show no symptom gets only the configuration checks
  --accounts IDS      these accounts (comma-separated, or a file of ids), assuming
                      --role-name NAME in each (session runbook, --external-id ID)
  --profiles a,b      these profiles of the shared config, each its own account
  --shard K/N         only the K-th of N shares of the (account, region) pairs, for N
                      runners; combine their --format json reports with runbook merge
  --parallel 8        functions triaged at once per account and region

Core options (--region, --profile, --endpoint-url, --plugins, --record, --replay, --debug)
work here too: see `runbook --help`.

Core options --yes (apply without asking), --dry-run (show, send nothing) and
--journal FILE go with --fix.

exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or unknown function,
3 credentials or runtime error, 4 fixes offered but none applied (no terminal and no
--yes, or --dry-run), 5 a fix failed, or in a fleet an account, region or function could
not be read while the rest went on]]

M.formats = { text = true, json = true, markdown = true, junit = true, sarif = true,
               html = true }
M.ranks = finding.RANK

--- ISO 8601 and durations (lib.time), kept here for scripts that used them from triage.cli.
M.parse_iso, M.iso, M.parse_duration = time.parse_iso, time.iso, time.parse_duration

--- A point in time: a duration ago, `now`, or ISO 8601 -> epoch seconds | nil.
local function parse_time(s, now)
  if s == "now" then return now end
  local ago = M.parse_duration(s)
  if ago then return now - ago end
  return M.parse_iso(s)
end

--- The window from --since / --until: {start, finish, seconds, label} | nil, message.
function M.window(since, till, now)
  since, till = since or "1h", till or "now"
  local finish = parse_time(till, now)
  if not finish then
    return nil, ("invalid --until '%s': give now, an ISO 8601 time or a duration such as 30m"):format(till)
  end
  local start
  local span = M.parse_duration(since)
  if span then
    start = finish - span
  else
    start = M.parse_iso(since)
    if not start then
      return nil, ("invalid --since '%s': give a duration (30m, 1h, 2d) or an ISO 8601 time"):format(since)
    end
  end
  if start >= finish then
    return nil, ("empty window: --since %s is not before --until %s"):format(since, till)
  end
  local label = span and till == "now" and since or (M.iso(start) .. " to " .. M.iso(finish))
  return { start = start, finish = finish, seconds = finish - start, label = label }
end

--- The function as given: a name, name:qualifier, or a full / partial ARN.
--- -> {name, qualifier, region, account, partition} | nil, message
function M.parse_function(s)
  local name, qualifier, region, account, partition
  local p, r, a, rest = s:match("^arn:([%w-]+):lambda:([%w-]+):(%d%d%d%d%d%d%d%d%d%d%d%d):function:(.+)$")
  if p then
    partition, region, account = p, r, a
  else
    a, rest = s:match("^(%d%d%d%d%d%d%d%d%d%d%d%d):function:(.+)$")
    if a then account = a else rest = s end
  end
  if s:match("^arn:") and not p then
    return nil, ("invalid function ARN '%s': expected arn:aws:lambda:REGION:ACCOUNT:function:NAME"):format(s)
  end
  name, qualifier = rest:match("^([^:]+):([^:]+)$")
  if not name then name = rest end
  if not name:match("^[%w_-]+$") or #name > 64 then
    return nil, ("invalid function name '%s': letters, digits, - and _ only, at most 64"):format(s)
  end
  if qualifier and not qualifier:match("^[%w$_-]+$") then
    return nil, ("invalid qualifier '%s' in '%s'"):format(qualifier, s)
  end
  return { name = name, qualifier = qualifier, region = region, account = account,
           partition = partition }
end

local function split_list(s)
  local out = {}
  for item in s:gmatch("[^,%s]+") do out[#out + 1] = item end
  return out
end

-- option name -> how it is stored; list options accumulate over repeats
local OPTIONS = {
  ["--since"] = "since", ["--until"] = "until", ["--format"] = "format",
  ["--fail-on"] = "fail_on", ["--steps"] = "steps", ["--skip"] = "skip",
  ["--tag"] = "tags", ["--step-timeout"] = "step_timeout", ["--arg"] = "args",
  ["--output"] = "output",
  ["--suppressions"] = "suppressions",
  -- a fleet (triage.fleet): which functions, where, as whom, which share
  ["--regions"] = "regions", ["--match"] = "match", ["--runtime"] = "runtimes",
  ["--accounts"] = "accounts", ["--role-name"] = "role_name", ["--external-id"] = "external_id",
  ["--profiles"] = "profiles", ["--shard"] = "shard", ["--parallel"] = "parallel",
}
local LISTS = { steps = true, skip = true, tags = true, args = true, regions = true,
                match = true, runtimes = true, accounts = true, profiles = true, fn_tags = true }
-- list options whose values are kept whole (an expression, "step.key=value")
local WHOLE = { steps = true, args = true }
local FLAGS = { ["--no-color"] = "no_color", ["--all"] = "all", ["--all-regions"] = "all_regions",
                ["--deep"] = "deep" }

local function take(opts, key, value)
  if key == "tags" and value:find("=", 1, true) then key = "fn_tags" end -- a function's tag
  if WHOLE[key] then
    opts[key][#opts[key] + 1] = value
  elseif LISTS[key] then
    for _, item in ipairs(split_list(value)) do opts[key][#opts[key] + 1] = item end
  else
    opts[key] = value
  end
end

local function check(opts)
  local fleet, problem = fleet_options.check(opts)
  if problem then return nil, problem end
  opts.fleet = fleet
  if not opts.target and not fleet then
    return nil, "no function given (or --all for every function): " .. M.usage
  end
  if not M.formats[opts.format] then
    return nil, ("invalid --format '%s': text, json, markdown, junit, sarif or html"):format(opts.format)
  end
  if opts.output == "" then
    return nil, "empty --output: give the file to write the report to"
  end
  if M.ranks[opts.fail_on] == nil or opts.fail_on == "skip" then
    return nil, ("invalid --fail-on '%s': ok, info, warn, fail or error"):format(opts.fail_on)
  end
  local t = tonumber(opts.step_timeout)
  if not t or t <= 0 then
    return nil, ("invalid --step-timeout '%s': a number of seconds above 0"):format(opts.step_timeout)
  end
  opts.step_timeout = t
  return opts
end

--- Parses the script's arguments. -> opts | nil, message
--- opts = {target, since, until, format, fail_on, steps = {EXPR...}, skip = {}, tags = {},
---         args = {"step.key=value"...}, step_timeout, no_color, suppressions} or {help = true}
function M.parse(argv)
  local opts = { format = "text", fail_on = "fail", step_timeout = "20", steps = {},
                 skip = {}, tags = {}, args = {}, regions = {}, match = {}, runtimes = {},
                 accounts = {}, profiles = {}, fn_tags = {} }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--fix" then
      -- --fix alone offers every fix; --fix=STEP,... (always with "=", so a function
      -- named after a step is never taken for one) limits them
      if inline then -- --fix=a --fix=b: both
        opts.fix = type(opts.fix) == "string" and (opts.fix .. "," .. inline) or inline
      else
        opts.fix = opts.fix or true
      end
    elseif OPTIONS[name] then
      local value = inline
      if not value then
        i = i + 1
        value = argv[i]
        if value == nil then return nil, ("missing value for %s"):format(name) end
      end
      take(opts, OPTIONS[name], value)
    elseif a == "--help" or a == "-h" then
      return { help = true } -- reaches the script only after `--` (the core takes --help)
    elseif FLAGS[a] then
      opts[FLAGS[a]] = true
    elseif a:sub(1, 1) == "-" and #a > 1 then
      return nil, ("unknown option '%s'"):format(a)
    elseif opts.target then
      if opts.fix then
        return nil, ("unexpected argument '%s': give one function (to offer only some steps' "
          .. "fixes, write --fix=%s)"):format(a, a)
      end
      return nil, ("unexpected argument '%s': give one function"):format(a)
    else
      opts.target = a
    end
    i = i + 1
  end
  return check(opts)
end

return M
