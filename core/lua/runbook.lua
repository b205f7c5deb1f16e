--- runbook: tasks that run concurrently while their code reads sequentially.
--
-- Every task is a coroutine. When a task makes an AWS call it parks on the call's id and the
-- scheduler moves on; when the core reports the call done, the task resumes with the result.
-- This is nmap NSE's model: independent calls overlap, step code stays top-to-bottom.
--
-- A task yields only through this module (markers below), so code that keeps coroutines of
-- its own is unaffected: an AWS call made outside any task simply waits for itself.
--
-- Two guards for code that misbehaves. A task given a limit (M.limit, inherited by the
-- tasks it spawns) that runs that long without yielding is stopped by the core's count
-- hook with an error, and task.overran says so. And after M.catch_interrupt(), Ctrl-C or
-- SIGTERM stops every other task (each ends with the error "interrupted" and
-- task.interrupted set) while the catching task goes on, to report what it has.
local core = require("runbook.core")

local M = {}

local AWS, SLEEP, JOIN = {}, {}, {} -- yield markers, compared by identity

local tasks_by_co = setmetatable({}, { __mode = "k" })
local ready = {}       -- { task, packed resume values }
local parked_on = {}   -- call id -> task
local sleepers = {}    -- task -> deadline (core clock seconds)
local catcher          -- the task that goes on after an interrupt (M.catch_interrupt)

local function clock()
  return os.clock() -- replaced below by a wall clock if the core offers one
end
if core.clock then clock = core.clock end

