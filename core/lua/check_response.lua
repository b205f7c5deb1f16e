--- `runbook check-response FILE|- [--api rest|http] [--payload 1.0|2.0]`: checks a
-- handler's return value offline against API Gateway's Lambda proxy-integration rules
-- (core/lua/proxy_response.lua, embedded) and explains every violation on its own line.
-- Default: REST API (payload 1.0). Exit codes: 0 valid, 1 violations, 2 usage.
local json = require("runbook.json")

local usage = "usage: runbook check-response FILE|- [--api rest|http] [--payload 1.0|2.0]"

local function fail_usage(message)
  if message then io.stderr:write("runbook: ", message, "\n") end
  io.stderr:write(usage, "\n")
  return 2
end

local function parse(argv)
  local o = { api = "rest" }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, value = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--api" or name == "--payload" then
      if not value then
        i = i + 1
        value = argv[i]
      end
      if value == nil then return nil, "missing value for option '" .. name .. "'" end
      o[name:sub(3)] = value
    elseif name == "--help" or name == "-h" then
      o.help = true
    elseif a:sub(1, 2) == "--" and a ~= "--" then
      return nil, "unknown option '" .. a .. "'"
    elseif o.file then
      return nil, "more than one file given: '" .. a .. "'"
    else
      o.file = a
    end
    i = i + 1
  end
  if o.help then return o end
  if not o.file then return nil, "no file given (use - for stdin)" end
  if o.api ~= "rest" and o.api ~= "http" then
    return nil, "--api must be rest or http, not '" .. o.api .. "'"
  end
  if o.payload and o.payload ~= "1.0" and o.payload ~= "2.0" then
    return nil, "--payload must be 1.0 or 2.0, not '" .. o.payload .. "'"
  end
  if o.api == "rest" and o.payload == "2.0" then
    return nil, "REST APIs use payload format 1.0 only; use --api http --payload 2.0"
  end
  return o
end

local function read_input(file)
  if file == "-" then return io.stdin:read("a") end
  local fh, err = io.open(file, "rb")
  if not fh then
    local reason = tostring(err):gsub("^[^:]*: ", "")
    return nil, "cannot read '" .. file .. "': " .. reason
  end
  local text = fh:read("a")
  fh:close()
  return text
end

local function main(...)
  local opts, err = parse(table.pack(...))
  if not opts then return fail_usage(err) end
  if opts.help then
    io.stdout:write(usage, "\n")
    return 0
  end
  local proxy = require("runbook.proxy_response")
  local text, rerr = read_input(opts.file)
  if not text then return fail_usage(rerr) end
  local value, jerr = json.decode(text)
  if value == nil then
    return fail_usage(("%s is not JSON: %s (give the value the handler returns, as JSON)")
      :format(opts.file == "-" and "stdin" or "'" .. opts.file .. "'",
      jerr and jerr.message or "empty"))
  end
  local kind = proxy.kind_for(opts.api, opts.payload or "1.0")
  if opts.api == "http" and not opts.payload then kind = "http2" end
  local rules = proxy.kinds[kind]
  local violations, notes = proxy.validate(value, kind)
  local name = opts.file == "-" and "stdin" or opts.file
  for _, line in ipairs(proxy.format(violations)) do io.stdout:write(line, "\n") end
  for _, note in ipairs(notes) do io.stdout:write("note: ", note, "\n") end
  if #violations > 0 then
    io.stdout:write(("%s: %d violation%s of the %s response format: API Gateway answers %d\n")
      :format(name, #violations, #violations == 1 and "" or "s", rules.label, rules.status))
    return 1
  end
  io.stdout:write(("%s: valid %s response\n"):format(name, rules.label))
  return 0
end

return main(...)
