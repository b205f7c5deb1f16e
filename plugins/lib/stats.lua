--- lib.stats: small numeric helpers the steps share (percentiles, summaries, formats).
--
-- Pure functions over plain arrays of numbers: no AWS, no ctx. Percentiles use the
-- nearest-rank method (the value at rank ceil(p/100 * n)), which is what CloudWatch
-- reports for pNN and what an operator can check by sorting the REPORT lines by hand.
local M = {}

local function sorted_copy(values)
  local out = {}
  for _, v in ipairs(values) do
    if type(v) == "number" and v == v then out[#out + 1] = v end
  end
  table.sort(out)
  return out
end

local function nearest_rank(sorted, p)
  local n = #sorted
  if n == 0 then return nil end
  local rank = math.ceil(p / 100 * n)
  if rank < 1 then rank = 1 end
  if rank > n then rank = n end
  return sorted[rank]
end

--- The p-th percentile (p in 0..100) of an array of numbers, or nil when it is empty.
function M.percentile(values, p)
  return nearest_rank(sorted_copy(values), p)
end

--- {count, min, max, mean, p50, p95, p99} of an array of numbers ({count = 0} when empty).
function M.summary(values)
  local sorted = sorted_copy(values)
  local n = #sorted
  if n == 0 then return { count = 0 } end
  local sum = 0
  for _, v in ipairs(sorted) do sum = sum + v end
  return {
    count = n,
    min = sorted[1],
    max = sorted[n],
    mean = sum / n,
    p50 = nearest_rank(sorted, 50),
    p95 = nearest_rank(sorted, 95),
    p99 = nearest_rank(sorted, 99),
  }
end

--- Sum of an array of numbers (0 when empty).
function M.sum(values)
  local sum = 0
  for _, v in ipairs(values) do
    if type(v) == "number" then sum = sum + v end
  end
  return sum
end

-- "%.1f" without a trailing ".0": 3 -> "3", 4.25 -> "4.2"
local function one_decimal(x)
  local s = string.format("%.1f", x)
  return (s:gsub("%.0$", ""))
end

--- A duration in milliseconds for people: "0.8 ms", "420 ms", "4.2 s", "3 s", "125 s".
function M.fmt_ms(ms)
  if ms == nil then return "?" end
  if ms < 10 and ms ~= math.floor(ms) then return one_decimal(ms) .. " ms" end
  if ms < 1000 then return string.format("%d ms", math.floor(ms + 0.5)) end
  local s = ms / 1000
  if s >= 100 then return string.format("%d s", math.floor(s + 0.5)) end
  return one_decimal(s) .. " s"
end

--- A count with thousands separators: 1234567 -> "1,234,567"; fractions keep one decimal.
function M.fmt_count(n)
  if n == nil then return "?" end
  local text = (n == math.floor(n)) and string.format("%d", n) or one_decimal(n)
  local sign, int, rest = text:match("^(-?)(%d+)(.*)$")
  int = int:reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return sign .. int .. rest
end

--- A share as a percentage: fmt_pct(3, 40) -> "7.5%", fmt_pct(0, 0) -> "0%".
function M.fmt_pct(part, whole)
  if not whole or whole == 0 then return "0%" end
  return one_decimal(100 * part / whole) .. "%"
end

--- A size in bytes for people: 512 -> "512 B", 48213 -> "47.1 KB", 38912011 -> "37.1 MB".
function M.fmt_bytes(n)
  if n == nil then return "?" end
  if n < 1024 then return string.format("%d B", n) end
  if n < 1024 * 1024 then return one_decimal(n / 1024) .. " KB" end
  if n < 1024 * 1024 * 1024 then return one_decimal(n / 1024 / 1024) .. " MB" end
  return one_decimal(n / 1024 / 1024 / 1024) .. " GB"
end

--- Seconds for people: 3 -> "3 s", 900 -> "900 s".
function M.fmt_s(seconds)
  return one_decimal(seconds) .. " s"
end

return M
