---@meta runbook
-- LuaCATS stubs for the modules a runbook script and a triage step use: `runbook` (tasks,
-- core/lua/runbook.lua), `runbook.aws` (core/lua/aws.lua), `runbook.core` (core/l_core.c,
-- core/l_model.c), `runbook.remedy` and `runbook.journal` (core/lua/remedy.lua, journal.lua),
-- `runbook.report` (core/l_report.c), `runbook.fs` (core/l_fs.c), and the
-- triage step contract (ctx, findings: docs/writing-steps.md). Editors read this file for
-- completion and type checks; it is never executed. `runbook`, `aws` and `json` are also
-- globals.
-- luacheck: ignore

-- errors ------------------------------------------------------------------------------------

---The one error shape of every failed AWS call (`tostring(err)` gives "Code: message").
---@class runbook.Error
---@field code string        AWS error code ("AccessDeniedException") or a local one ("NoCredentials")
---@field message string     one line; never a secret
---@field status integer     HTTP status, 0 when no response arrived
---@field request_id string  x-amzn-RequestId, "" when unknown
---@field retryable boolean  the standard retry policy would retry it (it already did)
---@field kind "aws"|"transport"|"setup"|"usage"|"safety"|"local" where it failed
---@field service? string    the call's service, on errors returned through `ctx.aws`
---@field operation? string  the call's operation, on errors returned through `ctx.aws`

-- runbook: tasks ----------------------------------------------------------------------------

---@class runbook.Task
---@field done boolean
---@field overran? boolean     stopped by its limit (runbook.limit): a CPU loop
---@field interrupted? boolean stopped by Ctrl-C or SIGTERM (runbook.catch_interrupt)

---@class runbook
local runbook = {}

---Starts `fn(...)` as a new task (a coroutine the scheduler runs alongside the others).
---@param fn fun(...): ...
---@return runbook.Task
function runbook.spawn(fn, ...) end

---Waits for a task: `true, results...`, or `false, err, traceback` when it raised, or
---`false, "timeout"` when `timeout` seconds passed first (the task keeps running).
---@param task runbook.Task
---@param timeout? number seconds
---@return boolean ok
---@return any ...
function runbook.join(task, timeout) end

---Runs every function as a task and waits for all; entry i is `table.pack(ok, ...)`.
---@param fns (fun(): ...)[]
---@return table[]
function runbook.all(fns) end

---Runs named functions concurrently and returns two tables keyed by name: each function's
---first result and its second (the `nil, err` convention). A function that raises re-raises.
---@param named table<string, fun(): any, any>
---@return table<string, any> values
---@return table<string, any> errs
function runbook.gather(named) end

---Calls `fn(item)` for every item concurrently; returns the first results in order
---(re-raises the first error).
---@generic T, R
---@param items T[]
---@param fn fun(item: T): R
---@return R[]
function runbook.map(items, fn) end

---Pauses the current task for `seconds`; other tasks go on.
---@param seconds number
function runbook.sleep(seconds) end

---The run's reference time (epoch seconds): fixed for the run, restored by --replay.
---@return integer
function runbook.now() end

---Wall-clock seconds (float), for measuring durations.
---@return number
function runbook.clock() end

---Runs `fn(...)` as the main task to completion; returns `join`'s results.
---@return boolean ok
---@return any ...
function runbook.main(fn, ...) end

---Stops `task` (and the tasks it spawns afterwards) with an error when it runs `seconds`
---without yielding, a CPU loop; `task.overran` is then true. The engine sets each step's.
---@param task runbook.Task
---@param seconds number
function runbook.limit(task, seconds) end

---From now on Ctrl-C or SIGTERM stops every other task (each ends with the error
---"interrupted", `task.interrupted` set) and the calling task goes on, to report what it
---has; `false` undoes it.
---@param on? boolean
function runbook.catch_interrupt(on) end

---The signal that asked the run to stop (2 SIGINT, 15 SIGTERM), or false.
---@return integer|false
function runbook.interrupted() end

