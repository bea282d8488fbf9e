#!/usr/bin/env bash
# Benchmarks/gateway/run.sh — the gateway's own cost, next to LiteLLM's proxy, in one run.
#
# A fake OpenAI upstream (Benchmarks/gateway/FakeUpstream, plain SwiftNIO, release build)
# answers every chat completion at once with the same small completion. wrk, with
# Benchmarks/gateway/chat.lua as its body, then sends non-streaming chat completions:
#   1. straight to the fake upstream (the baseline),
#   2. through `oag serve` (release build, embedded PostgreSQL, a real API key made in the
#      console), pointed at the fake upstream as its OpenAI base URL,
#   3. through LiteLLM's proxy (PyPI litellm[proxy]==1.100.5 in a virtual environment,
#      one worker), pointed at the same fake upstream.
# Each target gets a warm-up, a throughput run at 50 connections (requests/s, p50, p99) and a
# latency run on 1 connection (p50, p99; "added" = through the gateway minus a 1-connection
# run straight to the fake upstream made just before it, at the same percentile); then the
# peak RSS (VmHWM) of the gateway process.
# It also notes the server's CPU time and context switches per request, which help explain
# the figures.
# One table with all three is printed and written to .build-bench/gateway-results.txt; the raw
# wrk output is kept in Benchmarks/results/ and the servers' logs in .build-bench/gateway-logs/.
#
# Targets for oag: >= 10,000 requests/s at 50 connections, added p50 <= 0.3 ms and p99 <= 1 ms
# at 1 connection, peak RSS <= 80 MiB. The verdicts are a printout; the exit status only says
# whether the benchmark ran (0), or failed to run or saw errors (non-zero).
#
# Usage (from anywhere): bash Benchmarks/gateway/run.sh
# Environment:
#   DURATION=15          seconds of the throughput run at CONNECTIONS connections
#   LATENCY_DURATION=10  seconds of the 1-connection latency run
#   WARMUP=5             seconds of warm-up per target
#   CONNECTIONS=50       connections of the throughput run
#   THREADS=2            wrk threads of the throughput run
#   FAKE_THREADS=1       event loop threads of the fake upstream
#   SKIP_LITELLM=1       leave out the LiteLLM column
#   LITELLM_ACCESS_LOG=1 keep uvicorn's line per request in LiteLLM's log (off by default,
#                        as oag runs at OAG_LOG_LEVEL=warning and logs none)
#   OAG_BIN=path         benchmark this oag binary instead of building the release one
#   OAG_RESOURCES_DIR=d  its Templates/, Public/, Migrations/, Content/ (default: this repository)
# Everything listens on 127.0.0.1 only; every process the script starts is stopped on exit.
set -euo pipefail

bench_name="gateway/run.sh"
duration="${DURATION:-15}"
latency_duration="${LATENCY_DURATION:-10}"
warmup="${WARMUP:-5}"
connections="${CONNECTIONS:-50}"
threads="${THREADS:-2}"
fake_threads="${FAKE_THREADS:-1}"
skip_litellm="${SKIP_LITELLM:-0}"
litellm_version="1.100.5"
ready_timeout=120
litellm_ready_timeout=240
stop_timeout=60

target_rps=10000
target_added_p50_us=300
target_added_p99_us=1000
target_rss_kib=$((80 * 1024))

die() {
    echo "gateway/run.sh: $*" >&2
    exit 1
}

positive_int() { # positive_int NAME VALUE
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive whole number, got '$2'"
}
positive_int DURATION "$duration"
positive_int LATENCY_DURATION "$latency_duration"
positive_int WARMUP "$warmup"
positive_int CONNECTIONS "$connections"
positive_int THREADS "$threads"
positive_int FAKE_THREADS "$fake_threads"
((connections >= threads)) || die "CONNECTIONS ($connections) must be at least THREADS ($threads)"

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$bench_dir/../.." && pwd)"
cd "$repo_root"
# shellcheck source=Benchmarks/lib/common.sh
source "$repo_root/Benchmarks/lib/common.sh"
scratch="$repo_root/.build-bench"
lua_script="$bench_dir/chat.lua"
results_file="$scratch/gateway-results.txt"
# Only loopback is ever a target; keep any configured HTTP proxy out of it.
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"

