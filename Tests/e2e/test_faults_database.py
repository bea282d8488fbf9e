"""Faults of the database under load, against the real binary: the embedded PostgreSQL restarting
while programs call the gateway and people load pages, and `oag` killed (SIGKILL) while it meters
usage. What must hold: nothing answers 500 or hangs, the outage shows on /readyz and as clean 503s,
service comes back by itself, and no acknowledged usage is lost beyond what the README promises."""

import json
import os
import shlex
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Server, as_database_user, free_port, http_status, postgres_pids, postgres_tool, psql
from http_console import Console

pytestmark = pytest.mark.faults

PASSWORD = "correct horse battery 42"
# Longer than any deadline of `oag` (5 s a query, 10 s a transaction): an answer this late is a hang.
CLIENT_DEADLINE = 30
# README, "Metering": a crash loses the events since the last completed write, which runs every second.
FLUSH_INTERVAL = 1.0


def chat(server: Server, key: str) -> tuple[int, str]:
    """One gateway call; status 0 when no HTTP answer came (refused, reset, or past the deadline)."""
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}]}).encode()
    request = urllib.request.Request(
        server.base_url + "/v1/chat/completions", data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_DEADLINE) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return 0, ""


def page(console: Console, path: str) -> tuple[int, str]:
    try:
        return console.fetch(path)
    except OSError:
        return 0, ""


@dataclass
class Answer:
    kind: str  # "api" or "page"
    status: int
    body: str
    started: str  # the phase when the request was sent
    ended: str  # the phase when its answer came
    at: float  # time.monotonic() of the answer


class Traffic:
    """Threads that call until stopped, noting every answer with the phases it spans, so that
    assertions hold only for requests wholly inside one phase."""

    def __init__(self):
        self.phase = "before"
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.kinds: set[str] = set()

    def add(self, kind: str, call, copies: int = 1):
        self.kinds.add(kind)
        for _ in range(copies):
            thread = threading.Thread(target=self.loop, args=(kind, call), daemon=True)
            self.threads.append(thread)
            thread.start()

    def loop(self, kind: str, call):
        while not self.stopping.is_set():
            started = self.phase
            status, body = call()
            with self.lock:
                self.answers.append(Answer(kind, status, body, started, self.phase, time.monotonic()))
            # Paced a little: the machine is shared, and a steady stream is what matters here.
            time.sleep(0.02)

    def run_until(self, phase: str, done) -> None:
        """Enters `phase` and waits until `done()` holds and every kind of request has had answers in it."""
        self.phase = phase
        deadline = time.monotonic() + 90
        while not (done() and all(len(self.within(phase, kind)) >= 3 for kind in self.kinds)):
            assert time.monotonic() < deadline, f"phase {phase} did not settle: {self.summary()}"
            time.sleep(0.2)

    def within(self, phase: str, kind: str | None = None) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.started == a.ended == phase and kind in (None, a.kind)]

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_DEADLINE + 5)

    def summary(self) -> dict:
        counts: dict = {}
        with self.lock:
            for a in self.answers:
                key = f"{a.kind} {a.started}->{a.ended} {a.status}"
                counts[key] = counts.get(key, 0) + 1
        return counts


def signed_up_owner_with_key(server: Server) -> tuple[Console, str]:
    console = Console(server.public_url, timeout=CLIENT_DEADLINE).sign_up("ann@example.com", PASSWORD, "Ann Owner", "Acme Rockets")
    return console, console.create_api_key("load")


class EmbeddedCluster:
    """The postmaster `oag` started, stopped and started again the way an operator (or a crash and
    a supervisor) would: same cluster, same options, so `oag` finds it on the same socket."""

    def __init__(self, data_dir: Path):
        self.directory = data_dir / "pg"
        [pid] = postgres_pids(data_dir)
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[1:-1]
        at = arguments.index("-D")
        self.options = shlex.join(arguments[:at] + arguments[at + 2:])

    def pg_ctl(self, *arguments: str):
        result = subprocess.run(
            as_database_user([postgres_tool("pg_ctl"), *arguments, "-D", str(self.directory), "-w", "-t", "60"]),
            capture_output=True, text=True, timeout=90)
        assert result.returncode == 0, result.stdout + result.stderr

    def stop(self):
        self.pg_ctl("stop", "-m", "fast")

    def start(self):
        self.pg_ctl("start", "-l", str(self.directory / "server.log"), "-o", self.options)


def stored_usage(server: Server) -> dict[int, int]:
    """Usage events in the database, counted by HTTP status."""
    return {int(status): int(count) for status, count in psql(server.data_dir, "SELECT status, count(*) FROM usage_events GROUP BY status")}


