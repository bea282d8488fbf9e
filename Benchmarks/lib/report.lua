-- Shared by the benchmarks' wrk scripts (dofile it last). It prints one line of exact figures
-- (latencies in microseconds, as wrk measures them) that the scripts parse:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N p999_us=N non2xx=N socket_errors=N unexpected=N
-- unexpected counts answers other than 200: wrk's own count (non2xx) misses redirects, such
-- as a console page sending a signed-out visitor to the sign-in page.
--
-- Environment: BENCH_PAUSE_MS, when set, makes each connection wait that long before each
-- request, which paces the load at about connections × 1000 / BENCH_PAUSE_MS requests/s.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

unexpected = 0
response = function(status, headers, body)
  if status ~= 200 then
    unexpected = unexpected + 1
  end
end

local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "")
if pause ~= nil and pause > 0 then
  delay = function()
    return pause
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local odd = 0
  for _, thread in ipairs(threads) do
    odd = odd + (thread:get("unexpected") or 0)
  end
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d non2xx=%d socket_errors=%d unexpected=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status, e.connect + e.read + e.write + e.timeout, odd))
end
