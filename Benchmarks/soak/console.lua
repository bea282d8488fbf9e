-- wrk script for Benchmarks/soak/run.sh: signed-in GETs of console pages, in turn.
--
-- Environment: BENCH_COOKIE, the Cookie header of a signed-in session;
--              BENCH_PATHS, the paths to fetch in turn, separated by spaces.
-- done() (Benchmarks/lib/report.lua) prints the line run.sh parses.
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/dashboard", "%S+") do
  table.insert(paths, path)
end
local next_path = 0

request = function()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

-- The shared pacing and done() hook (run.sh runs wrk from the repository root).
dofile("Benchmarks/lib/report.lua")
