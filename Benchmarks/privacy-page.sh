#!/usr/bin/env bash
# Benchmarks/privacy-page.sh — throughput and latency of /privacy against a trivial route.
#
# Starts `oag serve` (release build, embedded PostgreSQL in a fresh temporary directory)
# on a free loopback port, then runs wrk against /healthz (the baseline: no database,
# no template) and /privacy (the cached policy page) in the same run, and prints
# requests/s, p50, p99, the ratio of the two throughputs and the server's peak RSS.
#
# Target: /privacy within 1.5x of /healthz's throughput, i.e. the page is served from
# the cache, not rendered per request. The verdict is a printout; the exit status only
# says whether the benchmark ran (0) or something failed to run (non-zero).
#
# Usage: Benchmarks/privacy-page.sh [--duration SECONDS] [--connections N] [--threads N]
# Environment: OAG_BIN=/path/to/oag skips the release build and benchmarks that binary.
set -euo pipefail

bench_name="privacy-page.sh"
duration=15
connections=32
threads=2
target_ratio=1.5
ready_timeout=120
stop_timeout=60

usage() {
    cat <<EOF
Usage: $0 [--duration SECONDS] [--connections N] [--threads N]

  --duration SECONDS   wrk run per route (default $duration)
  --connections N      concurrent HTTP connections (default $connections)
  --threads N          wrk threads (default $threads)

Environment:
  OAG_BIN=/path/to/oag  benchmark this binary instead of building the release one
                        (e.g. OAG_BIN=.build/debug/oag for a quick check)
EOF
}

die() {
    echo "privacy-page.sh: $*" >&2
    exit 1
}

positive_int() {
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 expects a positive whole number, got '$2'"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) [[ $# -ge 2 ]] || die "--duration needs a value"; positive_int "$1" "$2"; duration="$2"; shift 2 ;;
        --connections) [[ $# -ge 2 ]] || die "--connections needs a value"; positive_int "$1" "$2"; connections="$2"; shift 2 ;;
        --threads) [[ $# -ge 2 ]] || die "--threads needs a value"; positive_int "$1" "$2"; threads="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
((connections >= threads)) || die "--connections ($connections) must be at least --threads ($threads)"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=Benchmarks/lib/common.sh
source "$repo_root/Benchmarks/lib/common.sh"

# --- tools -----------------------------------------------------------------------------

bash "$repo_root/Scripts/ensure-debian-packages.sh" wrk curl
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# --- the server binary -----------------------------------------------------------------

build_release_oag

# --- run state and cleanup -------------------------------------------------------------

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/oag-bench.XXXXXX")"
# When run as root the embedded PostgreSQL runs as the 'postgres' user, which must be
# able to pass through this directory to reach its own cluster folder.
chmod 711 "$work_dir"
data_dir="$work_dir/data"
server_log="$work_dir/server.log"
server_pid=""
sampler_pid=""
# cleanup() may run while a command's output is redirected: it writes to the original streams.
exec 3>&1 4>&2

results_dir="$repo_root/Benchmarks/results"
mkdir -p "$results_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
raw_output="$results_dir/privacy-page-$stamp.txt"

# Stops the server with SIGTERM (it then stops its embedded PostgreSQL), waits for it
# within bounds, checks that no postgres of this run is left, removes the temp dir.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    exec 1>&3 2>&4
    if [[ -n "$sampler_pid" ]]; then stop_pid "$sampler_pid" "the RSS sampler"; fi
    if [[ -n "$server_pid" ]]; then stop_pid "$server_pid" "oag serve"; fi
    # The embedded PostgreSQL of this run is `postgres -D $data_dir/pg`; none may remain.
    if ! stop_leftover_postgres "$data_dir" "privacy-page.sh"; then
        status=1
    elif [[ -n "$server_pid" ]]; then
        echo "==> Server stopped; no postgres -D $data_dir/pg remains"
    fi
    if ((status != 0)) && [[ -s "$server_log" ]]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 30 "$server_log" >&2 || true
    fi
    rm -rf "$work_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- start the server ------------------------------------------------------------------

port="$(free_port)"
base="http://127.0.0.1:$port"

echo "==> Starting $oag_bin serve on $base (data in $data_dir)"
OAG_HOST=127.0.0.1 \
    OAG_PORT="$port" \
    OAG_BASE_URL="$base" \
    OAG_DATA_DIR="$data_dir" \
    OAG_RESOURCES_DIR="$repo_root" \
    OAG_LOG_LEVEL=warning \
    "$oag_bin" serve >"$server_log" 2>&1 &
server_pid=$!

wait_ready "$base/readyz" "$server_pid" "oag serve" "$ready_timeout"

for route in /healthz /privacy; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$base$route" || true)"
    [[ "$code" == "200" ]] || die "GET $route answered $code, expected 200"
done
privacy_bytes="$(curl -s --max-time 10 "$base/privacy" | wc -c)"

# --- measure ---------------------------------------------------------------------------

status_field() { # status_field VmRSS → kB of the server process
    awk -v key="$1:" '$1 == key { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true
}

run_wrk() { # run_wrk ROUTE SECONDS
    timeout --kill-after=10 $(($2 + 60)) \
        wrk --latency --threads "$threads" --connections "$connections" --duration "${2}s" --timeout 10s \
        --script "$repo_root/Benchmarks/lib/report.lua" "$base$1"
}

# RSS of oag every 200 ms while wrk runs (the embedded PostgreSQL processes are not counted).
sample_rss() {
    while kill -0 "$server_pid" 2>/dev/null; do
        awk '$1 == "VmRSS:" { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true
        sleep 0.2
    done
}

rss_start_kb="$(status_field VmRSS)"
echo "==> Warming up (3 s per route)"
for route in /healthz /privacy; do
    run_wrk "$route" 3 >/dev/null || die "wrk warm-up against $route failed"
done
rss_after_warmup_kb="$(status_field VmRSS)"

sample_rss >"$work_dir/rss-samples" &
sampler_pid=$!

{
    echo "# Benchmarks/privacy-page.sh $stamp"
    echo "# binary: $oag_bin ($build_kind); duration ${duration}s, connections $connections, threads $threads"
} >"$raw_output"

declare -A rps p50 p99 requests non2xx socket_errors
for route in /healthz /privacy; do
    echo "==> wrk $route for ${duration}s ($connections connections, $threads threads)"
    output="$(run_wrk "$route" "$duration")" || die "wrk against $route failed"
    kill -0 "$server_pid" 2>/dev/null || die "oag serve exited during the $route run"
    printf '\n### %s\n%s\n' "$route" "$output" >>"$raw_output"
    line="$(grep '^BENCH ' <<<"$output")" || die "wrk printed no summary for $route"
    for field in $line; do
        case "$field" in
            requests=*) requests[$route]="${field#*=}" ;;
            duration_us=*) duration_us="${field#*=}" ;;
            p50_us=*) p50[$route]="${field#*=}" ;;
            p99_us=*) p99[$route]="${field#*=}" ;;
            unexpected=*) non2xx[$route]="${field#*=}" ;;
            socket_errors=*) socket_errors[$route]="${field#*=}" ;;
        esac
    done
    rps[$route]="$(awk -v n="${requests[$route]}" -v us="$duration_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')"
