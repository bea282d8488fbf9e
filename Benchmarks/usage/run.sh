#!/usr/bin/env bash
# Benchmarks/usage/run.sh — server latency of the usage pages at 20,000 and at 2,000,000 events.
#
# In one run, against one server (release build, embedded PostgreSQL in a fresh temporary
# directory, loopback only):
#   1. `oag demo seed --usage-events SMALL` (the demo company and SMALL events over the last
#      three months), then `oag serve`, sign in as the demo owner;
#   2. REQUESTS sequential GETs of /company/usage and of /usage for the last 90 days (UTC),
#      after a warm-up, each checked for 200 and the totals block; p50 and p99 in ms;
#   3. `oag demo seed --usage-events LARGE-SMALL` next to the running server, then 2. again;
#   4. prints size | page | p50 | p99, the ratio p50@LARGE / p50@SMALL per page, the seeding
#      rates the command reported, the verdicts, and writes all that to .build-bench/usage-results.txt.
#
# Targets: p50@LARGE / p50@SMALL <= 1.5 and p50@LARGE < 20 ms for both pages; seeding at least
# 100,000 events/s. The verdicts are printouts; the exit status only says whether the benchmark
# ran (0) or something failed to run (non-zero).
#
# Environment (all optional):
#   SMALL=20000 LARGE=2000000   event counts of the two measurements (LARGE > SMALL)
#   REQUESTS=300 WARMUP=30      measured and warm-up requests per page and size
#   CSV=1                       also measure /company/usage.csv and /usage.csv (same query, no
#                               HTML template) to tell query time from rendering; CSV=0 skips them
#   LOAD_MAX=2.5 LOAD_WAIT=300  before each measurement wait (polling every 5 s, at most
#                               LOAD_WAIT s) until the 1-minute load average is below LOAD_MAX
#   OAG_BIN=/path/to/oag        benchmark this binary instead of building the release one
#   OAG_RESOURCES_DIR=/path     Templates/, Migrations/ … for that binary (default: this repository)
set -euo pipefail

bench_name="usage/run.sh"
small="${SMALL:-20000}"
large="${LARGE:-2000000}"
requests="${REQUESTS:-300}"
warmup="${WARMUP:-30}"
csv="${CSV:-1}"
load_max="${LOAD_MAX:-2.5}"
load_wait="${LOAD_WAIT:-300}"
target_ratio=1.5
target_p50_ms=20
target_seed_rate=100000
ready_timeout=120
stop_timeout=60
request_timeout=30

