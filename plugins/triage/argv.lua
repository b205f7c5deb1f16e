--- triage.argv: the command line of the small runbook commands (list, show, iam-policy).
--
--   local opts, problem = argv.parse(args, {
--     usage = M.usage,
--     values = { ["--steps"] = "list", ["--format"] = "string" }, -- "--x V" and "--x=V"
--     flags = { ["--fix"] = "fix" },
--     positional = "id",                                         -- at most one
--     -- or many = "files": every other argument, in order, in opts.files
--     formats = { text = true, json = true },                    -- the default
--   })
--
-- Pure: a usage problem comes back as nil, "one line naming it" (the command prints it and
-- exits 2). --help / -h gives { help = true }. --format is checked against spec.formats.
local M = {}

--- Parses `args` (an array of strings) by `spec`: opts | nil, message.
function M.parse(args, spec)
  local opts, i = { format = "text" }, 1
  if spec.many then opts[spec.many] = {} end
  for name, kind in pairs(spec.values or {}) do
    if kind == "list" then opts[name:sub(3)] = {} end
  end
  for _, key in pairs(spec.flags or {}) do opts[key] = false end
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    local kind = (spec.values or {})[name]
    if kind then
      local value = inline
      if not value then
        i = i + 1
        value = args[i]
        if value == nil then return nil, "missing value for " .. name end
      end
      local key = name:sub(3)
      if kind == "list" then opts[key][#opts[key] + 1] = value else opts[key] = value end
    elseif (spec.flags or {})[a] then
      opts[spec.flags[a]] = true
    elseif a == "--help" or a == "-h" then
      return { help = true }
    elseif a:sub(1, 1) ~= "-" and spec.many then
      opts[spec.many][#opts[spec.many] + 1] = a
    elseif a:sub(1, 1) == "-" or not spec.positional or opts[spec.positional] then
      return nil, ("unexpected argument '%s': %s"):format(a, spec.usage)
    else
      opts[spec.positional] = a
    end
    i = i + 1
  end
  if spec.formats and not spec.formats[opts.format] then
    local names = {}
    for name in pairs(spec.formats) do names[#names + 1] = name end
    table.sort(names)
    return nil, ("invalid --format '%s': %s"):format(opts.format, table.concat(names, ", "))
  elseif not spec.formats and opts.format ~= "text" and opts.format ~= "json" then
    return nil, ("invalid --format '%s': text or json"):format(opts.format)
  end
  return opts
end

return M
