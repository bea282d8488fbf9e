"""`oag` killed (SIGKILL) in the middle of a deletion job, against the real binary: the job is caught
while it revokes a person's Google tokens, and the restarted node takes the request over once its
lease ends, finishes it with nothing done twice, and the receipt counts what really went."""

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import OAG_BIN, Server, free_port, psql
from http_console import Console

pytestmark = pytest.mark.faults

PASSWORD = "correct horse battery 42"
OPERATOR = ("olga@example.com", "operator passphrase 9")
LEASE_SECONDS = 3


def receipt_when_ready(server: Server, path: str) -> dict:
    """The receipt link answers 404 until the request is carried out."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            assert error.code == 404
            time.sleep(0.5)
    raise AssertionError(f"the request was not carried out within 60 s:\n{server.log()}")


def request_state(server: Server) -> tuple[str, int]:
    [[status, users]] = psql(
        server.data_dir, "SELECT status, (SELECT count(*) FROM users WHERE email = 'ann@example.com') FROM deletion_requests")
    return status, int(users)


def test_a_deletion_job_killed_while_revoking_resumes_after_its_lease(workdir, fake_google):
    environment = {**fake_google.environment(), "OAG_DELETION_LEASE_SECONDS": str(LEASE_SECONDS)}
    server = Server(workdir / "data", free_port(), environment).start()
    created = subprocess.run([OAG_BIN, "admin", "create", "--email", OPERATOR[0], "--password", OPERATOR[1]],
                             env=server.environment(), capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr

    ann = Console(server.public_url).sign_up("ann@example.com", PASSWORD, "Ann Owner", "Acme Rockets")
    status, integrations = ann.connect_google()
    assert status == 200 and "The account is connected." in integrations
    filed = ann.post("/account/deletion-requests", {"scope": "account", "reason": "", "_csrf": Console.csrf(
        ann.get("/account/deletion-requests"))}, expected_status=201)
    receipt_path = re.search(r'id="receipt-link" class="code-input" type="text" readonly value="([^"]+)"', filed).group(1)
    receipt_path = receipt_path.removeprefix(server.public_url)

    # The revocation hangs at the provider, so the job is caught in the middle of it.
    fake_google.revoke_delay = 30
    operator = Console(server.public_url).sign_in(*OPERATOR)
    queue = operator.get("/admin/deletion-requests")
    approve = re.search(r'action="(/admin/deletion-requests/[0-9a-fA-F-]+/approve)"', queue).group(1)
    operator.post(approve, {"_csrf": Console.csrf(queue)})
    assert fake_google.revoke_started.wait(30), "the job revokes the person's tokens first"
    server.stop(signal.SIGKILL)
    assert request_state(server) == ("running", 1), "killed mid-way: the request is taken, nothing is deleted yet"

    fake_google.revoke_delay = 0
    fake_google.revoke_started.clear()
    restarted = Server(server.data_dir, free_port(), environment).start()
    try:
        receipt = receipt_when_ready(restarted, receipt_path)
        assert request_state(restarted) == ("completed", 0)
        visitor = Console(restarted.public_url)
        _, refused = visitor.fetch("/login", {"email": "ann@example.com", "password": PASSWORD, "_csrf": visitor.csrf(visitor.get("/login"))})
        assert "The email or password is not right." in refused
    finally:
        assert restarted.stop() == 0

    assert receipt["accounts_deleted"] == 1 and receipt["companies_deleted"] == 1
    assert receipt["company_keys_destroyed"] == 1
    assert (receipt["tokens_revoked_at_providers"], receipt["revocations_unconfirmed"]) == (1, 0), receipt
    assert fake_google.live_tokens() == [], "the resumed job ended the grant at Google"
    assert "ann@example.com" not in json.dumps(receipt)
