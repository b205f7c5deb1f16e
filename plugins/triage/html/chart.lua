--- triage.html.chart: one metric series over the window as an inline SVG line chart.
--
-- Drawn here, in Lua, so the HTML report needs no script or library to show a chart and
-- reads the same in a browser, a mail client or a printed page. A chart has the window on
-- the x axis (start to end, UTC), 0 to the largest value (or the threshold) on the y axis,
-- the series as one path (broken where points are missing), an optional horizontal
-- threshold (the timeout) and vertical markers (changes, an onset). Every label passes
-- through the caller's escape function: series come from CloudWatch, markers from
-- CloudTrail. Pure: no I/O.
local M = {}

local W, H = 640, 170                            -- the viewBox
local LEFT, RIGHT, TOP, BOTTOM = 58, 12, 14, 26  -- the plot's margins

local function num(v)
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(math.floor(v)) end
  if math.abs(v) >= 100 then return ("%.0f"):format(v) end
  return (("%.2f"):format(v):gsub("0+$", ""):gsub("%.$", ""))
end

--- A value for a label: milliseconds as "850 ms" / "4.2 s", anything else as a number.
function M.format(v, unit)
  if unit == "ms" then
    if v >= 1000 then return (("%.1f"):format(v / 1000):gsub("%.0$", "")) .. " s" end
    return num(v) .. " ms"
  end
  return num(v)
end

-- A round upper bound at or above v (1, 1.2, 1.5, 2, 3, 4, 6 or 8 times a power of ten:
-- its half, the middle gridline, is round too), close enough that a timeout line at the
-- top leaves room for the series.
local function nice(v)
  if v <= 0 then return 1 end
  local p = 10 ^ math.floor(math.log(v, 10))
  for _, m in ipairs({ 1, 1.2, 1.5, 2, 3, 4, 6, 8, 10 }) do
    if m * p >= v then return m * p end
  end
  return 10 * p
end

local function coord(v) return ("%.1f"):format(v) end

local function hhmm(t) return os.date("!%H:%MZ", math.floor(t)) end

-- The path of the points: a new subpath where a point is missing (a gap over 1.5 periods).
local function path_of(points, x, y, period)
  local d, last = {}, nil
  for _, p in ipairs(points) do
    local cmd = (last and p.time - last <= period * 1.5) and "L" or "M"
    d[#d + 1] = cmd .. coord(x(p.time)) .. " " .. coord(y(p.value))
    last = p.time
  end
  return table.concat(d, " ")
end

local function axes(out, x0, x1, ymax, start, finish, unit)
  local plot_b, plot_t = H - BOTTOM, TOP
  for i = 0, 2 do -- gridlines at 0, half and the top, labelled on the left
    local v = ymax * i / 2
    local y = plot_b - (plot_b - plot_t) * i / 2
    out[#out + 1] = ('<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s"/>'):format(x0,
      coord(y), x1, coord(y))
    out[#out + 1] = ('<text class="tick" x="%d" y="%s" text-anchor="end">%s</text>'):format(
      x0 - 6, coord(y + 4), M.format(v, unit))
  end
  local span = finish - start
  for i = 0, 4 do -- five time labels along the bottom
    local t = start + span * i / 4
    local anchor = i == 0 and "start" or (i == 4 and "end" or "middle")
    out[#out + 1] = ('<text class="tick" x="%s" y="%d" text-anchor="%s">%s</text>'):format(
      coord(x0 + (x1 - x0) * i / 4), H - 8, anchor, hhmm(t))
  end
end

--- The chart of one series as an <svg> element (a string).
--- c = {title, unit ("ms" or nil), series = {period, points = {{time, value}...}},
---      start, finish (epoch s: the window), threshold = {value, label} | nil,
---      markers = {{time, label, kind ("change" | "onset")}...}}, esc = the escape function
function M.svg(c, esc)
  local points = c.series and c.series.points or {}
  local period = c.series and c.series.period or 60
  local start, finish = c.start, c.finish
  if finish <= start then finish = start + 1 end
  local peak = 0
  for _, p in ipairs(points) do peak = math.max(peak, p.value) end
  local top = c.threshold and math.max(peak, c.threshold.value) or peak
  local ymax = nice(top * 1.05)
  local x0, x1, y0, y1 = LEFT, W - RIGHT, H - BOTTOM, TOP
  local function x(t) return x0 + (x1 - x0) * (t - start) / (finish - start) end
  local function y(v) return y0 - (y0 - y1) * v / ymax end
  local label = ("%s over the window: %d points, peak %s"):format(c.title, #points,
    #points > 0 and M.format(peak, c.unit) or "no data")
  local out = { ('<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"'
    .. ' xmlns="http://www.w3.org/2000/svg"><title>%s</title>'):format(W, H, esc(label),
    esc(label)) }
  axes(out, x0, x1, ymax, start, finish, c.unit)
  if c.threshold then
    local ty = coord(y(c.threshold.value))
    out[#out + 1] = ('<line class="threshold" x1="%d" y1="%s" x2="%d" y2="%s"><title>%s</title>'
      .. '</line>'):format(x0, ty, x1, ty, esc(c.threshold.label))
    out[#out + 1] = ('<text class="threshold-label" x="%d" y="%s" text-anchor="end">%s</text>')
      :format(x1 - 2, coord(y(c.threshold.value) - 4), esc(c.threshold.label))
  end
  for _, m in ipairs(c.markers or {}) do
    if m.time >= start and m.time <= finish then
      local mx = coord(x(m.time))
      out[#out + 1] = ('<line class="marker %s" x1="%s" y1="%d" x2="%s" y2="%d"><title>%s</title>'
        .. '</line>'):format(m.kind == "onset" and "onset" or "change", mx, y1, mx, y0,
        esc(m.label))
    end
  end
  if #points == 1 then
    local p = points[1]
    out[#out + 1] = ('<circle class="line" cx="%s" cy="%s" r="3"/>'):format(coord(x(p.time)),
      coord(y(p.value)))
  elseif #points > 1 then
    out[#out + 1] = ('<path class="line" d="%s"/>'):format(path_of(points, x, y, period))
  else
    out[#out + 1] = ('<text class="empty" x="%s" y="%s" text-anchor="middle">no data points in '
      .. 'the window</text>'):format(coord((x0 + x1) / 2), coord((y0 + y1) / 2))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out)
end

return M
