-- The tutorial's test (docs/writing-steps.md): `runbook test examples/tutorial`.
return {
  plugins = { "." },           -- the directory that holds steps/memory_floor.lua
  steps = { "memory_floor" },
  world = {
    description = "one small function, one at the floor",
    credentials = { { access_key_id = "AKIDTUTORIALEXAMPLE1",
                      secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } },
    lambda = { functions = {
      ["tiny-fn"] = { configuration = { MemorySize = 128 } },
      ["right-fn"] = { configuration = { MemorySize = 256 } },
    } },
  },
  cases = {
    {
      name = "a function below the floor gets a warning and a plan that raises its memory",
      fn = "tiny-fn",
      expect = {
        exit = 0,
        findings = {
          { step = "memory_floor", severity = "warn", title = "^128 MB is below the team's 256 MB",
            data = { memory_mb = 128, floor_mb = 256 } },
        },
      },
    },
    {
      name = "a runbook argument moves the floor",
      fn = "right-fn",
      args = { "--arg", "memory_floor.min_mb=512" },
      expect = {
        exit = 0,
        findings = { { step = "memory_floor", severity = "warn", title = "^256 MB is below" } },
      },
    },
    {
      name = "a function at the floor is ok",
      fn = "right-fn",
      expect = { exit = 0, strict = true,
                 findings = { { step = "memory_floor", severity = "ok", title = "^256 MB" } } },
    },
  },
}