---Gives `task` (and the tasks it spawns afterwards) a meter of the time its AWS calls wait
---for their operations' published rates (core/quotas.txt, docs/quotas.md); the engine
---meters each step so that waiting does not count against --step-timeout.
---@param task runbook.Task
---@return table meter for runbook.paced
function runbook.meter_pacing(task) end

---Wall-clock seconds the metered tasks' calls spent waiting for published rates so far
---(finished calls and those still waiting; overlapping waits count once). 0 for nil.
---@param meter? table from runbook.meter_pacing
---@return number
function runbook.paced(meter) end

-- runbook.aws -------------------------------------------------------------------------------

---Every operation of the supported services by the AWS API's own names:
---`aws.lambda.GetFunctionConfiguration{ FunctionName = "my-fn" }` returns the reply as a
---table, or `nil, err`. Services: lambda, iam, sts, logs, monitoring (alias cloudwatch),
---ec2, apigateway, apigatewayv2. Identical reads in one run are sent once. A write is
---refused by the core (`kind = "safety"`) outside an approved fix. An unknown operation
---name raises at once, naming the closest real one.
---@class runbook.aws
---@field lambda table<string, fun(params?: table): table?, runbook.Error?>
---@field iam table<string, fun(params?: table): table?, runbook.Error?>
---@field sts table<string, fun(params?: table): table?, runbook.Error?>
---@field logs table<string, fun(params?: table): table?, runbook.Error?>
---@field monitoring table<string, fun(params?: table): table?, runbook.Error?>
---@field cloudwatch table<string, fun(params?: table): table?, runbook.Error?>
---@field ec2 table<string, fun(params?: table): table?, runbook.Error?>
---@field apigateway table<string, fun(params?: table): table?, runbook.Error?>
---@field apigatewayv2 table<string, fun(params?: table): table?, runbook.Error?>
---@field sqs table<string, fun(params?: table): table?, runbook.Error?>
local aws = {}

---Where a call goes and who signs it; omitted fields are the run's defaults (`--region`
---and `--profile`). A role is assumed from the default credentials or `source_profile`.
---@class runbook.aws.Target
---@field region? string
---@field profile? string
---@field role_arn? string
---@field external_id? string
---@field session_name? string
---@field source_profile? string

---One call: `aws.call("lambda", "GetPolicy", { FunctionName = "my-fn" })`.
---@param service string
---@param operation string
---@param params? table
---@param opts? runbook.aws.Target
---@return table? result
---@return runbook.Error? err
function aws.call(service, operation, params, opts) end

---The same API bound to another region or credential set:
---`aws.scope{ region = "eu-west-1", role_arn = "arn:aws:iam::123456789012:role/audit" }`.
---Identical reads are shared, retries and recordings are kept, per (credentials, region).
---@param opts runbook.aws.Target
---@return runbook.aws
function aws.scope(opts) end

---Iterates over the pages of a paginated operation: `for page, err in aws.pages(...)`; a failed page comes as `false, err`.
---@param service string
---@param operation string
---@param params? table
---@param opts? runbook.aws.Target|{ max_pages?: integer }
---@return fun(): table?, runbook.Error?
function aws.pages(service, operation, params, opts) end

---Every page's result-key items in one array: `items` or `nil, err`.
---@param service string
---@param operation string
---@param params? table
---@param opts? runbook.aws.Target|{ max_pages?: integer }
---@return table[]? items
---@return runbook.Error? err
function aws.collect(service, operation, params, opts) end

-- runbook.core ------------------------------------------------------------------------------

---@class runbook.core.Operation
---@field service string
---@field name string
---@field method string
---@field uri string
---@field write boolean
---@field paginator? { input_token: string, output_token: string, limit_key?: string, result_key?: string, more_results?: string }

---The C half of the client (scripts normally use `runbook.aws` and `runbook`).
---@class runbook.core
local core = {}

---Queues a call; the scheduler waits for its id. `id` or `nil, err`.
---@return integer? id
---@return runbook.Error? err
function core.submit(service, operation, params) end