# --- tools -----------------------------------------------------------------------------

echo "==> Checking tools (wrk, curl, python3-venv)"
bash "$repo_root/Scripts/ensure-debian-packages.sh" wrk curl python3-venv
for tool in wrk curl python3 swift timeout setsid; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
[[ -f "$lua_script" ]] || die "missing $lua_script"
mkdir -p "$scratch"

# --- builds ----------------------------------------------------------------------------

build_release_oag
resources_dir="${OAG_RESOURCES_DIR:-$repo_root}"
[[ -d "$resources_dir/Templates" ]] || die "no Templates/ in $resources_dir"
build_fake_upstream

# LiteLLM is installed before anything is measured, so that pip never competes with a run.
venv="$scratch/litellm-venv"
litellm_skip_reason=""
if [[ "$skip_litellm" == "1" ]]; then
    litellm_skip_reason="SKIP_LITELLM=1"
else
    installed="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null || true)"
    if [[ "$installed" == "$litellm_version" && -x "$venv/bin/litellm" ]]; then
        echo "==> LiteLLM $litellm_version already in .build-bench/litellm-venv"
    else
        echo "==> Installing litellm[proxy]==$litellm_version into .build-bench/litellm-venv"
        pip_log="$scratch/litellm-pip.log"
        if ! { [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"; } >"$pip_log" 2>&1; then
            litellm_skip_reason="python3 -m venv failed (see .build-bench/litellm-pip.log)"
        elif ! PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 timeout 1500 \
            "$venv/bin/pip" install -q "litellm[proxy]==$litellm_version" >>"$pip_log" 2>&1; then
            litellm_skip_reason="pip install 'litellm[proxy]==$litellm_version' failed (see .build-bench/litellm-pip.log)"
        elif [[ ! -x "$venv/bin/litellm" ]]; then
            litellm_skip_reason="the package installed no litellm command"
        fi
        if [[ -n "$litellm_skip_reason" ]]; then
            echo "gateway/run.sh: $litellm_skip_reason; the LiteLLM column is left out. Last lines:" >&2
            tail -n 15 "$pip_log" >&2 || true
        fi
    fi
fi

# --- run state and cleanup -------------------------------------------------------------

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/oag-gateway-bench.XXXXXX")"
# When run as root the embedded PostgreSQL runs as the 'postgres' user, which must be
# able to pass through this directory to reach its own cluster folder.
chmod 711 "$work_dir"
data_dir="$work_dir/oag-data"
# Everything of this run stays in work_dir until the end, so that a run beside it can't mix in.
logs_dir="$scratch/gateway-logs"
raw_output="$work_dir/wrk-output.txt"
: >"$raw_output"
fake_pid=""
oag_pid=""
litellm_pid=""
# cleanup() may run while a command's output is redirected: it writes to the original streams.
exec 3>&1 4>&2

stop_oag() {
    if [[ -n "$oag_pid" ]]; then
        stop_pid "$oag_pid" oag
        oag_pid=""
    fi
    # oag stops its embedded PostgreSQL (`postgres -D $data_dir/pg`) on SIGTERM, and so does
    # `oag demo seed` when it ends; none may remain.
    stop_leftover_postgres "$data_dir" "gateway/run.sh" || true
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    exec 1>&3 2>&4
    if [[ -n "$litellm_pid" ]]; then stop_pid "$litellm_pid" litellm group; litellm_pid=""; fi
    stop_oag
    if [[ -n "$fake_pid" ]]; then stop_pid "$fake_pid" "fake upstream"; fake_pid=""; fi
    # Keep the logs and raw output of the last run (the data directory itself goes).
    rm -rf "$logs_dir"
    mkdir -p "$logs_dir"
    cp "$work_dir"/*.log "$raw_output" "$logs_dir/" 2>/dev/null || true
    cp "$data_dir/pg/server.log" "$logs_dir/postgres.log" 2>/dev/null || true
    if ((status != 0)); then
        for log in "$work_dir"/oag-serve.log "$work_dir"/litellm.log; do
            [[ -s "$log" ]] || continue
            echo "--- last lines of $(basename "$log") ---" >&2
            tail -n 30 "$log" >&2 || true
        done
        echo "Logs of this run: ${logs_dir#"$repo_root"/}/" >&2
    fi
    rm -rf "$work_dir"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# --- measuring -------------------------------------------------------------------------

declare -A rps cpu_us lat_cpu_us switches lat_switches p50 p99 lat_p50 lat_p99 base_p50 base_p99 errors non2xx sockerr rss_kib load_before
targets=()
oag_pg_cpu_us="?"

run_wrk() { # run_wrk CONNECTIONS THREADS SECONDS URL KEY
    BENCH_API_KEY="$5" timeout --kill-after=10 $(($3 + 60)) \
        wrk --latency --threads "$2" --connections "$1" --duration "${3}s" --timeout 10s --script "$lua_script" "$4"
}

field() { # field NAME LINE
    local item
    for item in $2; do
        [[ "$item" == "$1="* ]] && { echo "${item#*=}"; return 0; }
    done
    echo 0
}

# tree_pids PID: PID and its descendants, one a line.
tree_pids() {
    local pid pids=("$1") i=0 child
    while ((i < ${#pids[@]})); do
        pid="${pids[$i]}"
        i=$((i + 1))
        for child in $(pgrep -P "$pid" 2>/dev/null || true); do pids+=("$child"); done
    done
    printf '%s\n' "${pids[@]}"
}

# tree_hwm_kib PID: peak RSS (VmHWM) of PID plus that of its descendants (LiteLLM may fork).
tree_hwm_kib() {
    local total=0 pid kib
    for pid in $(tree_pids "$1"); do
        kib="$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
        [[ "$kib" =~ ^[0-9]+$ ]] && total=$((total + kib))
    done
    echo "$total"
}

# tree_cpu_ticks PID: CPU time (user + system, in clock ticks) used so far by PID and its
# descendants, counting children that have already exited and been waited for.
tree_cpu_ticks() {
    local total=0 pid fields
    for pid in $(tree_pids "$1"); do
        # Fields after "(comm) ": state is 1st, utime 12th, stime 13th, cutime 14th, cstime 15th.
        fields="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || true)"
        [[ -n "$fields" ]] || continue
        total=$((total + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$fields")))
    done
    echo "$total"
}
clock_ticks="$(getconf CLK_TCK)"

# tree_switches PID: context switches (voluntary and not) of every thread of PID and its descendants.
tree_switches() {
    local pid
    for pid in $(tree_pids "$1"); do
        cat "/proc/$pid/task/"*/status 2>/dev/null || true
    done | awk '$1 == "voluntary_ctxt_switches:" || $1 == "nonvoluntary_ctxt_switches:" { n += $2 } END { print n + 0 }'
}

# per_request TICKS_OR_COUNT REQUESTS [ticks]: a figure per request (CPU ticks become µs).
per_request() {
    awk -v v="$1" -v n="$2" -v hz="$clock_ticks" -v kind="${3:-count}" \
        'BEGIN { if (n <= 0) { print 0; exit } if (kind == "ticks") printf "%.0f", v / hz * 1e6 / n; else printf "%.1f", v / n }'
}

# cpu_busy: how busy the machine's CPUs were over the last 2 s, before a target is measured
# (anything but the idle server: another build on the machine makes the figures noisy).
cpu_busy() {
    local a b
    a="$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
    sleep 2
    b="$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)"
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; busy = 0
        if (t > 0) busy = 100 * (1 - (y[1] - x[1]) / t)
        printf "%.0f%%", busy }'
}

# measure NAME BASE_URL KEY PID: one sanity request, warm-up, throughput run, latency run, peak RSS.
measure() {
    local name="$1" url="$2/v1/chat/completions" key="$3" pid="$4" output line code auth=()
    [[ -n "$key" ]] && auth=(-H "Authorization: Bearer $key")
    targets+=("$name")
    # Let whatever else runs on the machine (or the server's own start) calm down first, within bounds.
    local busy waits=0
    busy="$(cpu_busy)"
    while ((${busy%\%} > 30 && waits < 15)); do
        ((waits == 0)) && echo "==> $name: the CPUs are $busy busy; waiting up to 30 s for them to calm down"
        busy="$(cpu_busy)"
        waits=$((waits + 1))
    done
    load_before[$name]="$busy busy, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "==> $name: one request first"
    code="$(curl --noproxy '*' -s -o "$work_dir/sanity.json" -w '%{http_code}' --max-time 30 -X POST \
        -H 'Content-Type: application/json' "${auth[@]}" \
        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}' "$url" || true)"
    printf '\n### %s: first request -> %s\n%s\n' "$name" "$code" "$(head -c 600 "$work_dir/sanity.json" 2>/dev/null)" >>"$raw_output"
    if [[ "$code" != "200" ]]; then
        echo "gateway/run.sh: POST $url answered '$code', expected 200:" >&2
        head -c 600 "$work_dir/sanity.json" >&2 2>/dev/null || true
        echo >&2
        exit 1
    fi
    echo "==> $name: warm-up ${warmup}s ($connections connections)"
    run_wrk "$connections" "$threads" "$warmup" "$url" "$key" >>"$raw_output" || die "wrk warm-up against $name failed"

    echo "==> $name: throughput ${duration}s ($connections connections, $threads threads)"
    local ticks_before ticks_after switches_before switches_after pg_pid="" pg_before=0 pg_after=0
    if [[ "$name" == "oag" ]]; then
        pg_pid="$(head -n 1 "$data_dir/pg/postmaster.pid" 2>/dev/null || true)"
        [[ "$pg_pid" =~ ^[0-9]+$ ]] || pg_pid=""
    fi
    [[ -z "$pg_pid" ]] || pg_before="$(tree_cpu_ticks "$pg_pid")"
    ticks_before="$(tree_cpu_ticks "$pid")"
    switches_before="$(tree_switches "$pid")"
    output="$(run_wrk "$connections" "$threads" "$duration" "$url" "$key")" || die "wrk against $name failed"
    ticks_after="$(tree_cpu_ticks "$pid")"
    switches_after="$(tree_switches "$pid")"
    [[ -z "$pg_pid" ]] || pg_after="$(tree_cpu_ticks "$pg_pid")"
    printf '\n### %s: %s connections, %s threads, %ss\n%s\n' "$name" "$connections" "$threads" "$duration" "$output" >>"$raw_output"
    line="$(grep '^BENCH ' <<<"$output")" || die "wrk printed no summary for $name"
    rps[$name]="$(awk -v n="$(field requests "$line")" -v us="$(field duration_us "$line")" 'BEGIN { printf "%.0f", n / (us / 1e6) }')"
    # CPU the server used per request during the throughput run: less sensitive than
    # requests/s to what else the machine is doing.
    cpu_us[$name]="$(per_request $((ticks_after - ticks_before)) "$(field requests "$line")" ticks)"
    switches[$name]="$(per_request $((switches_after - switches_before)) "$(field requests "$line")")"
    if [[ -n "$pg_pid" ]]; then
        oag_pg_cpu_us="$(per_request $((pg_after - pg_before)) "$(field requests "$line")" ticks)"
    fi
    p50[$name]="$(field p50_us "$line")"
    p99[$name]="$(field p99_us "$line")"
    non2xx[$name]="$(field unexpected "$line")"
    sockerr[$name]="$(field socket_errors "$line")"
    alive "$pid" || die "$name exited during the throughput run"

    if [[ "$name" != "direct" ]]; then
        # The baseline of the added latency: the fake upstream alone, measured just before,
        # so that both sides of the difference see the machine in the same state.
        echo "==> $name: baseline latency ${latency_duration}s (1 connection, fake upstream directly)"
        output="$(run_wrk 1 1 "$latency_duration" "$fake_base/v1/chat/completions" sk-bench)" || die "wrk (1 connection) against the fake upstream failed"
        printf '\n### baseline for %s: fake upstream directly, 1 connection, %ss\n%s\n' "$name" "$latency_duration" "$output" >>"$raw_output"
        line="$(grep '^BENCH ' <<<"$output")" || die "wrk printed no summary for the baseline of $name"
        base_p50[$name]="$(field p50_us "$line")"
        base_p99[$name]="$(field p99_us "$line")"
    fi
    echo "==> $name: latency ${latency_duration}s (1 connection)"
    ticks_before="$(tree_cpu_ticks "$pid")"
    switches_before="$(tree_switches "$pid")"
    output="$(run_wrk 1 1 "$latency_duration" "$url" "$key")" || die "wrk (1 connection) against $name failed"
    ticks_after="$(tree_cpu_ticks "$pid")"
    switches_after="$(tree_switches "$pid")"
    printf '\n### %s: 1 connection, %ss\n%s\n' "$name" "$latency_duration" "$output" >>"$raw_output"
    line="$(grep '^BENCH ' <<<"$output")" || die "wrk printed no summary for $name (1 connection)"
    lat_cpu_us[$name]="$(per_request $((ticks_after - ticks_before)) "$(field requests "$line")" ticks)"
    lat_switches[$name]="$(per_request $((switches_after - switches_before)) "$(field requests "$line")")"
    lat_p50[$name]="$(field p50_us "$line")"
    lat_p99[$name]="$(field p99_us "$line")"
    non2xx[$name]=$((${non2xx[$name]} + $(field unexpected "$line")))
    sockerr[$name]=$((${sockerr[$name]} + $(field socket_errors "$line")))
    errors[$name]=$((${non2xx[$name]} + ${sockerr[$name]}))
    alive "$pid" || die "$name exited during the latency run"
    rss_kib[$name]="$(tree_hwm_kib "$pid")"
    echo "    ${rps[$name]} requests/s (server CPU ${cpu_us[$name]} us/request); p50 ${p50[$name]} us, p99 ${p99[$name]} us; 1 connection: p50 ${lat_p50[$name]} us," \
        "p99 ${lat_p99[$name]} us; other than 200 ${non2xx[$name]}, socket errors ${sockerr[$name]}; peak RSS ${rss_kib[$name]} KiB"
}

# --- 1. the fake upstream, directly ----------------------------------------------------

fake_port="$(free_port)"
fake_base="http://127.0.0.1:$fake_port"
echo "==> Starting the fake upstream on $fake_base ($fake_threads thread(s))"
"$fake_bin" "$fake_port" "$fake_threads" >"$work_dir/fake-upstream.log" 2>&1 &
fake_pid=$!
wait_ready "$fake_base/health" "$fake_pid" "the fake upstream" 30
measure "direct" "$fake_base" "sk-bench" "$fake_pid"

# --- 2. through oag --------------------------------------------------------------------

oag_port="$(free_port)"
oag_base="http://127.0.0.1:$oag_port"
console_origin="http://localhost:$oag_port" # the console's public URL (OAG_BASE_URL's default)
oag_env=(
    OAG_HOST=127.0.0.1 OAG_PORT="$oag_port" OAG_DATA_DIR="$data_dir" OAG_RESOURCES_DIR="$resources_dir"
    OAG_LOG_LEVEL=warning OAG_OPENAI_BASE_URL="$fake_base/v1" OAG_OPENAI_API_KEY=sk-bench
)

echo "==> oag demo seed (migrates a fresh embedded PostgreSQL in $data_dir)"
env "${oag_env[@]}" timeout 300 "$oag_bin" demo seed >"$work_dir/oag-demo-seed.log" 2>&1 ||
    { cat "$work_dir/oag-demo-seed.log" >&2; die "oag demo seed failed"; }
grep -q 'owner@demo.oag.test' "$work_dir/oag-demo-seed.log" || die "oag demo seed printed no owner account"

echo "==> Starting $oag_bin serve on $oag_base"
env "${oag_env[@]}" "$oag_bin" serve >"$work_dir/oag-serve.log" 2>&1 &
oag_pid=$!
wait_ready "$oag_base/readyz" "$oag_pid" "oag serve" "$ready_timeout"

echo "==> Signing in as the demo owner and making an API key"
jar="$work_dir/cookies.txt"
sign_in_demo_owner "$oag_base" "$console_origin" "$jar"
oag_key="$(make_api_key "$oag_base" "$console_origin" "$jar" bench)"
echo "    key ${oag_key:0:12}… made"

measure "oag" "$oag_base" "$oag_key" "$oag_pid"
oag_rss_end_kib="$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$oag_pid/status" 2>/dev/null || echo 0)"
# oag's own log at warning level: anything it said under load is worth reading.
oag_log_lines="$(grep -c . "$work_dir/oag-serve.log" || true)"
stop_oag

