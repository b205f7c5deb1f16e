--- triage.fleet.progress: the one-line progress of a fleet triage on stderr.
--
--   fleet: 312/1000 functions · 4 of 6 targets listed · 5120 calls · 3 throttles absorbed · 41 s
--
-- Drawn only when stderr is a terminal (a CI log gets the report, not a stream of carriage
-- returns), twice a second, by a task of its own; finish() leaves the last state. Counts come
-- from the fleet (functions, targets) and the core (calls, and the throttling answers the
-- retry layer absorbed: core.stats()).
local core = require("runbook.core")
local runbook = require("runbook")
local term = require("runbook.report")

local M = {}

local Meter = {}
Meter.__index = Meter

--- A meter for `targets` targets; it draws only on a terminal.
function M.new(targets)
  local self = setmetatable({ targets = targets, listed = 0, total = 0, done = 0,
                              t0 = runbook.clock(), live = term.isatty(2) }, Meter)
  if self.live then
    self.task = runbook.spawn(function()
      while not self.finished do
        self:draw()
        runbook.sleep(0.5)
      end
    end)
  end
  return self
end

--- A target's functions are listed: n of them (to triage, until some are filtered out).
function Meter:listed_target(n)
  self.listed = self.listed + 1
  self.total = self.total + n
end

--- n functions fewer to triage (filtered out by tag, or unreadable).
function Meter:drop(n)
  self.total = self.total - n
end

function Meter:done_one()
  self.done = self.done + 1
end

--- The line as it would be drawn now.
function Meter:line()
  local stats = core.stats()
  return ("fleet: %d/%d functions · %d of %d targets listed · %d calls · %d throttles "
    .. "absorbed · %d s"):format(self.done, self.total, self.listed, self.targets,
    stats.calls, stats.throttles, math.floor(runbook.clock() - self.t0))
end

function Meter:draw()
  io.stderr:write("\r\27[K", self:line())
  io.stderr:flush()
end

--- Stops the meter; on a terminal the last state stays as the run's summary line.
function Meter:finish()
  self.finished = true
  if self.live then
    self:draw()
    io.stderr:write("\n")
    io.stderr:flush()
  end
end

return M
