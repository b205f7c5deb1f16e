--- team-triage: the stock triage with our team's checks and policy.
--
--   runbook --plugins examples examples/runbooks/team-triage.lua FUNCTION [--format json] ...
--
-- A copy of runbooks/triage.lua, edited the ways a team usually does (docs/writing-steps.md):
--   * order: the configuration and our own configuration checks first (they need one
--     read each and explain most incidents), then what the logs say (errors, timeouts),
--     then the invocation paths;
--   * dropped: cold_start (our functions run with provisioned concurrency; its reads
--     only add calls for us);
--   * arguments: { "step", name = value } overrides a step's default (`runbook show STEP`
--     lists them); `--arg step.key=value` still overrides these at the command line;
--   * our checks: steps/async_dlq.lua, runtime_support.lua, plain_secrets.lua,
--     log_retention.lua, error_alarm.lua and tags.lua of the --plugins directory, which
--     read through the evidence the team registers in evidence/team.lua.
-- With --plugins examples, examples/steps/timeout.lua also replaces the built-in timeout
-- step. Every option of triage.lua works (--steps, --skip, --tag, --since, --format).
local engine = require("triage.engine")

return engine.main({
  "config",                       -- state, last update, runtime, role, VPC
  { "runtime_support",            -- team check: end of support, stricter than config's
    notice_days = 270 },          -- warn 270 days ahead (the check's default is 365)
  "plain_secrets",                -- team check: credentials in the environment
  "async_dlq",                    -- team check: failed async events are kept
  "errors",                       -- the most frequent error signatures, first among the logs
  { "timeout", margin = 0.7 },    -- warn when p99 reaches 70% of the timeout
  "throttle",
  "access_denied",
  "forbidden",
  "bad_gateway",
  "unavailable",
  "vpc",
  { "log_retention",              -- team check: the log group expires its events
    retention_days = 14 },        -- what the fix proposes
  "error_alarm",                  -- team check: an alarm on Errors with an action
  { "tags", required = { "owner", "cost-center" } },
}, ...)