# --- 3. through LiteLLM's proxy --------------------------------------------------------

if [[ -z "$litellm_skip_reason" ]]; then
    litellm_port="$(free_port)"
    litellm_base="http://127.0.0.1:$litellm_port"
    cat >"$work_dir/litellm-config.yaml" <<EOF
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: $fake_base/v1
      api_key: sk-bench
EOF
    # Like oag at OAG_LOG_LEVEL=warning, LiteLLM logs no line per request: uvicorn's access
    # log is turned off (LITELLM_ACCESS_LOG=1 keeps it).
    cat >"$work_dir/litellm-logging.json" <<'JSON'
{
  "version": 1,
  "disable_existing_loggers": false,
  "formatters": { "plain": { "format": "%(levelname)s: %(name)s: %(message)s" } },
  "handlers": { "stderr": { "class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr" } },
  "loggers": {
    "uvicorn": { "handlers": ["stderr"], "level": "INFO", "propagate": false },
    "uvicorn.error": { "level": "INFO" },
    "uvicorn.access": { "handlers": ["stderr"], "level": "WARNING", "propagate": false }
  }
}
JSON
    log_args=(--log_config "$work_dir/litellm-logging.json")
    [[ "${LITELLM_ACCESS_LOG:-0}" != "1" ]] || log_args=()
    echo "==> Starting LiteLLM $litellm_version proxy on $litellm_base (1 worker, no master key, telemetry off)"
    # Its own process group (setsid), so that cleanup reaches whatever it forks. No network
    # but loopback here: the model price map is the packaged one, telemetry is off.
    LITELLM_TELEMETRY=False LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR \
        setsid "$venv/bin/litellm" --config "$work_dir/litellm-config.yaml" --host 127.0.0.1 --port "$litellm_port" \
        --num_workers 1 --telemetry False "${log_args[@]}" >"$work_dir/litellm.log" 2>&1 &
    litellm_pid=$!
    wait_ready "$litellm_base/health/liveliness" "$litellm_pid" "LiteLLM" "$litellm_ready_timeout"
    measure "LiteLLM" "$litellm_base" "" "$litellm_pid"
    stop_pid "$litellm_pid" litellm group
    litellm_pid=""
