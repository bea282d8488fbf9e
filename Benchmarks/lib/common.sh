# Shared by the benchmark scripts (source it): a free loopback port, and the check that a run's
# embedded PostgreSQL did not outlive it.

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# stop_leftover_postgres DATA_DIR SCRIPT_NAME: stops the `postgres -D DATA_DIR/pg` of this run if it
# is still running (and says so), returning 1; returns 0 when none remains.
stop_leftover_postgres() {
    local data_dir="$1" name="$2" leftover="" pg_pid=""
    leftover="$(pgrep -f -- "-D $data_dir/pg( |\$)" || true)"
    [[ -z "$leftover" ]] && return 0
    echo "$name: PostgreSQL of this run still running (pid $leftover); stopping it" >&2
    pg_pid="$(head -n 1 "$data_dir/pg/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pg_pid" =~ ^[0-9]+$ ]] && grep -q -- "$data_dir/pg" "/proc/$pg_pid/cmdline" 2>/dev/null; then
        kill -TERM "$pg_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    return 1
}

# The helpers below name the script in their messages by $bench_name and wait at most
# $stop_timeout seconds for a process to stop; the script sets both.

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# stop_pid PID NAME [group]: SIGTERM (to its process group with "group"), a bounded wait, then SIGKILL.
stop_pid() {
    local pid="$1" name="$2" target="$1" waited=0
    alive "$pid" || return 0
    [[ "${3:-}" == "group" ]] && target="-$pid"
    kill -TERM -- "$target" 2>/dev/null || true
    while alive "$pid" && ((waited < stop_timeout * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if alive "$pid"; then
        echo "$bench_name: $name (pid $pid) did not stop within ${stop_timeout}s of SIGTERM; killing it" >&2
        kill -KILL -- "$target" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# wait_ready URL PID NAME SECONDS: until URL answers 200, while PID lives.
wait_ready() {
    local url="$1" pid="$2" name="$3" limit="$4"
    for _ in $(seq 1 $((limit * 4))); do
        alive "$pid" || die "$name exited before it was ready"
        if [[ "$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == "200" ]]; then
            return 0
        fi
        sleep 0.25
    done
    die "$name did not answer 200 on $url within ${limit}s"
}

# sign_in_demo_owner BASE ORIGIN JAR: signs the demo owner in (as `oag demo seed` made it),
# keeping the session cookie in the curl cookie jar JAR.
sign_in_demo_owner() {
    local base="$1" origin="$2" jar="$3" csrf code
    csrf="$(curl --noproxy '*' -s --max-time 30 -b "$jar" -c "$jar" "$base/login" | csrf_of)"
    [[ -n "$csrf" ]] || die "GET /login had no _csrf field"
    code="$(curl --noproxy '*' -s --max-time 30 -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $origin" \
        --data-urlencode "email=owner@demo.oag.test" --data-urlencode "password=demo owner password" \
        --data-urlencode "_csrf=$csrf" "$base/login")"
    [[ "$code" == "303" || "$code" == "302" ]] || die "POST /login answered $code, expected a redirect (see the demo seed output)"
    grep -q $'\toag_session\t' "$jar" || die "POST /login set no oag_session cookie"
}

# make_api_key BASE ORIGIN JAR NAME: makes an API key in the console as the signed-in user and
# prints it (the page shows it once).
make_api_key() {
    local base="$1" origin="$2" jar="$3" name="$4" csrf code page key
    csrf="$(curl --noproxy '*' -s --max-time 30 -b "$jar" -c "$jar" "$base/company/api-keys" | csrf_of)"
    [[ -n "$csrf" ]] || die "GET /company/api-keys had no _csrf field (not signed in?)"
    page="$(curl --noproxy '*' -s --max-time 30 -b "$jar" -c "$jar" -w '\n%{http_code}' -H "Origin: $origin" \
        --data-urlencode "name=$name" --data-urlencode "_csrf=$csrf" "$base/company/api-keys")"
    code="$(tail -n 1 <<<"$page")"
    [[ "$code" == "201" ]] || die "POST /company/api-keys answered $code, expected 201"
    key="$(sed -n 's/.*id="created-key"[^>]*value="\([^"]*\)".*/\1/p' <<<"$page" | head -n 1)"
    [[ "$key" == oag_* ]] || die "the API keys page showed no new key"
    echo "$key"
}

csrf_of() { sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1; }

# build_release_oag: builds oag in release mode into .build-bench (its own scratch path, so it
# never fights the debug build) unless OAG_BIN names a binary; sets oag_bin and build_kind.
build_release_oag() {
    if [[ -n "${OAG_BIN:-}" ]]; then
        oag_bin="$OAG_BIN"
        [[ -x "$oag_bin" ]] || die "OAG_BIN=$oag_bin is not an executable file"
        build_kind="given by OAG_BIN"
        return
    fi
    echo "==> Building oag in release mode (scratch path .build-bench; the first build takes minutes)"
    timeout 3600 swift build -c release --product oag --scratch-path "$repo_root/.build-bench"
    oag_bin="$(swift build -c release --product oag --scratch-path "$repo_root/.build-bench" --show-bin-path)/oag"
    [[ -x "$oag_bin" ]] || die "the release build did not produce $oag_bin"
    build_kind="release"
}

# build_fake_upstream: the fake OpenAI upstream (Benchmarks/gateway/FakeUpstream) in release
# mode; sets fake_bin.
build_fake_upstream() {
    echo "==> Building the fake upstream in release mode (scratch path .build-bench/fake-upstream)"
    local package="$repo_root/Benchmarks/gateway/FakeUpstream"
    timeout 1800 swift build -c release --package-path "$package" --scratch-path "$repo_root/.build-bench/fake-upstream"
    fake_bin="$(swift build -c release --package-path "$package" --scratch-path "$repo_root/.build-bench/fake-upstream" --show-bin-path)/FakeUpstream"
    [[ -x "$fake_bin" ]] || die "the release build did not produce $fake_bin"
}

# machine_line: the CPU, cores, memory, kernel and Swift of this machine, for a report's header.
machine_line() {
    local cpu memory swift_version
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    memory="$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    swift_version="$(swift --version 2>/dev/null | head -n 1 || true)"
    echo "${cpu:-unknown CPU}, $(nproc) cores, $memory RAM, $(uname -sr)${swift_version:+; $swift_version}"
}
