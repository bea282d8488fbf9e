"""The `oag` command line: help, configuration errors, migrate, and clean process lifecycles."""

import datetime
import signal
import subprocess
import time

import pytest

from conftest import OAG_BIN, REPO, Server, free_port, http_status, postgres_pids
from http_console import Console


def run_oag(*args, env=None, timeout=120):
    return subprocess.run([OAG_BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_commands():
    result = run_oag("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "migrate" in result.stdout


@pytest.mark.parametrize(
    "variable,value",
    [
        ("OAG_PORT", "not-a-port"),
        ("OAG_BASE_URL", "example.com"),
        ("OAG_DATABASE_URL", "mysql://user@host/db"),
        ("OAG_SECURE_COOKIES", "maybe"),
        ("OAG_MASTER_KEYS", "k1:c2hvcnQ="),
    ],
)
def test_a_bad_setting_exits_2_with_one_line_naming_it(workdir, variable, value):
    env = Server(workdir / "data", free_port()).environment(**{variable: value})
    result = run_oag("serve", env=env, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert not (workdir / "data").exists(), "nothing was started"


def test_migrate_applies_once_then_reports_up_to_date(workdir):
    env = Server(workdir / "data", free_port()).environment()
    first = run_oag("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "Applied" in first.stdout and "policy_versions" in first.stdout
    second = run_oag("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert postgres_pids(workdir / "data") == []


def test_sigterm_stops_the_server_and_its_database(server):
    assert postgres_pids(server.data_dir), "the embedded database runs while oag serves"
    assert server.stop(signal.SIGTERM) == 0
    assert postgres_pids(server.data_dir) == []


def test_sigint_stops_cleanly_too(server):
    assert server.stop(signal.SIGINT) == 0
    assert postgres_pids(server.data_dir) == []


def test_after_oag_is_killed_a_new_start_takes_over_the_leftover_database(workdir):
    first = Server(workdir / "data", free_port()).start()
    orphans = postgres_pids(first.data_dir)
    first.stop(signal.SIGKILL)
    assert postgres_pids(first.data_dir) == orphans, "SIGKILL gives oag no chance to stop its database"

    second = Server(workdir / "data", free_port()).start()
    assert http_status(second.base_url + "/privacy") == 200
    assert second.stop() == 0
    deadline = time.monotonic() + 10
    while postgres_pids(workdir / "data") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postgres_pids(workdir / "data") == []


def test_demo_seed_creates_the_demo_company_once_and_prints_sign_in_details(workdir):
    env = Server(workdir / "data", free_port()).environment()
    first = run_oag("demo", "seed", env=env)
    assert first.returncode == 0, first.stderr
    for line in ("owner@demo.oag.test", "admin@demo.oag.test", "member@demo.oag.test", "password: demo owner password"):
        assert line in first.stdout
    again = run_oag("demo", "seed", env=env)
    assert again.returncode == 0, again.stderr
    assert "owner@demo.oag.test" in again.stdout, "the details are printed every time"
    assert postgres_pids(workdir / "data") == []


def test_admin_create_makes_an_operator_and_refuses_bad_input(workdir):
    env = Server(workdir / "data", free_port()).environment()
    weak = subprocess.run([OAG_BIN, "admin", "create", "--email", "op@example.com"], env=env, input="short\n",
                          capture_output=True, text=True, timeout=120)
    assert weak.returncode == 1
    assert "password" in weak.stderr
    created = subprocess.run([OAG_BIN, "admin", "create", "--email", "op@example.com"], env=env,
                             input="operator passphrase 1\n", capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    assert "Created operator op@example.com" in created.stdout
    duplicate = run_oag("admin", "create", "--email", "OP@example.com", "--password", "operator passphrase 1", env=env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr


def test_a_command_next_to_a_running_server_leaves_its_database_alone(server):
    """`oag admin create` on the data folder of a running `oag serve` uses that database and does not stop it."""
    result = run_oag("admin", "create", "--email", "op2@example.com", "--password", "operator passphrase 2",
                     env=server.environment())
    assert result.returncode == 0, result.stderr
    assert http_status(server.base_url + "/readyz") == 200
    assert http_status(server.base_url + "/privacy/versions") == 200


def test_keys_rotate_rewraps_under_the_first_key_and_never_prints_keys(workdir):
    import base64
    old = base64.b64encode(b"o" * 32).decode()
    new = base64.b64encode(b"n" * 32).decode()
    server = Server(workdir / "data", free_port())
    first = run_oag("keys", "rotate", env=server.environment(OAG_MASTER_KEYS=f"old:{old}"))
    assert first.returncode == 0, first.stderr
    assert 'under master key "old"' in first.stdout
    rotated = run_oag("keys", "rotate", env=server.environment(OAG_MASTER_KEYS=f"new:{new},old:{old}"))
    assert rotated.returncode == 0, rotated.stderr
    assert 'under master key "new"' in rotated.stdout
    for secret in (old, new):
        assert secret not in rotated.stdout + rotated.stderr + first.stdout + first.stderr


def test_demo_seed_adds_usage_events_each_time_and_the_pages_show_them(server):
    """`oag demo seed --usage-events N` next to a running server adds N events on every run."""
    env = server.environment()
    for _ in range(2):
        result = run_oag("demo", "seed", "--usage-events", "3000", env=env)
        assert result.returncode == 0, result.stderr
        assert "owner@demo.oag.test" in result.stdout and "Added 3000 usage events" in result.stdout
    assert run_oag("demo", "seed", "--usage-events", "-1", env=env).returncode != 0

    console = Console(server.public_url).sign_in("owner@demo.oag.test", "demo owner password")
    page = console.get("/company/usage?" + last_year())
    assert "<dt>Requests</dt><dd>6,000</dd>" in page
    assert "Reporting bot" in page and "Mia Member" in page


def last_year() -> str:
    """The query for the last 366 days (UTC), the longest range the usage pages take."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return f"from={today - datetime.timedelta(days=365)}&to={today}"