---Collects finished calls, waiting up to `max_wait_ms`: completions, calls still pending.
---@param max_wait_ms? integer
---@return { id: integer, result?: table, err?: runbook.Error }[] completions
---@return integer pending
function core.poll(max_wait_ms) end

---Drives the loop until call `id` is done (for code outside any task).
---@return { id: integer, result?: table, err?: runbook.Error }
function core.wait(id) end

---The run's reference time (epoch seconds).
---@return integer
function core.now() end

---The resolved region (`--region`, AWS_REGION, AWS_DEFAULT_REGION, profile): `region` or
---`nil, err` (kind "setup").
---@return string? region
---@return runbook.Error? err
function core.region() end

---Counters of the run's calls; `throttles`: throttling answers the retries absorbed.
---@return { calls: integer, shared: integer, attempts: integer, retries: integer, throttles: integer }
function core.stats() end

---What the client's limiters did: `waited` seconds calls were told to wait for published
---rates (core/quotas.txt; summed over calls, so parallel waits add up), `paced` how many
---attempts waited, `throttles` throttling answers the retries absorbed, `attempts` sent.
---@return { waited: number, paced: integer, throttles: integer, attempts: integer }
function core.limiter_stats() end

---When the pending call `id` was told to wait for its published rate, and until when
---(core.clock seconds); nil when it was not. runbook.paced builds on it.
---@param id integer
---@return number? from
---@return number? until_
function core.paced(id) end

