-- wrk's done() hook for the benchmarks: one line of exact figures (latencies in microseconds, as wrk
-- measures them) that the scripts parse:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N non2xx=N socket_errors=N
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
