--- triage.apigw: moved to evidence.apigw; this name stays for one release so team steps keep loading.
return require("evidence.apigw")