---The retry mode in force ("standard", "adaptive" or "legacy") and whether the operator
---chose it (AWS_RETRY_MODE or the profile's retry_mode). `nil, err` when the client
---cannot be made.
---@return string? mode
---@return boolean|runbook.Error chosen
function core.retry_mode() end

---Switches the run to "adaptive" (or "standard") retries: adaptive mode slows the sending
---rate when AWS throttles, on top of the published rates the client keeps to anyway. Call
---it before the first call. `true`, or `false, why` when the operator chose a mode (it
---stands); a mode other than those two raises.
---@param mode "adaptive"|"standard"
---@return boolean switched
---@return string? why
function core.set_retry_mode(mode) end

---Describes an operation from the official model: `op` or `nil, err`.
---@return runbook.core.Operation? op
---@return runbook.Error? err
function core.operation(service, name) end

---The sorted operation names of a service: `names` or `nil, err`.
---@return string[]? names
---@return runbook.Error? err
function core.operations(service) end

---@class runbook.core.Shape
---@field type string    the model's type name: structure, list, map, string, integer, long, boolean, blob, timestamp, double, float
---@field shape? string  the model's shape name ("policyDocumentType"); absent for an input-less operation
---@field members? table<string, runbook.core.Shape>  structures
---@field required? string[]                          structures: members that must be present
---@field member? runbook.core.Shape                  lists
---@field key? runbook.core.Shape                     maps
---@field value? runbook.core.Shape                   maps
---@field document? boolean   a free-form JSON document
---@field sensitive? boolean  a secret: never printed or journaled
---@field jsonvalue? boolean  a string carrying JSON text (a header or query value)
---@field cycle? boolean      the shape contains itself here; its children are not repeated

---The input shape of an operation as a tree: `shape` (an operation without input gives an
---empty structure) or `nil, err`. Recursion stops at cycles (`cycle = true`).
---@param service string
---@param operation string
---@return runbook.core.Shape? shape
---@return runbook.Error? err
function core.input_shape(service, operation) end

---The set of supported services: `{ lambda = true, ... }`.
---@return table<string, boolean>
function core.services() end

---Wall-clock seconds (float).
---@return number
function core.clock() end

---Lets thread `co` run `seconds` from now without yielding; after that the count hook
---raises in it (and keeps raising, so a pcall cannot swallow it). nil clears.
---@param co thread
---@param seconds? number
function core.set_deadline(co, seconds) end

---Whether `co` was stopped by its deadline (until one is set again).
---@param co thread
---@return boolean
function core.overran(co) end

---After Ctrl-C or SIGTERM the count hook raises in every thread but `co` and the main
---thread (the scheduler); nil: in all (the default).
---@param co? thread
function core.catch_interrupt(co) end

---The signal that asked the run to stop (2 SIGINT, 15 SIGTERM), or false.
---@return integer|false
function core.interrupted() end

-- runbook.fix_scope (core Lua only) ---------------------------------------------------------

---The write scope (core/l_fix.c; "Remediation primitives" in docs/architecture.md). Only the
---core's embedded Lua can require it: for a plugin `require "runbook.fix_scope"` fails.
---While a scope is open the core lets through exactly its calls, once each, parameter for
---parameter; every other write is refused (`WriteRefused`, kind "safety").
---@class runbook.fix_scope
---@field ANY_REVISION string a params.RevisionId that stands for "the value read just before"
local fix_scope = {}

---Approves a plan's writes and opens the scope (one at a time).
---@param calls {service: string, operation: string, params?: table}[]
---@return integer? scope_id
---@return runbook.Error? err
function fix_scope.approve(calls) end

---Closes the open scope; its unused approvals are dropped.
---@param scope_id integer
---@return true? ok
---@return runbook.Error? err
function fix_scope.close_scope(scope_id) end

---Asks on the controlling terminal (/dev/tty): "TEXT [y/N/a/q] ", default no. "yes" unasked
---under --yes; "no-terminal" when there is no terminal and no --yes.
---@param text string
---@param choices? string y and n, maybe a and q, in that order (default "yn")
---@return "yes"|"no"|"all"|"quit"|"no-terminal"
function fix_scope.confirm(text, choices) end

---The core options of the fix path (journal: the --journal FILE, or nil for the default).
---@return {yes: boolean, dry_run: boolean, journal: string?}
function fix_scope.options() end

---Appends json.encode(entry) as one fsync'd line to the journal (mode 0600; path nil: the
---run's journal). Refused, with nothing written, when the entry holds a credential secret.
---@param path string?
---@param entry table
---@return true? ok
---@return runbook.Error? err
function fix_scope.journal_append(path, entry) end

-- runbook.remedy ----------------------------------------------------------------------------

---Remediation from a runbook script (core/lua/remedy.lua; docs/remediation.md): plan,
---re-read, show, confirm, apply exactly what was confirmed, wait, verify, journal. Refused
---(raises) inside a triage step's task: a step proposes a fix, `--fix` applies it.
---@class runbook.remedy
local remedy = {}

---A plan to offer (from remedy.plan).
---@class runbook.remedy.Plan
---@field title string
---@field step? string      the step id (or the runbook's name) it belongs to
---@field fn? string        the function it changes
---@field steps table[]     the plan steps as given (fix.plan.call), secrets included
---@field shown table[]     the normalized copy that is shown and journaled
---@field verify? table[]   the fix's verify entries
---@field risk? string
---@field hash string       what a confirmation binds

---@class runbook.remedy.PlanSpec
---@field fix table          a fix as a step writes it ({ explain, plan, verify, ... }) or a finding's normalized fix
---@field title? string      what it fixes
---@field step? string       a step id or the runbook's name, shown as "[step]"
---@field ["function"]? string the function's name (journaled)
---@field severity? string
---@field risk? string       one line; default: the number of writes and whether each can be undone
---@field undoes? table<integer, string> journal entry ids the plan's steps undo (undo plans)

---@class runbook.remedy.Check
---@field what string
---@field ok boolean
---@field detail? string

---@class runbook.remedy.Result
---@field ok boolean
---@field applied integer    steps applied
---@field steps integer
---@field outputs table[]    the write replies, by step
---@field entries string[]   journal entry ids
---@field failed_at? integer
---@field message? string
---@field stale? string[]    what changed since the plan was made
---@field error? runbook.Error
---@field applied_at? number epoch seconds

---@alias runbook.remedy.Status "offered"|"declined"|"stale"|"manual"|"failed"|"applied"|"verified"|"not_cleared"

---@class runbook.remedy.Outcome
---@field status runbook.remedy.Status  offered: shown, not applied (--dry-run, or no terminal and no --yes)
---@field verdict? string    "fixed" | "applied, not yet observed" | "not cleared"
---@field reason? string     one line
---@field changed? string[]  stale: what changed
---@field checks? runbook.remedy.Check[]
---@field entries? string[]  journal entry ids
---@field run? string        the journal run id
---@field applied integer
---@field steps integer

---@param spec runbook.remedy.PlanSpec
---@return runbook.remedy.Plan
function remedy.plan(spec) end

---Re-reads what the plan changes: true, or false and one line per difference; the third
---value is true when a read failed (nothing is known to have changed).
---@param p runbook.remedy.Plan
---@return boolean fresh
---@return string[] changed
---@return boolean unreadable
function remedy.check(p) end

---The plan as the operator reads it (lines joined by "\n"); with `identity`, who acts where.
---@param p runbook.remedy.Plan
---@param identity? {arn: string, account: string, region: string}
---@return string
function remedy.describe(p, identity) end

---Writes remedy.describe(p, remedy.identity()) to stderr.
---@param p runbook.remedy.Plan
function remedy.show(p) end

---Asks "Apply? [y/N/a/q]" on the terminal; a "yes" binds the plan as it is now.
---@param p runbook.remedy.Plan
---@return "yes"|"no"|"quit"|"no-terminal"|"dry-run"
function remedy.confirm(p) end

---Applies a confirmed plan step by step (each re-read first, RevisionId from a fresh read,
---journaled before and after it is sent).
---@param p runbook.remedy.Plan
---@return runbook.remedy.Result
function remedy.apply(p) end

---Fresh reads of every applied step's `after` and of the plan's `verify` entries.
---@param p runbook.remedy.Plan
---@param result runbook.remedy.Result
---@return {ok: boolean, checks: runbook.remedy.Check[]}
function remedy.verify(p, result) end

---Check, show, confirm, apply, verify, in order. `opts.rerun(since)` re-runs your own check
---on a window from the apply time: { cleared, traffic, detail }.
---@param p runbook.remedy.Plan
---@param opts? {rerun?: fun(since: number): {cleared: boolean, traffic?: boolean, detail?: string}}
---@return runbook.remedy.Outcome
function remedy.offer(p, opts) end

---Who and where the writes act (STS GetCallerIdentity, read once).
---@return {arn: string, account: string, region: string}?
---@return runbook.Error?
function remedy.identity() end

---The run's id ("20261206T093000Z-4f2a"), shared by every write of this process.
---@return string
function remedy.run_id() end

---A free-form answer from the terminal (which version?); nil and why ("no-terminal",
---"end-of-input", "--yes cannot answer it") otherwise.
---@param question string
---@return string? line
---@return string? why
function remedy.ask(question) end

---A yes/no that is not a plan (keep the weighted routing?); `default` under --yes, and
---with no terminal (then why = "no-terminal").
---@param question string
---@param default? boolean
---@return boolean
---@return string? why
function remedy.ask_yes_no(question, default) end

---True once the operator answered q: offer nothing more.
---@return boolean
function remedy.quit_requested() end

---The core options a script decides by before asking anything.
---@return {yes: boolean, dry_run: boolean}
function remedy.options() end

-- runbook.journal ---------------------------------------------------------------------------

---The remediation journal, read back (core/lua/journal.lua; docs/journal.md). Read-only:
---only the apply path writes it.
---@class runbook.journal
---@field VERSION integer
local journal = {}

---One write, its "send" and "result" lines folded together.
---@class runbook.journal.Record
---@field entry string       "<run>.<n>"
---@field run string
---@field time string        when it was sent (ISO 8601)
---@field time_done? string  when its result was written
---@field step integer
---@field steps integer
---@field outcome "applied"|"failed"|"not_sent"|"unknown"
---@field service string
---@field operation string
---@field params table       as sent, environment values and secrets replaced by markers
---@field before? table
---@field after? table
---@field read? table
---@field undo? {service: string, operation: string, params: table}
---@field request_id? string
---@field error? {code: string, message: string}
---@field ["function"]? string
---@field finding? {step?: string, title?: string}
---@field identity? string
---@field account? string
---@field region? string
---@field plan_hash? string
---@field undoes? string     the entry this write undid
---@field undone_by? string  the entry that undid this one

---The run's journal path (--journal FILE, else $XDG_STATE_HOME/runbook/journal.jsonl).
---@return string? path
---@return runbook.Error? err
function journal.path() end

---Every line, decoded, oldest first; lines that do not parse are counted in problems.
---@return table[]? lines
---@return string[] problems
---@return string? path
function journal.lines() end

---One record per write, oldest first.
---@return runbook.journal.Record[]? records
---@return string[] problems
---@return string? path
function journal.entries() end

---The record of entry `id`.
---@param id string
---@return runbook.journal.Record?
function journal.find(id) end

---The newest applied change that is not an undo and not yet undone (`undo --last`).
---@param entries runbook.journal.Record[]
---@return runbook.journal.Record?
function journal.last_undoable(entries) end

---Every applied, not yet undone change of run `run`, newest first.
---@param entries runbook.journal.Record[]
---@param run string
---@return runbook.journal.Record[]
function journal.of_run(entries, run) end

---Applied changes to function `fn` (and alias `alias`: params.Name), newest first.
---@param fn string
---@param alias? string
---@return runbook.journal.Record[]
function journal.history(fn, alias) end

---A copy of `params` fit for the journal (environment values replaced by markers).
---@param params table
---@return table
function journal.scrub(params) end

---True when a journaled value holds a secret marker.
---@param v any
---@return boolean
function journal.has_secret(v) end

-- runbook.report ----------------------------------------------------------------------------

---What the report renderer (plugins/triage/report.lua) needs from C.
---@class runbook.report
---@field version string the runbook release, e.g. "0.1.0"
local report = {}

---Whether file descriptor `fd` is a terminal.
---@param fd integer
---@return boolean
function report.isatty(fd) end

---Whether stdout gets colour: a terminal, NO_COLOR unset or empty, TERM not "dumb", and
---not `refused` (--no-color).
---@param refused? boolean
---@return boolean
function report.use_color(refused) end

---A sparkline (▁▂▃▄▅▆▇█) of `values` scaled from lowest to highest; anything but a number
---(json.null) is a gap drawn as a space; more than `width` values (default 60) are grouped
---by their maximum. `nil` when no value is a number.
---@param values (number|table)[]
---@param width? integer
---@return string? line
---@return number lo
---@return number hi
function report.sparkline(values, width) end

-- runbook.fs --------------------------------------------------------------------------------

---What a directory holds, for step discovery (plugins/triage/catalog.lua).
---@class runbook.fs
local fs = {}

---The names of the regular files in `dir` (symlinks followed), in no particular order;
---nil and the error (NotFound, CannotList) when it cannot be listed.
---@param dir string
---@return string[]?
---@return runbook.Error?
function fs.files(dir) end

-- runbook.discovery -------------------------------------------------------------------------

---Where this run looks for steps and runbooks, in search order (built-ins last):
---`require("runbook.discovery").dirs`. Set by the core before any script runs.
---@class runbook.discovery.Dir
---@field path string    the directory (its steps are path/steps/*.lua)
---@field origin string  why it is searched: "--plugins", "RUNBOOK_PATH", "script", ".runbook", "config", "builtin"

---@class runbook.discovery
---@field dirs runbook.discovery.Dir[]

-- triage: steps, ctx, findings (docs/writing-steps.md) --------------------------------------

---@alias triage.Severity "ok"|"info"|"skip"|"warn"|"fail"|"error"

---@class triage.Fix
---@field explain? string    what to do and why, in one or two sentences
---@field commands? string[] exact `aws` CLI commands with real values (never a secret or an env var value)
---@field changes? string    what the fix changes: "Timeout 3 s -> 10 s"
---@field plan? table[]       the AWS calls that make the change (docs/fix-plans.md); commands are rendered from it
---@field verify? table[]     what must hold after applying

---@class triage.Finding
---@field severity triage.Severity
---@field title string        the conclusion with its key number
---@field evidence? string[]  numbers, ARNs, exact log lines with timestamps
---@field why? string         why it matters
---@field fix? triage.Fix
---@field confidence? "high"|"medium"|"low"
---@field data? table         machine-readable numbers; `series = { label =, values =, unit = }` draws a sparkline

---@class triage.Window
---@field start integer   epoch seconds (inclusive)
---@field finish integer  epoch seconds (exclusive)
---@field seconds integer
---@field label string    "1h", or "START to END"

---What every step's `run` receives.
---@class triage.Ctx
---@field function_name string  the function's name
---@field qualifier? string     version or alias
---@field function_id string    what to pass as FunctionName: name or name:qualifier
---@field region string
---@field account? string       from the function ARN; set once ctx:config() succeeded
---@field arn? string           the FunctionArn, once ctx:config() succeeded
---@field window triage.Window
---@field now integer           the run's reference time (epoch seconds)
---@field args table            the step's args merged with the runbook's overrides
---@field aws runbook.aws       runbook.aws whose errors also carry service and operation, reads retried in rounds
---@field partition string      "aws", "aws-cn", "aws-us-gov": build ARNs with lib.arn
---@field ev table<string, table> the run's evidence (docs/writing-steps.md): data, { absent = reason } or { failed = err }
---@field step_id string
local ctx = {}

---The run's evidence, the same table `run(ctx, ev)` receives.
---@return table<string, table>
function ctx:evidence() end

---GetFunctionConfiguration of the function, read once and shared by all steps.
---@return table? cfg
---@return runbook.Error? err
function ctx:config() end

---Runs `fn()` once per run for `key`; callers asking while it runs wait; all get its
---results (if it raised, every caller raises the same error).
---@generic R
---@param key string
---@param fn fun(): R
---@return R
function ctx:once(key, fn) end

---Records a finding (checked: a bad severity or missing title raises) and returns it.
---@param f triage.Finding
---@return triage.Finding
function ctx:finding(f) end

---Records a skip finding: `ctx:skip("no VPC configured")`.
---@param reason string
---@return triage.Finding
function ctx:skip(reason) end

---Records the finding for a failed AWS read: for AccessDenied / AccessDeniedException /
---UnauthorizedOperation / AuthorizationError an `error` naming the IAM permission the
---operator lacks (from the message, err.service/err.operation, or `what` such as
---"lambda GetPolicy") with the command that grants it; otherwise an `error` with the AWS
---code and message. `what` may also describe the read ("the resource policy").
---@param err runbook.Error
---@param what? string
---@return triage.Finding
function ctx:error_from(err, what) end

---A step file (`plugins/steps/<id>.lua`) returns this table.
---@class triage.Step
---@field id string           equals the file name
---@field title string        short, for the one-line summary
---@field description? string
---@field tags? string[]      for --steps and --tag; built-in steps carry "default"
---@field args? table         name -> default, or name -> { default = v, help = "meaning" } (step.define)
---@field needs? string[]     evidence names; "?name" is optional (docs/writing-steps.md)
---@field fixes? string[]     writes its fix plans may propose: "lambda UpdateFunctionConfiguration"
---@field reads? string[]     AWS operations it calls beyond its needs' providers (runbook show)
---@field applies? fun(ctx: triage.Ctx, ev: table): boolean, string?
---@field run fun(ctx: triage.Ctx, ev?: table)

return { runbook = runbook, aws = aws, core = core, fix_scope = fix_scope, report = report, fs = fs,
         remedy = remedy, journal = journal, ctx = ctx }