fi

# --- report ----------------------------------------------------------------------------

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
added() { # added US_THROUGH US_DIRECT
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f ms", (a - b) / 1000 }'
}
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f MiB", kib / 1024 }'; }
thousands() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

declare -A labels=([direct]="fake upstream, directly" [oag]="through oag" [LiteLLM]="through LiteLLM $litellm_version")

report="$(
    echo "Gateway benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "Machine: $(machine_line)"
    echo "oag: $oag_bin ($build_kind), OAG_LOG_LEVEL=warning, embedded PostgreSQL (not counted in RSS)"
    echo "wrk: warm-up ${warmup}s, then ${duration}s at $connections connections / $threads threads, then ${latency_duration}s at 1 connection; loopback"
    echo "Fake upstream: SwiftNIO, $fake_threads event loop thread(s); wrk, the fake upstream and the gateway share the $(nproc) cores"
    echo
    echo "| target | req/s @$connections | p50 @$connections | p99 @$connections | p50 @1 | p99 @1 | added p50 @1 | added p99 @1 | peak RSS | errors | server CPU/req |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for t in "${targets[@]}"; do
        if [[ "$t" == "direct" ]]; then
            add50="—"
            add99="—"
        else
            add50="$(added "${lat_p50[$t]}" "${base_p50[$t]}")"
            add99="$(added "${lat_p99[$t]}" "${base_p99[$t]}")"
        fi
        echo "| ${labels[$t]} | $(thousands "${rps[$t]}") | $(ms "${p50[$t]}") | $(ms "${p99[$t]}") | $(ms "${lat_p50[$t]}") | $(ms "${lat_p99[$t]}") | $add50 | $add99 | $(mib "${rss_kib[$t]}") | ${errors[$t]} | $(thousands "${cpu_us[$t]}") µs |"
    done
    echo
    echo "errors = answers other than 200 + socket errors, over the throughput and latency runs."
    echo "added = the gateway's p50/p99 at 1 connection minus that of the fake upstream alone, measured just before it:"
    for t in "${targets[@]}"; do
        [[ "$t" == "direct" ]] || echo "  baseline for $t: p50 $(ms "${base_p50[$t]}"), p99 $(ms "${base_p99[$t]}")"
    done
    echo "server CPU/req = user + system CPU time of the server's process tree during the throughput run, per request"
    echo "  oag's embedded PostgreSQL runs beside oag, not under it: it used $oag_pg_cpu_us µs/request more."
    echo "per request, at $connections connections and at 1 connection: server CPU; context switches of the server's threads"
    for t in "${targets[@]}"; do
        echo "  $t: $(thousands "${cpu_us[$t]}") µs and $(thousands "${lat_cpu_us[$t]}") µs; ${switches[$t]} and ${lat_switches[$t]}"
    done
    echo "peak RSS = VmHWM of the process at the end (LiteLLM: of its process tree); the direct row shows the fake upstream's."
    for t in "${targets[@]}"; do
        echo "CPUs just before '$t' was measured (2 s, its server idle): ${load_before[$t]}"
    done
    if [[ -n "$litellm_skip_reason" ]]; then
        echo "LiteLLM left out: $litellm_skip_reason"
    fi
    echo
    verdict() { if [[ "$1" == 1 ]]; then echo PASS; else echo FAIL; fi; }
    oag_added50=$((lat_p50[oag] - base_p50[oag]))
    oag_added99=$((lat_p99[oag] - base_p99[oag]))
    echo "oag targets:"
    echo "  requests/s @$connections >= $(thousands $target_rps): $(thousands "${rps[oag]}") — $(verdict $((rps[oag] >= target_rps)))"
    echo "  added p50 @1 <= 0.30 ms: $(added "${lat_p50[oag]}" "${base_p50[oag]}") — $(verdict $((oag_added50 <= target_added_p50_us)))"
    echo "  added p99 @1 <= 1.00 ms: $(added "${lat_p99[oag]}" "${base_p99[oag]}") — $(verdict $((oag_added99 <= target_added_p99_us)))"
    echo "  peak RSS <= 80 MiB: $(mib "${rss_kib[oag]}") (RSS at the end $(mib "$oag_rss_end_kib")) — $(verdict $((rss_kib[oag] <= target_rss_kib)))"
    echo "  errors: ${errors[oag]} (other than 200 ${non2xx[oag]}, socket ${sockerr[oag]})"
    if [[ -n "${rps[LiteLLM]:-}" ]]; then
        echo "oag / LiteLLM: $(awk -v a="${rps[oag]}" -v b="${rps[LiteLLM]}" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "inf" }')x the requests/s at $connections connections"
    fi
    echo "oag's log at warning level had $oag_log_lines line(s) (kept in ${logs_dir#"$repo_root"/}/oag-serve.log)"
)"

echo
echo "$report"
echo "$report" >"$results_file"
printf '\n### summary\n%s\n' "$report" >>"$raw_output"
# Like the other benchmarks, keep every run's raw output in Benchmarks/results/ (git-ignored).
mkdir -p "$repo_root/Benchmarks/results"
kept="$repo_root/Benchmarks/results/gateway-$(date -u +%Y%m%dT%H%M%SZ).txt"
cp "$raw_output" "$kept"
echo
echo "Table written to ${results_file#"$repo_root"/}; raw wrk output in ${kept#"$repo_root"/}; logs in ${logs_dir#"$repo_root"/}/"

for t in "${targets[@]}"; do
    ((${errors[$t]} == 0)) || { echo "gateway/run.sh: $t had ${non2xx[$t]} answers other than 200 and ${sockerr[$t]} socket errors" >&2; exit 1; }
done
