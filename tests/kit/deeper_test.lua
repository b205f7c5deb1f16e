-- The deeper diagnosis through `runbook test`, one installed world per shape: where the
-- time went (X-Ray), what changed (CloudTrail), an asynchronous function dropping events,
-- an SQS-fed function (visibility timeout, no redrive, an old message, a poison message,
-- a disabled mapping), a Kinesis-fed one falling behind, and one function with all of
-- these shapes at once. The worlds are tests/worlds/*.json,
-- named as installed (share/runbook/worlds).
return {
  cases = {
    {
      name = "a timeout is traced to the slow partner call",
      world = "slow_dependency", fn = "checkout", steps = { "timeout" },
      expect = {
        exit = 1,
        findings = {
          { step = "timeout", severity = "fail",
            title = "^8 invocations timed out at the 3 s timeout .*: 94 %% of their time in "
              .. "POST https://api%.partner%.example/charge" },
        },
      },
    },
    {
      name = "the deploy before the errors is named",
      world = "bad_deploy", fn = "checkout-api", steps = { "changes" },
      expect = {
        exit = 1,
        findings = {
          { step = "changes", severity = "fail",
            title = "^since deploy of version 42 at %d%d:%d%dZ by deploy/ci: 24 %% errors$" },
        },
      },
    },
    {
      name = "dropped async events with nowhere to go",
      world = "async_drop", fn = "order-events", steps = { "async" },
      expect = {
        exit = 1,
        findings = {
          { step = "async", severity = "fail",
            title = "^37 async events were dropped: no on%-failure destination and no "
              .. "dead%-letter queue$" },
          { step = "async", severity = "warn", title = "^async events waited up to 14400 s" },
        },
      },
    },
    {
      name = "an SQS-fed function: visibility, redrive, a poison message, a disabled mapping",
      world = "sqs_visibility", fn = "orders-consumer", steps = { "event_sources" },
      expect = {
        exit = 1,
        findings = {
          { step = "event_sources", severity = "warn",
            title = "^queue orders%-inbox: VisibilityTimeout 60 s is below 6 x the function's "
              .. "30 s timeout %(180 s%)$" },
          { step = "event_sources", severity = "warn",
            title = "^queue orders%-inbox has no redrive policy" },
          { step = "event_sources", severity = "warn",
            title = "^queue orders%-inbox: the oldest message waited 2400 s$" },
          { step = "event_sources", severity = "fail", title = "^poison message: " },
          { step = "event_sources", severity = "warn", title = "is Disabled: nothing reads it" },
        },
      },
    },
    {
      name = "a Kinesis-fed function falling behind",
      world = "kinesis_iterator", fn = "clickstream-fn", steps = { "event_sources" },
      expect = {
        exit = 1,
        findings = {
          { step = "event_sources", severity = "fail",
            title = "^Kinesis stream clicks %(mapping [%x-]+%) falls behind: IteratorAge grew" },
        },
      },
    },
    {
      name = "one function of every shape: traced, just deployed, async and SQS-fed",
      world = "all_shapes", fn = "order-sync",
      steps = { "timeout", "changes", "async", "event_sources" },
      expect = {
        exit = 1,
        findings = {
          { step = "timeout", severity = "fail",
            title = "^3 invocations timed out at the 3 s timeout .*: 94 %% of their time in "
              .. "POST https://api%.partner%.example/charge" },
          { step = "changes", severity = "fail",
            title = "^since deploy of version 7 at %d%d:%d%dZ by deploy/ci: 33 %% errors$" },
          { step = "async", severity = "fail",
            title = "^3 async events were dropped: no on%-failure destination and no "
              .. "dead%-letter queue$" },
          { step = "event_sources", severity = "warn",
            title = "^queue orders%-sync: VisibilityTimeout 10 s is below 6 x the function's "
              .. "3 s timeout %(18 s%)$" },
        },
      },
    },
  },
}
