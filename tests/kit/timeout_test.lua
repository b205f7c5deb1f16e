-- The timeout step through `runbook test`: timeouts from a slow dependency, out of memory
-- told apart from a timeout, and no false alarm on a healthy function (ported from
-- tests/steps/test_timeout.py).
return {
  steps = { "timeout" },
  cases = {
    {
      name = "timeouts at the 3 s limit recommend 6 s",
      world = "../worlds/timeout.json",
      fn = "report-builder",
      expect = {
        exit = 1,
        findings = {
          { step = "timeout", severity = "fail",
            title = "^12 invocations timed out at the 3 s timeout",
            data = { invocations = 120, cold_timeouts = 1, recommended_timeout_s = 6 } },
        },
      },
    },
    {
      name = "signal: killed at full memory is out of memory, not a timeout",
      world = "../worlds/oom.json",
      fn = "image-resizer",
      expect = {
        exit = 1,
        findings = {
          { step = "timeout", severity = "fail", title = "^out of memory, not a timeout: 7 invocations",
            data = { memory_mb = 128, recommended_memory_mb = 256 } },
        },
      },
    },
    {
      name = "a healthy function has no timeout finding",
      world = "healthy", -- by name: a world of the installed set (share/runbook/worlds)
      fn = "orders-api",
      expect = {
        exit = 0,
        strict = true,
        findings = { { step = "timeout", severity = "ok", title = "^no timeouts in the last 1h" } },
      },
    },
  },
}
