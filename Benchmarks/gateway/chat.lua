-- wrk script for Benchmarks/gateway/run.sh: one non-streaming chat completion per request.
--
-- Environment: BENCH_API_KEY, sent as "Authorization: Bearer …" when set and not empty;
--              BENCH_MODEL, the model to ask for (default gpt-4o-mini).
-- done() (Benchmarks/lib/report.lua) prints the line run.sh parses.
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"

local key = os.getenv("BENCH_API_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"Say hello"}]}'

-- The shared done() hook (run.sh runs wrk from the repository root).
dofile("Benchmarks/lib/report.lua")
