#!/usr/bin/env bash
# Benchmarks/soak/run.sh — sustained load on signed-in console pages and on the gateway at once.
#
# One server (release build, embedded PostgreSQL in a fresh temporary directory, loopback only),
# its OpenAI provider pointed at the fake upstream (Benchmarks/gateway/FakeUpstream):
#   1. `oag demo seed --usage-events SEED_EVENTS`, `oag serve`, sign in as the demo owner and make
#      an API key in the console;
#   2. two wrk runs side by side, each paced to a steady rate (every connection waits between its
#      requests): signed-in GETs of /dashboard, /usage, /company/usage and /company/members in turn,
#      and non-streaming chat completions through /v1 (each one metered into the database);
#      first WARMUP seconds, then DURATION seconds measured;
#   3. oag's RSS sampled every 10 s of the measured run.
# It prints, per load: requests, throughput, p50/p99/p99.9, errors (non-2xx, socket errors, and
# any answer other than 200); oag's RSS when ready, at the start and end of the measured run, its
# peak, and the growth from start to end; and writes the report to .build-bench/soak-results.txt
# and Benchmarks/results/soak-<time>.txt.
#
# Targets: no errors at all; RSS at the end within 10% of the start. The verdicts are a printout;
# the exit status is 0 when the benchmark ran and met both, non-zero otherwise.
#
# Environment (all optional):
#   DURATION=600 WARMUP=60         seconds measured, and of warm-up at the same load first
#   CONSOLE_RATE=40 CONSOLE_CONNECTIONS=4    paced requests/s and connections on console pages
#   GATEWAY_RATE=400 GATEWAY_CONNECTIONS=8   the same for chat completions
#   SEED_EVENTS=100000             usage events in the demo company before the run
#   OAG_BIN=/path/to/oag           benchmark this binary instead of building the release one
#   OAG_RESOURCES_DIR=/path        its Templates/, Migrations/ … (default: this repository)
set -euo pipefail

bench_name="soak/run.sh"
duration="${DURATION:-600}"
warmup="${WARMUP:-60}"
console_rate="${CONSOLE_RATE:-40}"
console_connections="${CONSOLE_CONNECTIONS:-4}"
gateway_rate="${GATEWAY_RATE:-400}"
gateway_connections="${GATEWAY_CONNECTIONS:-8}"
seed_events="${SEED_EVENTS:-100000}"
console_paths="/dashboard /usage /company/usage /company/members"
sample_seconds=10
max_growth_percent=10
ready_timeout=120
stop_timeout=60

die() {
    echo "$bench_name: $*" >&2
    exit 1
}
whole() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 expects a positive whole number, got '$2'"; }
for setting in DURATION:"$duration" WARMUP:"$warmup" CONSOLE_RATE:"$console_rate" CONSOLE_CONNECTIONS:"$console_connections" \
    GATEWAY_RATE:"$gateway_rate" GATEWAY_CONNECTIONS:"$gateway_connections" SEED_EVENTS:"$seed_events"; do
    whole "${setting%%:*}" "${setting#*:}"
