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
