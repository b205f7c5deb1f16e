--- triage.proxy_response: moved into the core as runbook.proxy_response (the check-response
--- command needs it with no plugins); this name stays for one release.
return require("runbook.proxy_response")
