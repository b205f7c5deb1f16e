--- triage.select: `--steps` expressions over step ids and tags, as nmap's `--script`.
--
--   local select = require("triage.select")
--   local tree, err = select.parse("(logs or metrics) and not cold_start")
--   local ids, err = select.select(tree, steps)  -- steps: { {id =, tags = {}}, ... }
--
-- Grammar (lowest binding first; a comma is "or", so "a,b" keeps meaning both):
--   list    := expr { "," expr }
--   expr    := term { "or" term }
--   term    := factor { "and" factor }
--   factor  := "not" factor | "(" list ")" | NAME
-- A NAME is letters, digits and _ - . : / with the globs * (any run) and ? (one character).
-- A plain NAME that is some step's id selects that step only (so `--steps config` stays the
-- config step, not every step tagged config); otherwise it selects the steps carrying it as
-- a tag. A glob matches ids and tags alike. A NAME that matches no id and no tag is an
-- error, as is a syntax error; both name the token. Pure: no I/O, no AWS.
local text = require("lib.text")

local M = {}

local KEYWORDS = { ["and"] = true, ["or"] = true, ["not"] = true }

-- "a and (b,c)" -> { {kind, text, pos}, ... } | nil, message
local function tokenize(s)
  local tokens, i = {}, 1
  while i <= #s do
    local c = s:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif c == "(" or c == ")" or c == "," then
      tokens[#tokens + 1] = { kind = c, text = c, pos = i }
      i = i + 1
    else
      local name = s:match("^[%w_%-%.:/%*%?]+", i)
      if not name then return nil, ("unexpected character '%s'"):format(c) end
      local kind = KEYWORDS[name] and name or "name"
      tokens[#tokens + 1] = { kind = kind, text = name, pos = i }
      i = i + #name
    end
  end
  return tokens
end

--- Parses an expression: tree | nil, message naming the token.
--- A tree is { op = "or"|"and", a, b }, { op = "not", a } or { op = "name", name = "x" }.
function M.parse(s)
  if type(s) ~= "string" or not s:match("%S") then return nil, "empty expression" end
  local tokens, err = tokenize(s)
  if not tokens then return nil, err end
  local pos = 1
  local function peek() return tokens[pos] end
  local function describe(t) return t and ("'" .. t.text .. "'") or "the end" end
  local list
  local function factor()
    local t = peek()
    if not t then return nil, "expected a step id, tag or '(' at the end" end
    if t.kind == "not" then
      pos = pos + 1
      local a, e = factor()
      if not a then return nil, e end
      return { op = "not", a }
    elseif t.kind == "(" then
      pos = pos + 1
      local a, e = list()
      if not a then return nil, e end
      if not peek() or peek().kind ~= ")" then
        return nil, ("expected ')' before %s"):format(describe(peek()))
      end
      pos = pos + 1
      return a
    elseif t.kind == "name" then
      pos = pos + 1
      return { op = "name", name = t.text }
    end
    return nil, ("unexpected %s: expected a step id, tag or '('"):format(describe(t))
  end
  local function binary(op, sub)
    return function()
      local a, e = sub()
      if not a then return nil, e end
      while peek() and peek().kind == op do
        pos = pos + 1
        local b, e2 = sub()
        if not b then return nil, e2 end
        a = { op = op == "," and "or" or op, a, b }
      end
      return a
    end
  end
  local term = binary("and", factor)
  local expr = binary("or", term)
  list = binary(",", expr)
  local tree, perr = list()
  if not tree then return nil, perr end
  if peek() then
    return nil, ("unexpected %s: expected 'and', 'or' or ','"):format(describe(peek()))
  end
  return tree
end

local function is_glob(name) return name:find("[%*%?]") ~= nil end

local glob_pattern = text.glob_pattern -- "team-*" -> "^team%-.*$"

--- Whether one NAME selects a step. ids: the set of every known step id.
function M.name_matches(name, s, ids)
  if not is_glob(name) then
    if ids[name] then return s.id == name end
    for _, t in ipairs(s.tags or {}) do
      if t == name then return true end
    end
    return false
  end
  local pattern = glob_pattern(name)
  if s.id:match(pattern) then return true end
  for _, t in ipairs(s.tags or {}) do
    if tostring(t):match(pattern) then return true end
  end
  return false
end

local function eval(tree, s, ids)
  if tree.op == "name" then return M.name_matches(tree.name, s, ids) end
  if tree.op == "not" then return not eval(tree[1], s, ids) end
  if tree.op == "and" then return eval(tree[1], s, ids) and eval(tree[2], s, ids) end
  return eval(tree[1], s, ids) or eval(tree[2], s, ids)
end

--- Every NAME of a tree, in the order written.
function M.names(tree, out)
  out = out or {}
  if tree.op == "name" then
    out[#out + 1] = tree.name
  else
    for _, sub in ipairs(tree) do M.names(sub, out) end
  end
  return out
end

local function id_set(steps)
  local ids = {}
  for _, s in ipairs(steps) do ids[s.id] = true end
  return ids
end

--- The first NAME of the tree that matches no step id and no tag, or nil.
function M.unknown(tree, steps)
  local ids = id_set(steps)
  for _, name in ipairs(M.names(tree)) do
    local found = ids[name] and not is_glob(name)
    for _, s in ipairs(steps) do
      if found then break end
      found = M.name_matches(name, s, ids)
    end
    if not found then return name end
  end
  return nil
end

--- The ids the tree selects among steps ({ {id, tags}, ... }), in the steps' order:
--- ids | nil, message naming the unknown name.
function M.select(tree, steps)
  local unknown = M.unknown(tree, steps)
  if unknown then
    return nil, ("unknown step '%s': no step id or tag matches it"):format(unknown), unknown
  end
  local ids, out = id_set(steps), {}
  for _, s in ipairs(steps) do
    if eval(tree, s, ids) then out[#out + 1] = s.id end
  end
  return out
end

return M
