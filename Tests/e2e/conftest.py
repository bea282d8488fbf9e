"""Runs the real `oag` binary: each test gets its own data folder, port and embedded PostgreSQL."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import secret_registry
from fake_google import FakeGoogle
from fake_llm import FakeLLM
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parents[2]
OAG_BIN = os.environ.get("OAG_BIN", str(REPO / ".build/debug/oag"))
SCREENSHOTS = Path(os.environ.get("OAG_SCREENSHOTS", REPO / ".build/screenshots"))
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def postgres_pids(data_dir: Path) -> list[int]:
    """Servers of the cluster in `data_dir`, found by their command line."""
    needle = str(data_dir / "pg").encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"postgres") and needle in args:
            pids.append(int(proc.name))
    return pids


def postgres_tool(name: str) -> str:
    """A PostgreSQL program (`pg_ctl`, `psql`) of the newest server Debian installed, else from PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(path.split("/")[4]))
    return found[-1] if found else shutil.which(name) or name


def as_database_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses root: as root, `oag` runs its cluster as the postgres user, and so must we."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def psql(data_dir: Path, sql: str) -> list[list[str]]:
    """Runs `sql` on the embedded database of `data_dir` as the schema owner (which bypasses row-level
    security), returning rows of text fields."""
    result = subprocess.run(
        [postgres_tool("psql"), "-h", str(data_dir / "run"), "-U", "oag_owner", "-d", "oag", "-X", "-A", "-t", "-F", "\t", "-c", sql],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines() if line]


class Server:
    """One `oag serve` process with a data folder of its own."""

    def __init__(self, data_dir: Path, port: int, extra_environment: dict | None = None):
        self.data_dir = data_dir
        self.port = port
        self.extra_environment = extra_environment or {}
        self.base_url = f"http://127.0.0.1:{port}"
        # The console's public address (the default OAG_BASE_URL). Forms must be posted from this
        # origin: the CSRF check refuses an Origin of http://127.0.0.1:PORT, and invitation links use it.
        self.public_url = f"http://localhost:{port}"
        self.log_path = data_dir.parent / f"oag-{port}.log"
        self.process: subprocess.Popen | None = None

    def environment(self, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OAG_")}
        env.update(OAG_PORT=str(self.port), OAG_DATA_DIR=str(self.data_dir), OAG_RESOURCES_DIR=str(REPO))
        env.update(extra)
        return env

    def start(self, timeout: float = 90) -> "Server":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [OAG_BIN, "serve"], env=self.environment(**self.extra_environment), stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"oag exited with {self.process.returncode}:\n{self.log()}")
            if http_status(self.base_url + "/readyz") == 200:
                return self
            time.sleep(0.2)
        raise AssertionError(f"oag was not ready within {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: fault injection against the real binary (`make test-faults`)")
    config.addinivalue_line("markers", "slow: left out of `make test`; `make test-faults` runs it")


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="oag-e2e-") as directory:
        path = Path(directory)
        # The embedded server runs as the unprivileged postgres user when tests run as root.
        path.chmod(0o755)
        yield path


def serve(workdir, port: int | None = None, **environment):
    """Serves for one test; afterwards the database is gone and the log holds no secret the tests made."""
    server = Server(workdir / "data", port or free_port(), environment).start()
    yield server
    if server.process and server.process.poll() is None:
        assert server.stop() == 0
    assert postgres_pids(server.data_dir) == [], "no postgres may outlive oag"
    leaked = secret_registry.leaked_into(server.log())
    assert not leaked, f"the server's log holds secrets: {[secret[:8] + '…' for secret in leaked]}"
    # Background jobs start with the server: one that ran before the migrations would log this.
    assert "does not exist" not in server.log(), "the server queried a table its migrations had not made yet"


@pytest.fixture
def server(workdir):
    yield from serve(workdir)


@pytest.fixture
def fake_google():
    fake = FakeGoogle().start()
    yield fake
    fake.stop()


@pytest.fixture
def server_with_google(workdir, fake_google):
    """`oag serve` with Google configured against the fake."""
    yield from serve(workdir, **fake_google.environment())


@pytest.fixture
def fake_llm():
    fake = FakeLLM().start()
    yield fake
    fake.stop()


@pytest.fixture
def server_with_llm(workdir, fake_llm):
    """`oag serve` with OpenAI, Anthropic and DeepSeek configured against the fake (platform keys)."""
    yield from serve(workdir, **fake_llm.environment())


def new_browser(width: int = 1366, height: int = 900) -> webdriver.Chrome:
    """Headless Chromium with a profile (cookies, storage) of its own."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture
def open_browser():
    """Factory: every call opens another independent browser session; all are closed after the test."""
    drivers = []

    def open_one(**size) -> webdriver.Chrome:
        drivers.append(new_browser(**size))
        return drivers[-1]

    yield open_one
    for driver in drivers:
        secret_registry.remember(*(cookie["value"] for cookie in driver.get_cookies()))
        driver.quit()


@pytest.fixture
def browser(open_browser):
    return open_browser()


def console_errors(browser):
    """Errors the page raised, CSP violations and failed loads among them."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(browser, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