local function make_ready(task, ...)
  ready[#ready + 1] = { task, table.pack(...) }
end

local function finish(task, ok, ...)
  task.done = true
  if ok then
    task.results = table.pack(...)
  else
    local err = ...
    task.error = err
    task.traceback = debug.traceback(task.co, type(err) == "string" and err or tostring(err))
  end
  for joiner in pairs(task.joiners) do
    sleepers[joiner] = nil
    make_ready(joiner, true)
  end
  task.joiners = {}
end

local function resume(task, values)
  if task.done then return end -- stopped by an interrupt while it was ready
  if task.limit then core.set_deadline(task.co, task.limit) end
  local r = table.pack(coroutine.resume(task.co, table.unpack(values, 1, values.n)))
  if task.limit then
    task.overran = not r[1] and core.overran(task.co) or nil
    core.set_deadline(task.co, nil)
  end
  if coroutine.status(task.co) == "dead" then
    if not r[1] and core.interrupted() and not task.overran then task.interrupted = true end
    return finish(task, table.unpack(r, 1, r.n))
  end
  local marker, arg = r[2], r[3]
  if marker == AWS then
    parked_on[arg] = task
  elseif marker == SLEEP then
    sleepers[task] = arg
  elseif marker == JOIN then
    local target, deadline = arg, r[4]
    if target.done then
      make_ready(task, true)
    else
      target.joiners[task] = true
      if deadline then sleepers[task] = deadline end
    end
  else
    -- A bare coroutine.yield() inside a task: treat it as "let others run".
    make_ready(task)
  end
end

--- Starts fn(...) as a new task and returns its handle.
function M.spawn(fn, ...)
  local parent = tasks_by_co[coroutine.running()]
  local task = { co = coroutine.create(fn), joiners = {}, done = false,
                 limit = parent and parent.limit, read_only = parent and parent.read_only,
                 pace_meter = parent and parent.pace_meter }
  tasks_by_co[task.co] = task
  make_ready(task, ...)
  return task
end

local function current_task()
  return tasks_by_co[coroutine.running()]
end

--- Stops `task` (and the tasks it spawns from now on) with an error when it runs `seconds`
--- without yielding, a CPU loop; task.overran is then true.
function M.limit(task, seconds)
  task.limit = seconds
end

--- Gives `task` (and the tasks it spawns from now on) a meter of the time its AWS calls
--- are told to wait for their operations' published rates (core/quotas.txt); returns it,
--- for M.paced. The triage engine meters each step, so waiting for a quota does not count
--- against the step's timeout.
function M.meter_pacing(task)
  task.pace_meter = { seconds = 0, upto = 0 }
  return task.pace_meter
end

-- Adds the wall-clock span [from, to] to a meter's covered time (seconds, upto): calls
-- waiting side by side count once. Spans come roughly in order; one that ends before the
-- covered time does counts nothing (at worst the meter undercounts).
local function cover(seconds, covered_until, from, to)
  if to <= covered_until then return seconds, covered_until end
  return seconds + to - math.max(from, covered_until), to
end

--- Wall-clock seconds during which calls of the tasks metered by `meter` were waiting for
--- published rates, finished calls and those still waiting alike; overlapping waits
--- count once.
function M.paced(meter)
  if not meter then return 0 end
  local spans = {}
  for id, task in pairs(parked_on) do
    if task.pace_meter == meter then
      local from, to = core.paced(id)
      if from then spans[#spans + 1] = { from, math.min(to, clock()) } end
    end
  end
  table.sort(spans, function(a, b) return a[1] < b[1] end)
  local seconds, covered_until = meter.seconds, meter.upto
  for _, span in ipairs(spans) do
    seconds, covered_until = cover(seconds, covered_until, span[1], span[2])
  end
  return seconds
end

--- Marks the calling task, and every task it spawns from now on, read-only for good: the
--- fix path (runbook.remedy) refuses to apply anything from it. The triage engine marks
--- each step's task, so a step can propose a fix but never apply one.
function M.read_only()
  local task = current_task()
  if task then task.read_only = true end
end

--- True inside a task marked by M.read_only (or spawned by one).
function M.is_read_only()
  local task = current_task()
  return task ~= nil and task.read_only == true
end

--- From now on an interrupt (Ctrl-C, SIGTERM) stops every task but the calling one, which
--- goes on: its joins return false, "interrupted". M.catch_interrupt(false) undoes it.
function M.catch_interrupt(on)
  catcher = on ~= false and current_task() or nil
  core.catch_interrupt(catcher and catcher.co)
end

--- The signal that asked the run to stop (2 SIGINT, 15 SIGTERM), or false.
function M.interrupted()
  return core.interrupted()
end

-- After an interrupt, ends every task but the catcher as if it had raised "interrupted".
local function stop_for_interrupt()
  for co, task in pairs(tasks_by_co) do
    if task ~= catcher and not task.done then
      sleepers[task] = nil
      task.interrupted = true
      finish(task, false, "interrupted") -- its traceback says where it was waiting
      if coroutine.status(co) == "suspended" then coroutine.close(co) end
    end
  end
  for id, task in pairs(parked_on) do
    if task.done then parked_on[id] = nil end
  end
end

--- Waits for one AWS call submitted to the core; returns result or nil, err.
function M.await_call(id)
  local task = current_task()
  if task then
    local c = coroutine.yield(AWS, id)
    local meter = task.pace_meter
    if c.paced_from and meter then
      meter.seconds, meter.upto = cover(meter.seconds, meter.upto, c.paced_from,
        c.paced_until)
    end
    return c.result, c.err
  end
  local c = core.wait(id)
  return c.result, c.err
end

--- Pauses the current task for `seconds` (other tasks go on).
function M.sleep(seconds)
  if current_task() then
    coroutine.yield(SLEEP, clock() + seconds)
  else
    local deadline = clock() + seconds
    while clock() < deadline do core.poll(math.max(1, math.floor((deadline - clock()) * 1000))) end
  end
end

--- Waits for a task. Returns true, results... or false, error, traceback; false, "timeout"
--- when `timeout` seconds pass first (the task keeps running).
function M.join(task, timeout)
  if not task.done then
    if not current_task() then
      M.run_until(function() return task.done end, timeout and clock() + timeout)
    else
      local deadline = timeout and clock() + timeout
      local woke = coroutine.yield(JOIN, task, deadline)
      if not woke and not task.done then
        task.joiners[current_task()] = nil
        return false, "timeout"
      end
    end
  end
  if not task.done then return false, "timeout" end
  if task.error ~= nil then return false, task.error, task.traceback end
  return true, table.unpack(task.results, 1, task.results.n)
end

--- Runs each function as a task and waits for all. Returns an array whose i-th entry is
--- table.pack(ok, ...) for the i-th function.
function M.all(fns)
  local spawned = {}
  for i, fn in ipairs(fns) do spawned[i] = M.spawn(fn) end
  local out = {}
  for i, task in ipairs(spawned) do out[i] = table.pack(M.join(task)) end
  return out
end

--- Runs named functions concurrently: gather{cfg = fn1, logs = fn2} returns two tables,
--- values (each function's first result) and errs (its second: the `nil, err` convention),
--- keyed by name. A function that raises re-raises here, as if called directly.
function M.gather(named)
  local names, fns = {}, {}
  for name, fn in pairs(named) do
    names[#names + 1] = name
    fns[#fns + 1] = fn
  end
  local values, errs = {}, {}
  for i, r in ipairs(M.all(fns)) do
    if not r[1] then error(r[2], 0) end
    values[names[i]], errs[names[i]] = r[2], r[3]
  end
  return values, errs
end

--- Calls fn(item) for every item concurrently; returns the first results in order.
function M.map(items, fn)
  local fns = {}
  for i, item in ipairs(items) do fns[i] = function() return fn(item) end end
  local out = {}
  for i, r in ipairs(M.all(fns)) do
    if not r[1] then error(r[2], 0) end
    out[i] = r[2]
  end
  return out
end

local function wake_sleepers()
  local now = clock()
  local next_deadline
  for task, deadline in pairs(sleepers) do
    if deadline <= now then
      sleepers[task] = nil
      make_ready(task, false)
    elseif not next_deadline or deadline < next_deadline then
      next_deadline = deadline
    end
  end
  return next_deadline
end

--- Turns the loop until done() is true or the deadline passes.
function M.run_until(done, deadline)
  while not done() do
    if catcher and not catcher.done and core.interrupted() then stop_for_interrupt() end
    if deadline and clock() >= deadline then return false end
    while #ready > 0 do
      local item = table.remove(ready, 1)
      resume(item[1], item[2])
    end
    if done() then break end
    local next_deadline = wake_sleepers()
    if #ready == 0 then
      local wait = 1000
      if next_deadline then wait = math.max(0, math.ceil((next_deadline - clock()) * 1000)) end
      if deadline then wait = math.min(wait, math.max(0, math.ceil((deadline - clock()) * 1000))) end
      local completions, pending = core.poll(wait)
      for _, c in ipairs(completions) do
        local task = parked_on[c.id]
        parked_on[c.id] = nil
        if task then make_ready(task, c) end
      end
      if #ready == 0 and #completions == 0 and pending == 0 and not next(sleepers)
          and not deadline then
        error("deadlock: every task is waiting and nothing is in flight", 0)
      end
    end
  end
  return true
end

--- Runs fn(...) as the main task to completion and returns join()'s results.
function M.main(fn, ...)
  local task = M.spawn(fn, ...)
  M.run_until(function() return task.done end)
  return M.join(task)
end

--- The run's reference time (epoch seconds): fixed for the run, restored by --replay.
function M.now()
  return core.now()
end

M.clock = clock

return M