done

kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
rss_end_kb="$(status_field VmRSS)"
peak_kb="$(status_field VmHWM)"
sampled_peak_kb="$(sort -n "$work_dir/rss-samples" | tail -n 1)"

# --- report ----------------------------------------------------------------------------

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
mib() { awk -v kb="${1:-0}" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }

ratio="$(awk -v a="${rps[/healthz]}" -v b="${rps[/privacy]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')"
verdict="$(awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { print (r != "inf" && r + 0 <= t) ? "PASS" : "FAIL" }')"

report="$(
    echo
    echo "Machine: $(machine_line)"
    echo "Server:  $oag_bin ($build_kind), OAG_LOG_LEVEL=warning, embedded PostgreSQL"
    echo "wrk:     ${duration}s per route, $connections connections, $threads threads, loopback; /privacy body $privacy_bytes bytes"
    echo
    printf '%-10s %12s %12s %12s %10s %8s\n' route requests/s p50 p99 requests errors
    for route in /healthz /privacy; do
        printf '%-10s %12s %12s %12s %10s %8s\n' "$route" "${rps[$route]}" "$(ms "${p50[$route]}")" "$(ms "${p99[$route]}")" \
            "${requests[$route]}" "$((${non2xx[$route]} + ${socket_errors[$route]}))"
    done
    echo
    echo "healthz_rps / privacy_rps = $ratio"
    echo "oag RSS: start $(mib "$rss_start_kb"), after warm-up $(mib "$rss_after_warmup_kb"), end $(mib "$rss_end_kb"), peak (VmHWM) $(mib "$peak_kb"), peak sampled during wrk $(mib "$sampled_peak_kb")"
    echo
    echo "target: privacy within ${target_ratio}x of trivial route: $verdict"
)"
echo "$report"
printf '\n### summary\n%s\n' "$report" >>"$raw_output"
echo
echo "Raw wrk output: ${raw_output#"$repo_root"/}"

for route in /healthz /privacy; do
    if ((${non2xx[$route]} + ${socket_errors[$route]} > 0)); then
        echo "privacy-page.sh: $route had ${non2xx[$route]} answers other than 200 and ${socket_errors[$route]} socket errors" >&2
        exit 1
    fi
done
