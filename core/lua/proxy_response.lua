--- runbook.proxy_response: is a handler's return value a valid Lambda proxy response?
--
-- API Gateway reads the value a proxy-integrated handler returns by fixed rules; when it
-- cannot, a REST API answers 502 ("Execution failed due to configuration error: Malformed
-- Lambda proxy response" in its execution log) and an HTTP API 500. The rules:
--
--   REST API (AWS_PROXY) and HTTP API payload 1.0: a JSON object with only
--     statusCode (integer), headers (object of string values), multiValueHeaders (object
--     of arrays of strings), body (string) and isBase64Encoded (boolean).
--   HTTP API payload 2.0 (and function URLs): the same plus cookies (array of strings),
--     without multiValueHeaders; and when the value has no statusCode at all API Gateway
--     infers the response: status 200, content-type application/json, and the whole
--     returned value, JSON-encoded, as the body.
--
-- Pure functions over decoded JSON (runbook.json values), used by `runbook
-- check-response` and by the bad_gateway step to check responses seen in logs.
local json = require("runbook.json")

local M = {}

--- The rule sets: "rest" (REST API, payload 1.0), "http1" (HTTP API payload 1.0),
--- "http2" (HTTP API payload 2.0, function URLs).
M.kinds = {
  rest = { label = "REST API proxy integration", status = 502,
           keys = { statusCode = true, headers = true, multiValueHeaders = true, body = true,
                    isBase64Encoded = true } },
  http1 = { label = "HTTP API payload format 1.0", status = 500,
            keys = { statusCode = true, headers = true, multiValueHeaders = true, body = true,
                     isBase64Encoded = true } },
  http2 = { label = "HTTP API payload format 2.0", status = 500, infers = true,
            keys = { statusCode = true, headers = true, body = true, isBase64Encoded = true,
                     cookies = true } },
}

--- The rule set for an API kind and payload version: ("rest"|"http", "1.0"|"2.0") ->
--- "rest" | "http1" | "http2".
function M.kind_for(api, payload)
  if api == "http" or api == "url" then return payload == "1.0" and "http1" or "http2" end
  return "rest"
end

local function json_type(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if (mt and mt.__jsontype == "array") or v[1] ~= nil then return "array" end
    return "object"
  end
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  return t -- string, boolean
end
M.json_type = json_type

local function an(t)
  if t == "null" then return "null" end
  return (t == "integer" or t == "object" or t == "array") and "an " .. t or "a " .. t
end

local function shown(v)
  local text = json.encode(v) or tostring(v)
  if #text > 60 then text = text:sub(1, 57) .. "..." end
  return text
end

local function path_of(parent, key)
  if key:match("^[%a_][%w_]*$") then return parent .. "." .. key end
  return parent .. "[" .. json.encode(key) .. "]"
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  return keys
end

local BASE64 = "^[%w+/]*=?=?$"

local function check_status(v, out, rules)
  local t = json_type(v)
  if t == "integer" then
    if v < 100 or v > 599 then
      out[#out + 1] = { path = "$.statusCode", problem = ("statusCode %d is not an HTTP status "
        .. "(100-599): API Gateway answers %d"):format(v, rules.status) }
    end
  elseif t == "string" and v:match("^%d%d%d$") then
    out[#out + 1] = { path = "$.statusCode", problem = ("statusCode must be an integer, got "
      .. "the string %s: return %s without quotes"):format(json.encode(v), v) }
  else
    out[#out + 1] = { path = "$.statusCode", problem = ("statusCode must be an integer HTTP "
      .. "status, got %s (%s)"):format(an(t), shown(v)) }
  end
end

local function check_body(v, out, response)
  local t = json_type(v)
  if t == "string" or t == "null" then
    local compact = t == "string" and v:gsub("%s", "") or nil
    if response.isBase64Encoded == true and compact and not compact:match(BASE64) then
      out[#out + 1] = { path = "$.body", problem = "isBase64Encoded is true but body is not "
        .. "base64: API Gateway cannot decode it; base64-encode the bytes or set it false" }
    end
    return
  end
  out[#out + 1] = { path = "$.body", problem = ("body must be a string, got %s (%s): serialize "
    .. "it, json.dumps(body) in Python, JSON.stringify(body) in Node.js"):format(an(t), shown(v)) }
end

local function check_headers(v, out)
  local t = json_type(v)
  if t == "null" then return end
  if t ~= "object" then
    out[#out + 1] = { path = "$.headers", problem = ("headers must be an object of header "
      .. "name to string value, got %s"):format(an(t)) }
    return
  end
  for _, name in ipairs(sorted_keys(v)) do
    local vt = json_type(v[name])
    if vt == "array" then
      out[#out + 1] = { path = path_of("$.headers", name), problem = ("header value must be a "
        .. "string, got an array: put repeated headers in multiValueHeaders (payload 1.0) or "
        .. "join them with commas"):format() }
    elseif vt ~= "string" then
      out[#out + 1] = { path = path_of("$.headers", name), problem = ("header value must be a "
        .. "string, got %s (%s): quote it, e.g. \"%s\""):format(an(vt), shown(v[name]),
        tostring(v[name] == json.null and "" or v[name])) }
    end
  end
end