die() {
    echo "usage/run.sh: $*" >&2
    exit 1
}
whole() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 expects a positive whole number, got '$2'"; }
whole SMALL "$small"
whole LARGE "$large"
whole REQUESTS "$requests"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "WARMUP expects a whole number, got '$warmup'"
[[ "$csv" =~ ^[01]$ ]] || die "CSV expects 0 or 1, got '$csv'"
whole LOAD_WAIT "$load_wait"
[[ "$load_max" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "LOAD_MAX expects a number, got '$load_max'"
((large > small)) || die "LARGE ($large) must be greater than SMALL ($small)"
[[ $# -eq 0 ]] || die "no arguments; configure with SMALL, LARGE, REQUESTS, WARMUP, LOAD_MAX, LOAD_WAIT, OAG_BIN"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
# shellcheck source=Benchmarks/lib/common.sh
source "$repo_root/Benchmarks/lib/common.sh"
resources_dir="${OAG_RESOURCES_DIR:-$repo_root}"

# --- tools -----------------------------------------------------------------------------

for tool in curl python3 awk sort timeout; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

# --- the server binary -----------------------------------------------------------------

build_release_oag
"$oag_bin" demo seed --help 2>/dev/null | grep -q -- '--usage-events' ||
    die "$oag_bin has no 'demo seed --usage-events'; rebuild it"

# --- run state and cleanup -------------------------------------------------------------

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/oag-usage.XXXXXX")"
# When run as root the embedded PostgreSQL runs as the 'postgres' user, which must be
# able to pass through this directory to reach its own cluster folder.
chmod 755 "$work_dir"
data_dir="$work_dir/data"
server_log="$work_dir/server.log"
server_pid=""
seed_pid=""
mkdir -p "$repo_root/.build-bench"
results_file="$repo_root/.build-bench/usage-results.txt"
# cleanup() may run while a command's output is redirected: it writes to the original streams.
exec 3>&1 4>&2

# Stops the seeding command and the server (which then stops its embedded PostgreSQL),
# checks that no postgres of this run is left, removes the temporary directory.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    exec 1>&3 2>&4
    if [[ -n "$seed_pid" ]]; then stop_pid "$seed_pid" "oag demo seed"; fi
    if [[ -n "$server_pid" ]]; then stop_pid "$server_pid" "oag serve"; fi
    # The embedded PostgreSQL of this run is `postgres -D $data_dir/pg`; none may remain
    # (a seed that ran alone and was killed could leave it).
    if ! stop_leftover_postgres "$data_dir" "usage/run.sh"; then
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

port="$(free_port)"
base="http://127.0.0.1:$port"
public_url="http://localhost:$port"

# Every oag of this run (seeding and serving) shares this environment.
oag_env=(
    OAG_HOST=127.0.0.1
    OAG_PORT="$port"
    OAG_BASE_URL="$public_url"
    OAG_DATA_DIR="$data_dir"
    OAG_RESOURCES_DIR="$resources_dir"
    OAG_LOG_LEVEL=warning
)

# --- seeding ---------------------------------------------------------------------------

declare -A seed_rate seed_seconds
# seed COUNT KEY: runs `oag demo seed --usage-events COUNT` (bounded in time), prints its output,
# keeps the rate it reports.
seed() {
    local count="$1" key="$2" log="$work_dir/seed-$2.log" limit=$((600 + $1 / 2000))
    echo "==> oag demo seed --usage-events $count (at most ${limit}s)"
    timeout --kill-after=30 "$limit" env "${oag_env[@]}" "$oag_bin" demo seed --usage-events "$count" >"$log" 2>&1 &
    seed_pid=$!
    local status=0
    wait "$seed_pid" || status=$?
    seed_pid=""
    sed 's/^/    /' "$log"
    ((status != 124)) || die "oag demo seed --usage-events $count did not finish within ${limit}s"
    ((status == 0)) || die "oag demo seed --usage-events $count failed (status $status)"
    local line
    line="$(grep -E '^Added [0-9]+ usage events in [0-9.]+ s \([0-9]+ events/s\)' "$log" | tail -n 1)" ||
        die "oag demo seed printed no 'Added … usage events' line"
    seed_seconds[$key]="$(sed -E 's/.* in ([0-9.]+) s .*/\1/' <<<"$line")"
    seed_rate[$key]="$(sed -E 's/.*\(([0-9]+) events\/s\).*/\1/' <<<"$line")"
}

# --- measuring -------------------------------------------------------------------------

load_now() { cut -d ' ' -f 1 /proc/loadavg; }
declare -A load_at load_after

# wait_for_quiet LABEL: other builds share the machine; wait until the 1-minute load average
# is below LOAD_MAX (every 5 s, at most LOAD_WAIT s), then record it.
wait_for_quiet() {
    local waited=0 load
    while :; do
        load="$(load_now)"
        if awk -v l="$load" -v m="$load_max" 'BEGIN { exit !(l < m) }'; then
            break
        fi
        if ((waited >= load_wait)); then
            echo "    load average still $load after ${load_wait}s (limit $load_max): measuring anyway, figures are noisy" >&2
            break
        fi
        ((waited % 30 == 0)) && echo "    load average $load ≥ $load_max; waiting (${waited}s so far)"
        sleep 5
        waited=$((waited + 5))
    done
    load_at[$1]="$load"
    echo "    1-minute load average when measuring starts: $load"
}

# sign_in: a fresh cookie jar signed in as the demo owner.
sign_in() {
    rm -f "$work_dir/cookies"
    sign_in_demo_owner "$base" "$public_url" "$work_dir/cookies"
}

from_day="$(date -u -d '89 days ago' +%F)"
to_day="$(date -u +%F)"
declare -A page_path=([company]="/company/usage" [member]="/usage" [company_csv]="/company/usage.csv" [member_csv]="/usage.csv")
# What every answer must contain: the page's totals block, the CSV's header.
declare -A page_mark=([company]="data-totals" [member]="data-totals" [company_csv]="day,model,requests," [member_csv]="day,model,requests,")
pages=(company member)
# The CSVs run the same report query without the HTML template: they tell query time from rendering.
((csv)) && pages+=(company_csv member_csv)
declare -A p50 p99 mean worst bytes total_requests

# fetch PAGE COUNT OUT_DIR: COUNT sequential GETs of the page on one keep-alive connection
# (one curl, a config file of COUNT url/output pairs); prints "code seconds bytes" per request.
fetch() {
    local url="$base${page_path[$1]}?from=$from_day&to=$to_day" count="$2" dir="$3" config="$3/curl.config"
    mkdir -p "$dir"
    : >"$config"
    for i in $(seq 1 "$count"); do
        printf 'url = "%s"\noutput = "%s/%d.html"\n' "$url" "$dir" "$i" >>"$config"
    done
    timeout --kill-after=10 $((count * request_timeout + 60)) \
        curl -s -b "$work_dir/cookies" --max-time "$request_timeout" \
        -w '%{http_code} %{time_total} %{size_download}\n' --config "$config"
}

# measure SIZE: warm-up, then REQUESTS per page; checks every answer; keeps p50/p99 in ms.
measure() {
    local size="$1" page out dir timings i bad
    sign_in
    for page in "${pages[@]}"; do
        dir="$work_dir/$size-$page"
        wait_for_quiet "$size,$page"
        if ((warmup > 0)); then
            fetch "$page" "$warmup" "$dir-warmup" >/dev/null || die "warm-up of ${page_path[$page]} failed"
        fi
        echo "==> $requests sequential GET ${page_path[$page]}?from=$from_day&to=$to_day at $size events"
        out="$(fetch "$page" "$requests" "$dir")" || die "curl against ${page_path[$page]} failed"
        load_after[$size,$page]="$(load_now)"
        kill -0 "$server_pid" 2>/dev/null || die "oag serve exited while ${page_path[$page]} was measured"
        bad="$(awk '$1 != 200' <<<"$out" | wc -l)"
        ((bad == 0)) || die "${page_path[$page]}: $bad of $requests answers were not 200 (e.g. '$(awk '$1 != 200' <<<"$out" | head -n 1)')"
        [[ "$(wc -l <<<"$out")" -eq "$requests" ]] || die "${page_path[$page]}: expected $requests answers"
        for i in $(seq 1 "$requests"); do
            grep -q -- "${page_mark[$page]}" "$dir/$i.html" || die "${page_path[$page]}: answer $i lacks '${page_mark[$page]}'"
        done
        total_requests[$size,$page]="$(tr -d '\n' <"$dir/1.html" |
            sed -n -E 's/.*data-totals>[[:space:]]*<dt>Requests<\/dt><dd>([^<]*)<\/dd>.*/\1/p')"
        timings="$(awk '{ printf "%.3f\n", $2 * 1000 }' <<<"$out" | sort -n)"
        # Nearest-rank percentiles of the sorted milliseconds.
        p50[$size,$page]="$(awk -v n="$requests" -v p=50 'BEGIN { r = int(n * p / 100); if (r < n * p / 100) r++; if (r < 1) r = 1 } NR == r { print; exit }' <<<"$timings")"
        p99[$size,$page]="$(awk -v n="$requests" -v p=99 'BEGIN { r = int(n * p / 100); if (r < n * p / 100) r++; if (r < 1) r = 1 } NR == r { print; exit }' <<<"$timings")"
        mean[$size,$page]="$(awk '{ s += $1 } END { printf "%.2f", s / NR }' <<<"$timings")"
        worst[$size,$page]="$(tail -n 1 <<<"$timings")"
        bytes[$size,$page]="$(awk 'NR == 1 { print $3 }' <<<"$out")"
        echo "    p50 ${p50[$size,$page]} ms, p99 ${p99[$size,$page]} ms, mean ${mean[$size,$page]} ms, max ${worst[$size,$page]} ms; ${bytes[$size,$page]} bytes; page total: ${total_requests[$size,$page]:-?} requests"
        rm -rf "$dir" "$dir-warmup"
    done
}

# --- the run ---------------------------------------------------------------------------

started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
seed "$small" small

echo "==> Starting $oag_bin serve on $base (public URL $public_url, data in $data_dir)"
env "${oag_env[@]}" "$oag_bin" serve >"$server_log" 2>&1 &
server_pid=$!
wait_ready "$base/readyz" "$server_pid" "oag serve" "$ready_timeout"

measure "$small"
seed $((large - small)) large
kill -0 "$server_pid" 2>/dev/null || die "oag serve exited while events were being added"
measure "$large"

# --- report ----------------------------------------------------------------------------

added=$((large - small))
fmt() { sed -E ':a; s/^([0-9]+)([0-9]{3})/\1,\2/; ta' <<<"$1"; } # 2000000 → 2,000,000

report="$(
    echo "Usage pages benchmark, $started_at"
    echo "Machine: $(machine_line)"
    echo "Server:  $oag_bin ($build_kind), OAG_LOG_LEVEL=warning, embedded PostgreSQL"
    echo "Method:  range $from_day..$to_day (90 days, UTC); per size and page $warmup warm-up then $requests sequential"
    echo "         requests on one keep-alive connection (curl time_total, loopback), signed in as the demo owner"
    echo
    printf '%-11s %-19s %10s %10s %10s %10s %9s %12s %12s\n' size page p50 p99 mean max bytes "page total" "load"
    for size in "$small" "$large"; do
        for page in "${pages[@]}"; do
            printf '%-11s %-19s %7.2f ms %7.2f ms %7.2f ms %7.2f ms %9s %12s %12s\n' "$(fmt "$size")" "${page_path[$page]}" \
                "${p50[$size,$page]}" "${p99[$size,$page]}" "${mean[$size,$page]}" "${worst[$size,$page]}" \
                "${bytes[$size,$page]}" "${total_requests[$size,$page]:--}" "${load_at[$size,$page]}->${load_after[$size,$page]}"
        done
    done
    echo "(page total = the page's own 'Requests' figure for the range; bytes = body of the first answer;"
    echo " load = 1-minute load average before the warm-up -> after the measured requests; the server and"
    echo " its PostgreSQL themselves keep about one of the $(nproc) cores busy while measured)"
    echo
    echo "Seeding (as 'oag demo seed' reported it):"
    printf '  %-48s %6s s, %10s events/s\n' "$(fmt "$small") events, alone:" "${seed_seconds[small]}" "$(fmt "${seed_rate[small]}")"
    printf '  %-48s %6s s, %10s events/s\n' "$(fmt "$added") events, next to the running server:" "${seed_seconds[large]}" "$(fmt "${seed_rate[large]}")"
    echo
    echo "Targets:"
    for page in company member; do
        ratio="$(awk -v a="${p50[$large,$page]}" -v b="${p50[$small,$page]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }')"
        verdict="$(awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { print (r != "inf" && r + 0 <= t) ? "PASS" : "FAIL" }')"
        echo "  ${page_path[$page]}: p50 ratio $(fmt "$large") / $(fmt "$small") = $ratio (≤ $target_ratio): $verdict"
        verdict="$(awk -v p="${p50[$large,$page]}" -v t="$target_p50_ms" 'BEGIN { print (p + 0 < t) ? "PASS" : "FAIL" }')"
        printf '  %s: p50 at %s events = %.2f ms (< %s ms): %s\n' "${page_path[$page]}" "$(fmt "$large")" "${p50[$large,$page]}" "$target_p50_ms" "$verdict"
    done
    verdict="$(awk -v r="${seed_rate[large]}" -v t="$target_seed_rate" 'BEGIN { print (r + 0 >= t) ? "PASS" : "FAIL" }')"
    echo "  seeding $(fmt "$added") events: $(fmt "${seed_rate[large]}") events/s (≥ $(fmt "$target_seed_rate")): $verdict"
)"
echo
echo "$report"
printf '%s\n' "$report" >"$results_file"
echo
echo "Written to ${results_file#"$repo_root"/}"
if [[ -s "$server_log" ]]; then
    echo "Server log at warning level: $(wc -l <"$server_log") line(s):"
    tail -n 20 "$server_log" | sed 's/^/    /'
fi
