-- Tests of the team checks in examples/steps/ (async_dlq, runtime_support, plain_secrets,
-- log_retention, error_alarm), run with `runbook test examples/testing` (docs/testing-steps.md)
-- against the fake account worlds/team.json: one function fails every check, one passes
-- every check, one takes the other branches (a dead-letter queue, a secret reference, a
-- too-long retention, an alarm without actions), one is skipped by every check that has
-- nothing to judge. `strict` makes every finding of these steps listed, ok ones included.
local STEPS = { "async_dlq", "runtime_support", "plain_secrets", "log_retention", "error_alarm" }

return {
  world = "worlds/team.json",
  plugins = { ".." },          -- the directory that holds steps/ and evidence/team.lua
  steps = STEPS,
  cases = {
    {
      name = "a function that fails every team check",
      fn = "thumbnailer",
      expect = {
        exit = 1, strict = true,
        findings = {
          { step = "async_dlq", severity = "fail",
            title = "^thumbnailer drops events that fail 2 retries: no on%-failure destination",
            evidence = "^invoked asynchronously by S3$", data = { sources = { "S3" }, retries = 2 } },
          { step = "runtime_support", severity = "fail",
            title = "^runtime python3%.9 is past its end of support %(2025%-12%-15,",
            data = { runtime = "python3.9", end_of_support = "2025-12-15" } },
          { step = "plain_secrets", severity = "fail",
            title = "^environment variables DB_PASSWORD, STRIPE_API_KEY look like a secret",
            evidence = "%(values not shown%)$",
            data = { names = { "DB_PASSWORD", "STRIPE_API_KEY" } } },
          { step = "log_retention", severity = "fail",
            title = "^log group /aws/lambda/thumbnailer never expires its events",
            evidence = "stores 73400320 bytes$", data = { proposed_days = 30 } },
          { step = "error_alarm", severity = "fail",
            title = "^no CloudWatch alarm watches the Errors metric of thumbnailer$" },
        },
      },
    },
    {
      name = "a function that passes every team check",
      fn = "order-events",
      expect = {
        exit = 0, strict = true,
        findings = {
          { step = "async_dlq", severity = "ok",
            title = "go to arn:aws:sqs:us%-east%-1:123456789012:order%-events%-failed$",
            evidence = "^invoked asynchronously by its EventInvokeConfig, EventBridge$" },
          { step = "runtime_support", severity = "ok",
            title = "^runtime python3%.14 is supported until 2029%-06%-30" },
          { step = "plain_secrets", severity = "ok",
            title = "^DB_PASSWORD encrypted with the customer managed key arn:aws:kms:",
            evidence = "^references to secrets kept elsewhere: API_TOKEN_SECRET_ARN$" },
          { step = "log_retention", severity = "ok", data = { retention_days = 30 } },
          { step = "error_alarm", severity = "ok", title = "^Errors alarm order%-events%-errors " },
        },
      },
    },
    {
      name = "a dead-letter queue, a secret reference, a long retention, a silent alarm",
      fn = "mailer",
      expect = {
        exit = 0, strict = true,
        findings = {
          { step = "async_dlq", severity = "ok", title = "go to .*:mailer%-dlq$",
            data = { sources = { "SNS" } } },
          { step = "runtime_support", severity = "ok", title = "^runtime python3%.12 " },
          { step = "plain_secrets", severity = "ok",
            title = "^no environment variable is named like a credential$",
            data = { references = { "SMTP_PASSWORD_PARAM" } } },
          { step = "log_retention", severity = "warn",
            title = "keeps events 3653 days %(team maximum 365%)$" },
          { step = "error_alarm", severity = "warn",
            title = "^the Errors alarm mailer%-errors notifies nobody" },
        },
      },
    },
    {
      name = "the team's notice window is an argument: python3.12 warns within 1000 days",
      fn = "mailer",
      steps = { "runtime_support" },
      args = { "--arg", "runtime_support.notice_days=1000" },
      expect = {
        exit = 0,
        findings = {
          { step = "runtime_support", severity = "warn",
            title = "^runtime python3%.12 reaches end of support on 2028%-10%-31, in %d+ days "
              .. "%(team notice: 1000 days%)$",
            data = { runtime = "python3.12", end_of_support = "2028-10-31" } },
        },
      },
    },
    {
      name = "a container image with no async source, no environment and no log group",
      fn = "report-api",
      steps = { "async_dlq", "runtime_support", "plain_secrets", "log_retention" },
      expect = {
        exit = 0, strict = true,
        findings = {
          { step = "async_dlq", severity = "skip", title = "^not invoked asynchronously" },
          { step = "runtime_support", severity = "skip",
            title = "^no managed runtime %(package type Image%)$" },
          { step = "plain_secrets", severity = "skip", title = "^no environment variables$" },
          { step = "log_retention", severity = "skip",
            title = "^no log group /aws/lambda/report%-api %(the function has not logged yet%)$" },
        },
      },
    },
    {
      name = "an operator without lambda:GetFunctionEventInvokeConfig is told so",
      fn = "thumbnailer",
      steps = { "async_dlq" },
      faults = { { service = "lambda", operation = "GetFunctionEventInvokeConfig",
                   kind = "access_denied" } },
      expect = {
        exit = 1,
        findings = {
          { step = "async_dlq", severity = "error", title = "lambda:GetFunctionEventInvokeConfig" },
        },
      },
    },
  },
}