done
[[ $# -eq 0 ]] || die "no arguments; configure with DURATION, WARMUP, CONSOLE_RATE, GATEWAY_RATE, … (see the header)"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
# shellcheck source=Benchmarks/lib/common.sh
source "$repo_root/Benchmarks/lib/common.sh"
resources_dir="${OAG_RESOURCES_DIR:-$repo_root}"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"

bash "$repo_root/Scripts/ensure-debian-packages.sh" wrk curl
for tool in wrk curl python3 timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
build_release_oag
build_fake_upstream

# --- run state and cleanup -------------------------------------------------------------

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/oag-soak.XXXXXX")"
# When run as root the embedded PostgreSQL runs as the 'postgres' user, which must be
# able to pass through this directory to reach its own cluster folder.
chmod 711 "$work_dir"
data_dir="$work_dir/data"
fake_pid=""
oag_pid=""
sampler_pid=""
exec 3>&1 4>&2

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    exec 1>&3 2>&4
    if [[ -n "$sampler_pid" ]]; then stop_pid "$sampler_pid" "the RSS sampler"; fi
    if [[ -n "$oag_pid" ]]; then stop_pid "$oag_pid" "oag serve"; fi
    stop_leftover_postgres "$data_dir" "$bench_name" || status=1
    if [[ -n "$fake_pid" ]]; then stop_pid "$fake_pid" "the fake upstream"; fi
    if ((status != 0)) && [[ -s "$work_dir/oag-serve.log" ]]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 30 "$work_dir/oag-serve.log" >&2 || true
    fi
    rm -rf "$work_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the servers -----------------------------------------------------------------------

fake_port="$(free_port)"
fake_base="http://127.0.0.1:$fake_port"
echo "==> Starting the fake upstream on $fake_base"
"$fake_bin" "$fake_port" 1 >"$work_dir/fake-upstream.log" 2>&1 &
fake_pid=$!
wait_ready "$fake_base/health" "$fake_pid" "the fake upstream" 30

port="$(free_port)"
base="http://127.0.0.1:$port"
origin="http://localhost:$port"
oag_env=(
    OAG_HOST=127.0.0.1 OAG_PORT="$port" OAG_BASE_URL="$origin" OAG_DATA_DIR="$data_dir"
    OAG_RESOURCES_DIR="$resources_dir" OAG_LOG_LEVEL=warning
    OAG_OPENAI_BASE_URL="$fake_base/v1" OAG_OPENAI_API_KEY=sk-bench
)
echo "==> oag demo seed --usage-events $seed_events"
env "${oag_env[@]}" timeout 900 "$oag_bin" demo seed --usage-events "$seed_events" >"$work_dir/seed.log" 2>&1 ||
    { cat "$work_dir/seed.log" >&2; die "oag demo seed failed"; }
echo "==> Starting $oag_bin serve on $base"
env "${oag_env[@]}" "$oag_bin" serve >"$work_dir/oag-serve.log" 2>&1 &
oag_pid=$!
wait_ready "$base/readyz" "$oag_pid" "oag serve" "$ready_timeout"

jar="$work_dir/cookies.txt"
sign_in_demo_owner "$base" "$origin" "$jar"
api_key="$(make_api_key "$base" "$origin" "$jar" soak)"
cookie="oag_session=$(awk -F '\t' '$6 == "oag_session" { print $7 }' "$jar")"
for path in $console_paths; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Cookie: $cookie" "$base$path")"
    [[ "$code" == "200" ]] || die "GET $path answered $code to the signed-in owner, expected 200"
done

# --- the load --------------------------------------------------------------------------

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$oag_pid/status" 2>/dev/null || echo 0; }
cpu_seconds() { # cpu_seconds PID: user + system CPU seconds so far of PID and its children (PostgreSQL's backends)
    local pid stats=()
    for pid in "$1" $(pgrep -P "$1" || true); do stats+=("/proc/$pid/stat"); done
    cat "${stats[@]}" 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.1f", t / hz }'
}

# load SECONDS NAME: both wrk runs side by side for SECONDS, outputs in $work_dir/NAME-*.txt.
load() {
    local seconds="$1" name="$2" console_pid gateway_pid status=0
    BENCH_COOKIE="$cookie" BENCH_PATHS="$console_paths" BENCH_PAUSE_MS=$((console_connections * 1000 / console_rate)) \
        timeout --kill-after=10 $((seconds + 60)) wrk --latency --threads 1 --connections "$console_connections" \
        --duration "${seconds}s" --timeout 10s --script Benchmarks/soak/console.lua "$base" >"$work_dir/$name-console.txt" 2>&1 &
    console_pid=$!
    BENCH_API_KEY="$api_key" BENCH_PAUSE_MS=$((gateway_connections * 1000 / gateway_rate)) \
        timeout --kill-after=10 $((seconds + 60)) wrk --latency --threads 1 --connections "$gateway_connections" \
        --duration "${seconds}s" --timeout 10s --script Benchmarks/gateway/chat.lua "$base/v1/chat/completions" \
        >"$work_dir/$name-gateway.txt" 2>&1 &
    gateway_pid=$!
    wait "$console_pid" || status=$?
    wait "$gateway_pid" || status=$?
    ((status == 0)) || die "wrk failed during the $name (status $status)"
    alive "$oag_pid" || die "oag serve exited during the $name"
}

rss_ready="$(rss_kib)"
echo "==> Warm-up: ${warmup}s at about $console_rate console pages/s and $gateway_rate chat completions/s"
load "$warmup" warm-up
rss_start="$(rss_kib)"
cpu_start="$(cpu_seconds "$oag_pid")"
pg_pid="$(head -n 1 "$data_dir/pg/postmaster.pid")"
pg_cpu_start="$(cpu_seconds "$pg_pid")"

echo "==> Measured run: ${duration}s (oag RSS sampled every ${sample_seconds}s)"
(
    for _ in $(seq 1 $((duration / sample_seconds + 2))); do
        sleep "$sample_seconds"
        echo "$(date -u +%H:%M:%S) $(rss_kib)"
    done
) >"$work_dir/rss.txt" &
sampler_pid=$!
load "$duration" run
stop_pid "$sampler_pid" "the RSS sampler"
sampler_pid=""
rss_end="$(rss_kib)"
cpu_used="$(awk -v a="$cpu_start" -v b="$(cpu_seconds "$oag_pid")" 'BEGIN { printf "%.1f", b - a }')"
pg_cpu_used="$(awk -v a="$pg_cpu_start" -v b="$(cpu_seconds "$pg_pid")" 'BEGIN { printf "%.1f", b - a }')"
rss_peak="$(awk -v s="$rss_start" -v e="$rss_end" 'BEGIN { m = (s > e) ? s : e } $2 > m { m = $2 } END { print m }' "$work_dir/rss.txt")"
log_lines="$(grep -c . "$work_dir/oag-serve.log" || true)"

# --- report ----------------------------------------------------------------------------

field() { # field NAME LINE
    local item
    for item in $2; do [[ "$item" == "$1="* ]] && { echo "${item#*=}"; return 0; }; done
    echo 0
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f MiB", kib / 1024 }'; }
errors_total=0
rows=""
for name in console gateway; do
    line="$(grep '^BENCH ' "$work_dir/run-$name.txt")" || die "wrk printed no summary for the $name load"
    requests="$(field requests "$line")"
    errors=$(($(field non2xx "$line") + $(field socket_errors "$line") + $(field unexpected "$line")))
    errors_total=$((errors_total + errors))
    rate="$(awk -v n="$requests" -v us="$(field duration_us "$line")" 'BEGIN { printf "%.1f", n / (us / 1e6) }')"
    rows+="$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$name" "$requests" "$rate" \
        "$(ms "$(field p50_us "$line")")" "$(ms "$(field p99_us "$line")")" "$(ms "$(field p999_us "$line")")" \
        "$errors (non-2xx $(field non2xx "$line"), socket $(field socket_errors "$line"), other than 200 $(field unexpected "$line"))")"$'\n'
done
growth="$(awk -v s="$rss_start" -v e="$rss_end" 'BEGIN { printf "%+.1f", (e - s) * 100 / s }')"
rss_ok="$(awk -v s="$rss_start" -v e="$rss_end" -v m="$max_growth_percent" 'BEGIN { print ((e - s) * 100 / s <= m) ? 1 : 0 }')"
verdict() { if [[ "$1" == 1 ]]; then echo PASS; else echo FAIL; fi; }

report="$(
    echo "Soak benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "Machine: $(machine_line)"
    echo "oag: $oag_bin ($build_kind), OAG_LOG_LEVEL=warning, embedded PostgreSQL; fake OpenAI upstream (SwiftNIO)"
    echo "Load: ${warmup}s warm-up, then ${duration}s measured; both loads at once, paced, loopback:"
    echo "  console: $console_connections connections, about $console_rate requests/s, GET $console_paths in turn, signed in as the demo owner"
    echo "  gateway: $gateway_connections connections, about $gateway_rate requests/s, POST /v1/chat/completions (non-streaming, metered)"
    echo "  the demo company held $seed_events seeded usage events before the run"
    echo
    echo "| load | requests | requests/s | p50 | p99 | p99.9 | errors |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    printf '%s' "$rows"
    echo
    echo "oag RSS: $(mib "$rss_ready") when ready, $(mib "$rss_start") after the warm-up, $(mib "$rss_end") at the end" \
        "($growth%), peak sampled $(mib "$rss_peak")"
    echo "  samples: $(awk '{ printf "%s%.1f", (NR > 1 ? ", " : ""), $2 / 1024 }' "$work_dir/rss.txt") MiB"
    echo "CPU over the measured run: oag ${cpu_used} s, its PostgreSQL ${pg_cpu_used} s (of ${duration} s on $(nproc) cores; wrk and the fake upstream use the rest)"
    echo "oag's log at warning level: $log_lines line(s)"
    echo
    echo "Targets:"
    echo "  errors = 0: $errors_total — $(verdict $((errors_total == 0)))"
    echo "  RSS growth from start to end <= ${max_growth_percent}%: $growth% — $(verdict "$rss_ok")"
)"
echo
echo "$report"
mkdir -p "$repo_root/.build-bench" "$repo_root/Benchmarks/results"
printf '%s\n' "$report" >"$repo_root/.build-bench/soak-results.txt"
kept="$repo_root/Benchmarks/results/soak-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    printf '%s\n' "$report"
    for file in "$work_dir"/run-*.txt; do printf '\n### %s\n' "$(basename "$file")"; cat "$file"; done
    printf '\n### oag log\n'
    cat "$work_dir/oag-serve.log"
} >"$kept"
echo
echo "Written to .build-bench/soak-results.txt; with wrk's output and oag's log in ${kept#"$repo_root"/}"
((errors_total == 0 && rss_ok == 1)) || exit 1