local function check_multi(v, out)
  local t = json_type(v)
  if t == "null" then return end
  if t ~= "object" then
    out[#out + 1] = { path = "$.multiValueHeaders", problem = ("multiValueHeaders must be an "
      .. "object of header name to an array of strings, got %s"):format(an(t)) }
    return
  end
  for _, name in ipairs(sorted_keys(v)) do
    local p, vt = path_of("$.multiValueHeaders", name), json_type(v[name])
    if vt ~= "array" then
      out[#out + 1] = { path = p, problem = ("multiValueHeaders values must be arrays of "
        .. "strings, got %s (%s): wrap it, [%s]"):format(an(vt), shown(v[name]), shown(v[name])) }
    else
      for i, item in ipairs(v[name]) do
        if json_type(item) ~= "string" then
          out[#out + 1] = { path = ("%s[%d]"):format(p, i - 1), problem = ("each value must be "
            .. "a string, got %s (%s)"):format(an(json_type(item)), shown(item)) }
        end
      end
    end
  end
end

local function check_cookies(v, out)
  local t = json_type(v)
  if t == "null" then return end
  if t ~= "array" then
    out[#out + 1] = { path = "$.cookies", problem = ("cookies must be an array of Set-Cookie "
      .. "strings, got %s"):format(an(t)) }
    return
  end
  for i, item in ipairs(v) do
    if json_type(item) ~= "string" then
      out[#out + 1] = { path = ("$.cookies[%d]"):format(i - 1), problem = ("each cookie must be "
        .. "a string like \"id=abc; Secure; HttpOnly\", got %s"):format(an(json_type(item))) }
    end
  end
end

local CANONICAL = { statuscode = "statusCode", headers = "headers", body = "body",
  isbase64encoded = "isBase64Encoded", multivalueheaders = "multiValueHeaders",
  cookies = "cookies" }

local function check_unknown(response, out, rules, kind)
  for _, key in ipairs(sorted_keys(response)) do
    if not rules.keys[key] then
      local hint = "only statusCode, headers, multiValueHeaders, body and isBase64Encoded are "
        .. "allowed; move it into the body"
      local canonical = CANONICAL[key:lower()]
      if canonical and canonical ~= key then
        hint = "keys are case-sensitive: the field is called " .. canonical
      elseif key == "cookies" then
        hint = "cookies exist only in HTTP API payload format 2.0; send Set-Cookie in "
          .. "multiValueHeaders instead"
      elseif key == "multiValueHeaders" and kind == "http2" then
        hint = "payload format 2.0 has no multiValueHeaders; use headers (comma-joined) and "
          .. "cookies for Set-Cookie"
      elseif kind == "http2" then
        hint = "only statusCode, headers, body, isBase64Encoded and cookies are allowed; move "
          .. "it into the body"
      end
      out[#out + 1] = { path = path_of("$", key), problem = ("unknown field %s: API Gateway "
        .. "answers %d; %s"):format(json.encode(key), rules.status, hint) }
    end
  end
end

--- Validates `response` (a decoded JSON value) against rule set `kind` ("rest", "http1",
--- "http2"). Returns violations {{path, problem}...} (empty when valid) and notes {string}
--- that explain how API Gateway will read a valid but unusual value.
function M.validate(response, kind)
  local rules = assert(M.kinds[kind], "unknown rule set")
  local out, notes = {}, {}
  local t = json_type(response)
  if rules.infers and (t ~= "object" or response.statusCode == nil) then
    local shape = { body = true, headers = true, isBase64Encoded = true, cookies = true,
                    multiValueHeaders = true }
    if t == "object" then
      for _, key in ipairs(sorted_keys(response)) do
        if shape[key] then
          out[#out + 1] = { path = "$.statusCode", problem = ("no statusCode but a %s field: "
            .. "API Gateway then sends the whole object as a JSON body with status 200 and "
            .. "ignores %s; add \"statusCode\": 200"):format(key, key) }
          return out, notes
        end
      end
    end
    notes[#notes + 1] = ("no statusCode: payload format 2.0 infers the response, status 200, "
      .. "content-type application/json, and the returned %s as the body"):format(t)
    return out, notes
  end
  if t ~= "object" then
    out[#out + 1] = { path = "$", problem = ("the response must be a JSON object with "
      .. "statusCode and body, got %s%s: API Gateway answers %d"):format(an(t),
      t == "null" and " (the handler returned None/undefined)" or " (" .. shown(response) .. ")",
      rules.status) }
    return out, notes
  end
  if response.statusCode == nil then
    out[#out + 1] = { path = "$.statusCode", problem = ("statusCode is missing: %s does not "
      .. "infer it, API Gateway answers %d; add \"statusCode\": 200"):format(rules.label,
      rules.status) }
  else
    check_status(response.statusCode, out, rules)
  end
  if response.body ~= nil then check_body(response.body, out, response) end
  if response.headers ~= nil then check_headers(response.headers, out) end
  if response.multiValueHeaders ~= nil and rules.keys.multiValueHeaders then
    check_multi(response.multiValueHeaders, out)
  end
  if response.cookies ~= nil and rules.keys.cookies then check_cookies(response.cookies, out) end
  local b64 = response.isBase64Encoded
  if b64 ~= nil and b64 ~= json.null and type(b64) ~= "boolean" then
    out[#out + 1] = { path = "$.isBase64Encoded", problem = ("isBase64Encoded must be a boolean, "
      .. "got %s (%s)"):format(an(json_type(b64)), shown(b64)) }
  end
  check_unknown(response, out, rules, kind)
  if response.body == nil then
    notes[#notes + 1] = "no body: API Gateway sends an empty body"
  end
  return out, notes
end

--- One line per violation: "$.body: body must be a string, ...".
function M.format(violations)
  local lines = {}
  for _, v in ipairs(violations) do lines[#lines + 1] = v.path .. ": " .. v.problem end
  return lines
end

return M