@pytest.mark.parametrize("restarts", [1, pytest.param(3, marks=pytest.mark.slow)])
def test_a_database_restart_under_load_is_a_clean_503_outage_and_loses_no_usage(server_with_llm, restarts):
    server = server_with_llm
    owner, key = signed_up_owner_with_key(server)
    cluster = EmbeddedCluster(server.data_dir)
    traffic = Traffic()
    traffic.add("api", lambda: chat(server, key), copies=3)
    traffic.add("page", lambda: page(owner, "/dashboard"))
    traffic.add("page", lambda: page(owner, "/company/api-keys"))
    try:
        traffic.run_until("before", lambda: True)
        for round in range(restarts):
            traffic.phase = f"stopping {round}"
            cluster.stop()
            traffic.run_until(f"outage {round}", lambda: True)
            assert http_status(server.base_url + "/readyz") == 503, "readiness reports the outage"
            assert http_status(server.base_url + "/healthz") == 200, "the process itself is alive"
            traffic.phase = f"restarting {round}"
            cluster.start()
            traffic.run_until(f"after {round}", lambda: http_status(server.base_url + "/readyz") == 200)
    finally:
        traffic.stop()

    summary = traffic.summary()
    unhandled = [line for line in server.log().splitlines() if "Unhandled" in line]
    assert {a.status for a in traffic.answers} <= {200, 503}, f"only answers or clean 503s, no 500 and no hang: {summary} {unhandled}"
    for phase in ["before"] + [f"after {round}" for round in range(restarts)]:
        for a in traffic.within(phase):
            assert a.status == 200, f"{a.kind} {phase}: {a.status} {a.body[:200]} ({summary})"
    for round in range(restarts):
        outage_pages = traffic.within(f"outage {round}", "page")
        assert all(a.status == 503 and "Temporarily unavailable" in a.body for a in outage_pages), summary
        for a in traffic.within(f"outage {round}", "api"):
            if a.status == 503:
                error = json.loads(a.body)["error"]
                assert error["type"] == "api_error" and "database" in error["message"], a.body

    # Every request answered 200 has its event, once: those buffered through the outage included.
    answered = sum(1 for a in traffic.answers if a.kind == "api" and a.status == 200)
    deadline = time.monotonic() + 30
    while stored_usage(server).get(200, 0) < answered and time.monotonic() < deadline:
        time.sleep(0.5)
    flusher = [line for line in server.log().splitlines() if "usage events" in line]
    assert stored_usage(server).get(200, 0) == answered, f"{summary} {flusher[-5:]}"


def test_an_embedded_database_that_dies_is_started_again_by_oag(server_with_llm):
    """The postmaster killed outright, as an out-of-memory killer would: the outage shows on /readyz,
    and after its grace period (30 s) `oag` starts the server again by itself, without a restart."""
    server = server_with_llm
    owner, key = signed_up_owner_with_key(server)
    assert chat(server, key)[0] == 200
    [postmaster] = postgres_pids(server.data_dir)
    os.kill(postmaster, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while http_status(server.base_url + "/readyz") != 503:
        assert time.monotonic() < deadline, "readiness never reported the outage"
        time.sleep(0.2)
    deadline = time.monotonic() + 120
    while http_status(server.base_url + "/readyz") != 200:
        assert time.monotonic() < deadline, f"oag did not start its database again: {server.log()[-2000:]}"
        time.sleep(1)
    assert postgres_pids(server.data_dir) not in ([], [postmaster])
    assert chat(server, key)[0] == 200
    assert page(owner, "/dashboard")[0] == 200
    assert "Started the embedded PostgreSQL again" in server.log()


@pytest.mark.parametrize("kills", [1, pytest.param(3, marks=pytest.mark.slow)])
def test_sigkill_while_metering_loses_at_most_the_last_flush_interval(workdir, fake_llm, kills):
    data_dir = workdir / "data"
    answered, recent, in_flight = 0, 0, 0
    key = None
    for _ in range(kills):
        server = Server(data_dir, free_port(), fake_llm.environment()).start()
        key = key or signed_up_owner_with_key(server)[1]
        traffic = Traffic()
        traffic.add("api", lambda: chat(server, key), copies=4)
        try:
            # Long enough for several flushes, so that the kill lands on a buffer with earlier writes behind it.
            traffic.run_until("before", lambda: sum(1 for a in traffic.answers if a.status == 200) >= 150)
            server.stop(signal.SIGKILL)
            killed_at = time.monotonic()
        finally:
            traffic.stop()
        ok = [a for a in traffic.answers if a.status == 200 and a.at <= killed_at]
        answered += len(ok)
        # Answered since the last completed write may be lost: the last flush interval, and the
        # write that may have been under way when the kill came (allowed another interval).
        recent += sum(1 for a in ok if a.at > killed_at - 2 * FLUSH_INTERVAL)
        in_flight += len(traffic.threads)

    restarted = Server(data_dir, free_port(), fake_llm.environment()).start()
    try:
        stored = stored_usage(restarted).get(200, 0)
    finally:
        assert restarted.stop() == 0
    assert answered - recent <= stored, f"{answered} answered, {recent} of them just before a kill, {stored} stored"
    # Requests in flight at a kill may have been metered without their answer reaching the client.
    assert stored <= answered + in_flight
