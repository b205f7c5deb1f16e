-- Tests of the team runbook examples/runbooks/team-triage.lua (`runbook test
-- examples/testing`, docs/testing-steps.md) against worlds/team.json: the runbook's own
-- arguments reach its steps, --arg overrides them, and its team checks run beside the
-- built-ins. The order of the report and the step it drops (cold_start) are checked in
-- tests/steps/test_examples_team.py.
return {
  world = "worlds/team.json",
  runbook = "../runbooks/team-triage.lua",
  plugins = { ".." },          -- the directory that holds the team's steps/ and evidence/
  cases = {
    {
      name = "the team runbook fails a function on the team's checks and the built-ins",
      fn = "thumbnailer",
      expect = {
        exit = 1,
        findings = {
          { step = "config", severity = "warn", title = "^runtime python3%.9 is deprecated" },
          { step = "runtime_support", severity = "fail", title = "^runtime python3%.9 is past",
            evidence = "^team policy: warn 270 days before" },
          { step = "plain_secrets", severity = "fail",
            data = { names = { "DB_PASSWORD", "STRIPE_API_KEY" } } },
          { step = "async_dlq", severity = "fail" },
          { step = "log_retention", severity = "fail",
            title = "^log group /aws/lambda/thumbnailer never expires",
            data = { log_group = "/aws/lambda/thumbnailer", proposed_days = 14 } },
          { step = "error_alarm", severity = "fail" },
          { step = "tags", severity = "fail", data = { missing = { "cost-center" } } },
        },
      },
    },
    {
      name = "--arg overrides the runbook's argument: python3.12 warns within 1000 days",
      fn = "mailer",
      args = { "--steps", "runtime_support", "--arg", "runtime_support.notice_days=1000" },
      expect = {
        exit = 0, strict = true,
        findings = {
          { step = "runtime_support", severity = "warn", title = "%(team notice: 1000 days%)$" },
        },
      },
    },
    {
      name = "a retention the runbook sets reaches the fix; --arg overrides a default",
      fn = "mailer",
      args = { "--steps", "log_retention", "--arg", "log_retention.max_days=4000" },
      expect = {
        exit = 0, strict = true,
        findings = {
          { step = "log_retention", severity = "ok", title = "expires events after 3653 days$" },
        },
      },
    },
  },
}
