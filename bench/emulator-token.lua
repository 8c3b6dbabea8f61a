-- wrk script for bench/emulator-token.sh: every request is an API-key grant, the form the
-- IBM docs' curl examples post. The key comes from the emulator's ready line via $APIKEY.
local apikey = os.getenv("APIKEY") or error("APIKEY is not set")
wrk.method = "POST"
wrk.path = "/identity/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
-- BENCH_CLIENT=bx sends the CLI's client credentials, so every grant also creates a refresh
-- session (and, with --state, dirties the state file).
if os.getenv("BENCH_CLIENT") == "bx" then
  wrk.headers["Authorization"] = "Basic Yng6Yng="
end
wrk.body = "grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=" .. apikey

local failed = 0
function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d errors_socket=%d\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("BENCH rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
