--- lib.time: ISO 8601 and epoch times, parsed and formatted once for every step.
--
-- Pure functions, no AWS and no local time zone: a civil date becomes epoch seconds by
-- Howard Hinnant's days_from_civil, never through os.time (which reads the local zone).
-- Epochs may be seconds or milliseconds (CloudWatch Logs); values above 1e11 are taken as
-- milliseconds.
local M = {}

local UNITS = { s = 1, m = 60, h = 3600, d = 86400, w = 604800 }

--- Days since 1970-01-01 of a proleptic Gregorian date.
function M.days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- "2026-11-27T02:41:07Z" (also without seconds, with fractions, with +hh:mm, a space for
--- the T, or a bare date) -> epoch seconds, or nil.
function M.parse_iso(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, rest = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)(.*)$")
  if not y then return nil end
  local h, mi, sec, zone = 0, 0, 0, "Z"
  if rest ~= "" then
    local hh, mm, tail = rest:match("^[T ](%d%d):(%d%d)(.*)$")
    if not hh then return nil end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = tail:match("^:(%d%d)(.*)$")
    if ss then sec, tail = tonumber(ss), tail2 end
    zone = tail:gsub("^%.%d+", "")
  end
  local offset = 0
  if zone ~= "Z" and zone ~= "" then
    local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then
    return nil
  end
  return M.days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset
end

--- An ISO string or an epoch (seconds or milliseconds) -> epoch seconds, or nil.
function M.epoch(value)
  if type(value) == "number" then return value > 1e11 and value / 1000 or value end
  return M.parse_iso(value)
end

--- Epoch seconds or milliseconds -> "2026-11-27T02:41:07Z" ("?" for nil).
function M.iso(t)
  if t == nil then return "?" end
  if t > 1e11 then t = t / 1000 end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

--- Epoch seconds -> "2026-11-27" (UTC).
function M.date(t)
  return os.date("!%Y-%m-%d", math.floor(t))
end

--- "90s", "30m", "1h", "1.5h", "2d", "1w" -> seconds, or nil.
function M.parse_duration(s)
  if type(s) ~= "string" then return nil end
  local n, unit = s:match("^(%d+%.?%d*)([smhdw])$")
  n = tonumber(n)
  if not n or n <= 0 then return nil end
  return math.floor(n * UNITS[unit] + 0.5)
end

--- Seconds as a short age: "45 s", "12 min", "3 h", "5 days".
function M.age(seconds)
  seconds = math.max(0, math.floor(seconds))
  if seconds < 120 then return seconds .. " s" end
  if seconds < 7200 then return (seconds // 60) .. " min" end
  if seconds < 172800 then return (seconds // 3600) .. " h" end
  return (seconds // 86400) .. " days"
end

return M
