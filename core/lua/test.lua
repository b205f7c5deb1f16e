--- `runbook test [PATH...] [--verbose]`: runs step tests with no AWS account and no network.
--
-- A test file is `*_test.lua` returning a table (docs/testing-steps.md): a world for the
-- fake AWS server (docs/worlds.md) or a --replay recording, the function, the runbook or
-- steps, arguments, and the expected findings and exit code; `cases = {...}` holds several
-- cases that inherit the file's other fields. For each case this command starts the fake
-- server on 127.0.0.1 (share/runbook/fake_aws/run_with_fake.py, run by /usr/bin/python3
-- with Debian's python3-botocore, or RB_PYTHON), runs the triage through this same binary
-- as a child process (`runbook --endpoint-url URL RUNBOOK FN --format json`) in a clean
-- environment (no AWS_* or RUNBOOK_* variables of the operator, fake credentials, a fresh
-- HOME, instance metadata disabled), and compares the JSON report with the expectations.
-- It prints PASS/FAIL per case with a diff of expected against actual findings and ends
-- with "N passed, M failed".
--
-- Exit codes: 0 every case passed, 1 a case failed, 2 usage or a malformed test file
-- (named with the field at fault; nothing runs then).
--
-- This is core code, embedded in the binary: it starts processes (io.popen, os.execute),
-- which plugins and runbooks may not. It never passes the operator's credentials or
-- endpoints to the child, and never reaches an address but 127.0.0.1.
local json = require("runbook.json")

local M = {}

local usage = "usage: runbook test [PATH...] [--verbose]"
local help = usage .. [[


Runs step tests (*_test.lua) against the fake AWS server or a recording, with no AWS
account and no network. PATH is a test file or a directory searched for *_test.lua
(default: the current directory). See docs/testing-steps.md.

  --verbose, -v     show each run's command line and its stderr

environment: RB_PYTHON (default /usr/bin/python3, which needs Debian's python3-botocore),
RUNBOOK_FAKE_AWS (the fake server's directory, default share/runbook/fake_aws)

exit codes: 0 all passed, 1 a test failed, 2 usage or a malformed test file]]

local SEVERITIES = { ok = 0, skip = 0, info = 1, warn = 2, fail = 3, error = 4 }
local CASE_KEYS = {
  name = "string", world = "world", recording = "string", fn = "string",
  ["function"] = "string", steps = "list", runbook = "string", args = "list",
  plugins = "list", faults = "table", expect = "table", timeout = "number", cases = "table",
  description = "string",
}
local EXPECT_KEYS = { exit = "integer", findings = "table", strict = "boolean", stderr = "string" }
local FINDING_KEYS = {
  step = "string", severity = "string", title = "string", data = "table", evidence = "string",
}
local DEFAULT_TIMEOUT = 120
local MAX_LINE = 240 -- an actual finding is shown cut to this many bytes

--- Shell-quotes one word.
local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The first line a shell command prints (nil when it prints nothing).
local function first_line(cmd)
  local fh = io.popen(cmd, "r")
  if not fh then return nil end
  local line = fh:read("l")
  fh:close()
  return line
end

local function is_file(path)
  return os.execute("test -f " .. q(path)) == true
end

local function is_dir(path)
  return os.execute("test -d " .. q(path)) == true
end

local function read_all(path)
  local fh = io.open(path, "rb")
  if not fh then return "" end
  local text = fh:read("a")
  fh:close()
  return text
end

local function write_file(path, text)
  local fh = assert(io.open(path, "wb"))
  fh:write(text)
  fh:close()
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function relative_to(base_dir, path)
  if path:sub(1, 1) == "/" then return path end
  return base_dir .. "/" .. path
end

-- ---- where things are -------------------------------------------------------------

--- This binary: the parent of the shell io.popen starts is this process.
local function find_binary()
  local exe = first_line("readlink /proc/$PPID/exe 2>/dev/null")
  if exe and exe ~= "" then return exe end
  return nil, "cannot find the runbook binary (/proc/self/exe is unreadable)"
end

--- The fake server's directory: RUNBOOK_FAKE_AWS, else beside the data directory the
--- built-in plugins come from (share/runbook/fake_aws installed, tests/fake_aws in a
--- source tree).
local function find_fake()
  local env = os.getenv("RUNBOOK_FAKE_AWS")
  if env and env ~= "" then
    if is_file(env .. "/run_with_fake.py") then return env end
    return nil, "RUNBOOK_FAKE_AWS='" .. env .. "' holds no run_with_fake.py"
  end
  local dirs = {}
  for entry in package.path:gmatch("[^;]+") do
    local data = entry:match("^(.*)/plugins/%?%.lua$")
    if data then table.insert(dirs, 1, data) end -- the built-ins come last: try them first
  end
  for _, data in ipairs(dirs) do
    for _, sub in ipairs({ "/fake_aws", "/tests/fake_aws" }) do
      if is_file(data .. sub .. "/run_with_fake.py") then return data .. sub end
    end
  end
  return nil, "cannot find the fake AWS server (share/runbook/fake_aws); reinstall runbook"
    .. " or set RUNBOOK_FAKE_AWS to its directory"
end

-- ---- test files -------------------------------------------------------------------

local function list_tests(paths)
  local files = {}
  for _, p in ipairs(paths) do
    if is_dir(p) then
      local fh = io.popen("find " .. q(p) .. " -type f -name '*_test.lua' | LC_ALL=C sort")
      local found = false
      for line in fh:lines() do
        files[#files + 1] = line
        found = true
      end
      fh:close()
      if not found then return nil, "no *_test.lua file under '" .. p .. "'" end
    elseif is_file(p) then
      files[#files + 1] = p
    else
      return nil, "no such test file or directory '" .. p .. "'"
    end
  end
  return files
end

--- What a test file may use: data-building functions only, no I/O.
local function sandbox()
  return {
    ipairs = ipairs, pairs = pairs, tostring = tostring, tonumber = tonumber, type = type,
    string = string, table = table, math = math, json = json, select = select,
  }
end

local function kind_ok(kind, v)
  if kind == "list" then
    if type(v) == "string" then return true end
    if type(v) ~= "table" then return false end
    for _, s in ipairs(v) do
      if type(s) ~= "string" then return false end
    end
    return true
  elseif kind == "world" then
    return type(v) == "string" or type(v) == "table"
  elseif kind == "integer" then
    return math.type(v) == "integer"
  end
  return type(v) == kind
end

local KIND_TEXT = {
  list = "a string or a list of strings", world = "a file path or a table",
  integer = "an integer", number = "a number", string = "a string", table = "a table",
  boolean = "true or false",
}

--- Checks a table's keys against a schema; returns the first bad field's message.
local function check_keys(t, schema, where)
  local names = {}
  for k in pairs(t) do names[#names + 1] = tostring(k) end
  table.sort(names)
  for _, k in ipairs(names) do
    local kind = schema[k]
    if not kind then return where .. k .. ": unknown field" end
    if not kind_ok(kind, t[k]) then
      return where .. k .. ": must be " .. KIND_TEXT[kind]
    end
  end
end

local function check_expect(expect)
  local bad = check_keys(expect, EXPECT_KEYS, "expect.")
  if bad then return bad end
  if expect.stderr and not pcall(string.find, "", expect.stderr) then
    return "expect.stderr: not a valid Lua pattern"
  end
  for i, f in ipairs(expect.findings or {}) do
    local where = ("expect.findings[%d]."):format(i)
    if type(f) ~= "table" then return where:sub(1, -2) .. ": must be a table" end
    bad = check_keys(f, FINDING_KEYS, where)
    if bad then return bad end
    if f.severity and not SEVERITIES[f.severity] then
      return where .. "severity: '" .. f.severity .. "' is not ok, skip, info, warn, fail or error"
    end
    for _, key in ipairs({ "title", "evidence" }) do
      if f[key] and not pcall(string.find, "", f[key]) then
        return where .. key .. ": not a valid Lua pattern"
      end
    end
  end
end

--- Resolves a world: a table, a file relative to the test, or a world of the fake's set.
local function resolve_world(case, dir, fake)
  local w = case.world
  if type(w) == "table" then return true end
  local path = relative_to(dir, w)
  if is_file(path) then
    case.world_path = path
    return true
  end
  for _, name in ipairs({ w, w .. ".json" }) do
    local builtin = fake .. "/../worlds/" .. name
    if not w:find("/") and is_file(builtin) then
      case.world_path = builtin
      return true
    end
  end
  return false
end

--- One case, its file's fields filled in, checked; returns the case or nil, "field: why".
local function make_case(file, base, over, index, fake)
  local case = {}
  for k, v in pairs(base) do
    if k ~= "cases" then case[k] = v end
  end
  for k, v in pairs(over or {}) do case[k] = v end
  local where = over and ("cases[%d]."):format(index) or ""
  local bad = check_keys(case, CASE_KEYS, where)
  if bad then return nil, bad end
  case.fn = case.fn or case["function"]
  if not case.fn then return nil, where .. "fn: missing (the function to triage)" end
  if (case.world ~= nil) == (case.recording ~= nil) then
    return nil, where .. "world: give exactly one of world and recording"
  end
  if not case.expect then return nil, where .. "expect: missing (the expected findings)" end
  bad = check_expect(case.expect)
  if bad then return nil, where .. bad end
  if case.steps and case.runbook then
    return nil, where .. "steps: give steps or runbook, not both (steps run in triage.lua)"
  end
  case.dir = dirname(file)
  if case.world and not resolve_world(case, case.dir, fake) then
    return nil, where .. "world: no file '" .. case.world .. "' beside the test file and no"
      .. " built-in world of that name"
  end
  if case.recording then
    case.recording_path = relative_to(case.dir, case.recording)
    if not is_file(case.recording_path) then
      return nil, where .. "recording: no file '" .. case.recording .. "' beside the test file"
    end
  end
  case.name = case.name or (over and ("case %d"):format(index)) or case.fn
  return case
end

--- Loads one test file; returns its cases or nil, "FILE: field: why".
local function load_file(file, fake, cwd)
  local chunk, err = loadfile(file, "t", sandbox())
  if not chunk then return nil, err end
  local ok, t = pcall(chunk)
  if not ok then return nil, file .. ": " .. tostring(t) end
  if type(t) ~= "table" then return nil, file .. ": must return a table, not " .. type(t) end
  local cases = {}
  if t.cases ~= nil then
    if type(t.cases) ~= "table" or #t.cases == 0 then
      return nil, file .. ": cases: must be a non-empty list of tables"
    end
    for i, over in ipairs(t.cases) do
      if type(over) ~= "table" then
        return nil, ("%s: cases[%d]: must be a table"):format(file, i)
      end
      local case, why = make_case(relative_to(cwd, file), t, over, i, fake)
      if not case then return nil, file .. ": " .. why end
      case.file = file
      cases[#cases + 1] = case
    end
  else
    local case, why = make_case(relative_to(cwd, file), t, nil, 1, fake)
    if not case then return nil, file .. ": " .. why end
    case.file = file
    cases[1] = case
  end
  return cases
end

-- ---- running one case ---------------------------------------------------------------

local function as_list(v)
  if v == nil then return {} end
  if type(v) == "string" then return { v } end
  return v
end

--- The shell command that runs one case; outputs go to files in tmp.
local function command_for(case, ctx, tmp)
  local triage = { q(ctx.binary) }
  for _, d in ipairs(as_list(case.plugins)) do
    triage[#triage + 1] = "--plugins " .. q(relative_to(case.dir, d))
  end
  local env = { "env", "-i", "PATH=" .. q(os.getenv("PATH") or "/usr/bin:/bin"),
    "LANG=C.UTF-8", "HOME=" .. q(tmp .. "/home"), "AWS_EC2_METADATA_DISABLED=true" }
  local pre
  if case.recording then
    triage[#triage + 1] = "--replay " .. q(case.recording_path)
    pre = { "timeout", tostring(case.timeout or DEFAULT_TIMEOUT) }
  else
    if not case.world_path then
      case.world_path = tmp .. "/world.json"
      write_file(case.world_path, json.encode(case.world))
    end
    pre = { q(ctx.python), q(ctx.fake .. "/run_with_fake.py"), "--world", q(case.world_path),
      "--timeout", tostring(case.timeout or DEFAULT_TIMEOUT) }
    if case.faults then
      write_file(tmp .. "/faults.json", json.encode(case.faults))
      pre[#pre + 1] = "--faults " .. q(tmp .. "/faults.json")
    end
    pre[#pre + 1] = "--"
    triage[#triage + 1] = "--endpoint-url @FAKE_AWS_URL@"
  end
  local runbook = case.runbook and relative_to(case.dir, case.runbook) or "triage.lua"
  if case.runbook and not is_file(runbook) then runbook = case.runbook end -- a built-in
  triage[#triage + 1] = q(runbook)
  triage[#triage + 1] = q(case.fn)
  if case.steps then triage[#triage + 1] = "--steps " .. q(table.concat(as_list(case.steps), ",")) end
  for _, a in ipairs(as_list(case.args)) do triage[#triage + 1] = q(a) end
  triage[#triage + 1] = "--format json"
  return ("cd %s && mkdir -p %s && %s %s %s >%s 2>%s"):format(q(case.dir), q(tmp .. "/home"),
    table.concat(env, " "), table.concat(pre, " "), table.concat(triage, " "),
    q(tmp .. "/stdout"), q(tmp .. "/stderr"))
end

local function run_case(case, ctx)
  local tmp = first_line("mktemp -d \"${TMPDIR:-/tmp}/runbook-test.XXXXXX\"")
  if not tmp then return nil, "cannot make a temporary directory" end
  local cmd = command_for(case, ctx, tmp)
  local _, how, code = os.execute(cmd)
  local out, err = read_all(tmp .. "/stdout"), read_all(tmp .. "/stderr")
  os.execute("rm -rf " .. q(tmp))
  if how == "signal" then code = 128 + code end
  return { code = code, out = out, err = err, cmd = cmd }
end

-- ---- comparing ----------------------------------------------------------------------

--- A table matches when every field it gives matches (a list also needs the same length);
--- anything else must be equal.
local function same(expected, actual)
  if type(expected) == "table" then
    if type(actual) ~= "table" then return false end
    if #expected > 0 and #expected ~= #actual then return false end
    for k, v in pairs(expected) do
      if not same(v, actual[k]) then return false end
    end
    return true
  end
  return expected == actual
end

local function matches(want, got)
  if want.step and want.step ~= got.step then return false end
  if want.severity and want.severity ~= got.severity then return false end
  if want.title and not tostring(got.title or ""):find(want.title) then return false end
  if want.data and not same(want.data, got.data or {}) then return false end
  if want.evidence then
    local hit = false
    for _, line in ipairs(got.evidence or {}) do
      if tostring(line):find(want.evidence) then hit = true end
    end
    if not hit then return false end
  end
  return true
end

local function show_value(v)
  if type(v) == "table" then
    local ok, text = pcall(json.encode, v)
    return ok and text or "{...}"
  end
  return tostring(v)
end

local function show_expected(f)
  local parts = { f.step or "*", f.severity or "*", '"' .. (f.title or "") .. '"' }
  if f.data then parts[#parts + 1] = "data=" .. show_value(f.data) end
  if f.evidence then parts[#parts + 1] = 'evidence "' .. f.evidence .. '"' end
  return table.concat(parts, " ")
end

--- An actual finding on one line: its scalar data fields only (series and lists are long),
--- and, for an error, its first evidence lines (it says what failed).
local function show_actual(f)
  local text = ("%s %s %q"):format(f.step, f.severity, f.title or "")
  local keys = {}
  for k, v in pairs(type(f.data) == "table" and f.data or {}) do
    if type(v) ~= "table" then keys[#keys + 1] = tostring(k) end
  end
  table.sort(keys)
  local fields = {}
  for _, k in ipairs(keys) do fields[#fields + 1] = k .. "=" .. show_value(f.data[k]) end
  if #fields > 0 then text = text .. " data{" .. table.concat(fields, ", ") .. "}" end
  if #text > MAX_LINE then text = text:sub(1, MAX_LINE - 3) .. "..." end
  if f.severity == "error" and type(f.evidence) == "table" then
    for i = 1, math.min(3, #f.evidence) do
      text = text .. "\n      " .. tostring(f.evidence[i]):sub(1, MAX_LINE)
    end
  end
  return text
end

--- Why an actual finding of the same step is not the expected one, field by field.
local function differences(want, got)
  local out = {}
  if want.severity and want.severity ~= got.severity then
    out[#out + 1] = ("severity: expected %s, got %s"):format(want.severity, got.severity)
  end
  if want.title and not tostring(got.title or ""):find(want.title) then
    out[#out + 1] = ("title: %q does not match %q"):format(got.title or "", want.title)
  end
  local data = type(got.data) == "table" and got.data or {}
  for k, v in pairs(want.data or {}) do
    if not same(v, data[k]) then
      out[#out + 1] = ("data.%s: expected %s, got %s"):format(k, show_value(v),
        show_value(data[k]))
    end
  end
  if want.evidence and not matches({ evidence = want.evidence }, got) then
    out[#out + 1] = ("evidence: no line matches %q"):format(want.evidence)
  end
  table.sort(out)
  return out
end

--- Every finding of the report, flattened with its step id.
local function actual_findings(report)
  local all = {}
  for _, s in ipairs(type(report.steps) == "table" and report.steps or {}) do
    for _, f in ipairs(s.findings or {}) do
      all[#all + 1] = {
        step = s.id, severity = f.severity, title = f.title, data = f.data,
        evidence = f.evidence,
      }
    end
  end
  return all
end

--- Compares one run with its case; returns a list of diff lines (empty when it passed).
local function compare(case, result)
  local diff, expect = {}, case.expect
  if expect.exit and expect.exit ~= result.code then
    diff[#diff + 1] = ("  exit code: expected %d, got %d"):format(expect.exit, result.code)
  elseif not expect.exit and result.code ~= 0 and result.code ~= 1 then
    diff[#diff + 1] = ("  exit code: %d (the triage did not finish)"):format(result.code)
  end
  if expect.stderr and not result.err:find(expect.stderr) then
    diff[#diff + 1] = ("  stderr: expected to match %q, got:"):format(expect.stderr)
    for line in (result.err ~= "" and result.err or "(empty)"):gmatch("[^\n]+") do
      diff[#diff + 1] = "    " .. line
    end
  end
  local ok, report = pcall(json.decode, result.out)
  if (not ok or type(report) ~= "table") and not expect.findings and expect.exit then
    return diff -- a run that ends before its report (usage, unknown function) is checked
  end             -- by its exit code and stderr alone
  if not ok or type(report) ~= "table" then
    diff[#diff + 1] = "  no JSON report on stdout; stderr:"
    for line in (result.err ~= "" and result.err or "(empty)"):gmatch("[^\n]+") do
      diff[#diff + 1] = "    " .. line
    end
    return diff
  end
  local actual, used, lines = actual_findings(report), {}, {}
  local failed = #diff > 0
  for _, want in ipairs(expect.findings or {}) do
    local hit
    for i, got in ipairs(actual) do
      if not used[i] and matches(want, got) then
        hit = i
        break
      end
    end
    if hit then
      used[hit] = true
    else
      failed = true
      lines[#lines + 1] = "  - " .. show_expected(want)
      for _, got in ipairs(actual) do
        if want.step == nil or got.step == want.step then
          for _, d in ipairs(differences(want, got)) do
            lines[#lines + 1] = ("      vs %s %s: %s"):format(got.step, got.severity, d)
          end
        end
      end
    end
  end
  for i, got in ipairs(actual) do
    if used[i] then
      lines[#lines + 1] = "    " .. show_actual(got)
    elseif expect.strict or (SEVERITIES[got.severity] or 0) >= SEVERITIES.warn then
      failed = true
      lines[#lines + 1] = "  + " .. show_actual(got)
    else
      lines[#lines + 1] = "    " .. show_actual(got) .. "   (not checked)"
    end
  end
  if not failed then return {} end
  diff[#diff + 1] = "  findings (- expected but missing, + present but not expected):"
  for _, l in ipairs(lines) do diff[#diff + 1] = l end
  return diff
end

-- ---- the command ----------------------------------------------------------------------

local function parse(argv)
  local o = { paths = {} }
  for _, a in ipairs(argv) do
    if a == "--help" or a == "-h" then
      o.help = true
    elseif a == "--verbose" or a == "-v" then
      o.verbose = true
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option '" .. a .. "'"
    else
      o.paths[#o.paths + 1] = a
    end
  end
  if #o.paths == 0 then o.paths[1] = "." end
  return o
end

local function fail_usage(message)
  io.stderr:write("runbook test: ", message, "\n")
  return 2
end

--- Loads every file first: one malformed file stops the run before anything starts.
local function load_all(files, fake, cwd)
  local cases, bad = {}, 0
  for _, file in ipairs(files) do
    local list, err = load_file(file, fake, cwd)
    if list then
      for _, c in ipairs(list) do cases[#cases + 1] = c end
    else
      io.stderr:write("runbook test: malformed test file ", err, "\n")
      bad = bad + 1
    end
  end
  return cases, bad
end

function M.main(argv)
  local o, err = parse(argv)
  if not o then return fail_usage(err .. "\n" .. usage) end
  if o.help then
    print(help)
    return 0
  end
  local files
  files, err = list_tests(o.paths)
  if not files then return fail_usage(err) end
  local ctx = { python = os.getenv("RB_PYTHON") or "/usr/bin/python3" }
  ctx.binary, err = find_binary()
  if not ctx.binary then return fail_usage(err) end
  ctx.fake, err = find_fake()
  if not ctx.fake then return fail_usage(err) end
  local cwd = first_line("pwd")
  if not cwd then return fail_usage("cannot read the current directory") end
  local cases, bad = load_all(files, ctx.fake, cwd)
  if bad > 0 then return 2 end
  local passed, failed = 0, 0
  for _, case in ipairs(cases) do
    local result, why = run_case(case, ctx)
    local diff = result and compare(case, result) or { "  " .. why }
    local label = case.file .. ": " .. case.name
    if #diff == 0 then
      passed = passed + 1
      print("PASS " .. label)
    else
      failed = failed + 1
      print("FAIL " .. label)
      for _, line in ipairs(diff) do print(line) end
    end
    if o.verbose and result then
      print("  command: " .. result.cmd)
      for line in result.err:gmatch("[^\n]+") do print("  stderr: " .. line) end
    end
    io.stdout:flush()
  end
  print(("%d passed, %d failed"):format(passed, failed))
  return failed == 0 and 0 or 1
end

return M.main({ ... })
