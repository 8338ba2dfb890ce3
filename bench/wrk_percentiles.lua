-- wrk reporter: one line with requests/s, p50/p95/p99 latency (ms) and non-2xx answers.
-- Used by bench/http_bench.py:  wrk -t1 -c4 -d15s -s bench/wrk_percentiles.lua URL
local auth = os.getenv("WRK_AUTHORIZATION")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50=%.2f p95=%.2f p99=%.2f max=%.2f errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, bad))
end
