"""Outside providers failing, against the real binary: a model provider that hangs, resets the
connection or answers 500, and Google's OAuth endpoints failing while a member connects, refreshes
and disconnects. The in-process suites (GatewayTests, IntegrationsTests) cover each rule; this
checks that the binary, with its real HTTP client, timeouts and settings, keeps them."""

import html
import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import OAG_BIN, psql, serve
from http_console import Console

pytestmark = pytest.mark.faults

PASSWORD = "correct horse battery 42"
OPERATOR = ("olga@example.com", "operator passphrase 9")
UPSTREAM_TIMEOUT = 2


@pytest.fixture
def gateway(workdir, fake_llm):
    """`oag` against the fake model providers, with a short upstream timeout so that a hang is quick to see."""
    fake_llm.hang_seconds = UPSTREAM_TIMEOUT * 3
    yield from serve(workdir, **fake_llm.environment(), OAG_UPSTREAM_TIMEOUT_SECONDS=str(UPSTREAM_TIMEOUT))


def chat(server, key: str, model: str) -> tuple[int, dict]:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}]}).encode()
    request = urllib.request.Request(
        server.base_url + "/v1/chat/completions", data=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def set_fallback(server, model: str, fallback: str):
    """An operator picks `fallback` for `model` on /admin/models, keeping its prices."""
    created = subprocess.run([OAG_BIN, "admin", "create", "--email", OPERATOR[0], "--password", OPERATOR[1]],
                             env=server.environment(), capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    operator = Console(server.public_url).sign_in(*OPERATOR)
    models = operator.get("/admin/models")
    form = re.search(rf'<form class="form-row" method="post" action="(/admin/models/{model})"[\s\S]*?</form>', models)
    prices = {name: html.unescape(re.search(rf'name="{name}"[^>]* value="([^"]*)"', form.group(0)).group(1))
              for name in ("input_price", "output_price")}
    fields = {**prices, "fallback_model": fallback, "active": "on", "_csrf": Console.csrf(models)}
    operator.post(form.group(1), fields)


def usage_events(server, count: int) -> list[tuple[str, int]]:
    """(model, status) of the metered requests, oldest first, once `count` of them are written."""
    deadline = time.monotonic() + 30
    while True:
        rows = psql(server.data_dir, "SELECT model, status FROM usage_events ORDER BY occurred_at")
        if len(rows) >= count or time.monotonic() > deadline:
            return [(model, int(status)) for model, status in rows]
        time.sleep(0.5)


def test_model_provider_failures_are_clean_502_and_504_fall_back_and_are_metered(gateway, fake_llm):
    key = Console(gateway.public_url).sign_up("ann@example.com", PASSWORD, "Ann Owner", "Acme Rockets").create_api_key("faults")

    fake_llm.fail_next("hang")
    status, answer = chat(gateway, key, "gpt-4o-mini")
    assert (status, answer["error"]["code"]) == (504, "upstream_timeout"), answer

    # A connection that breaks before any answer is tried once more, then given up.
    before = len(fake_llm.requests())
    fake_llm.fail_next("reset", "reset")
    status, answer = chat(gateway, key, "gpt-4o-mini")
    assert (status, answer["error"]["type"]) == (502, "api_error"), answer
    assert len(fake_llm.requests()) - before == 2

    fake_llm.fail_next("500")
    status, answer = chat(gateway, key, "gpt-4o-mini")
    assert (status, answer["error"]["code"]) == (502, "upstream_error"), answer

    set_fallback(gateway, "gpt-4o-mini", "claude-haiku-4-5")
    fake_llm.fail_next("500")
    status, answer = chat(gateway, key, "gpt-4o-mini")
    assert (status, answer["model"]) == (200, "claude-haiku-4-5"), answer
    assert [r.provider for r in fake_llm.requests()[-2:]] == ["openai", "anthropic"]

    assert usage_events(gateway, 5) == [
        ("gpt-4o-mini", 504), ("gpt-4o-mini", 502), ("gpt-4o-mini", 502), ("gpt-4o-mini", 502), ("claude-haiku-4-5", 200)]


def integration_rows(server) -> list[list[str]]:
    return psql(server.data_dir, "SELECT provider, status FROM integrations")


def test_google_failing_during_connect_refresh_and_revoke(server_with_google, fake_google):
    server = server_with_google
    ann = Console(server.public_url).sign_up("ann@example.com", PASSWORD, "Ann Owner", "Acme Rockets")

    for how in ("500", "reset"):
        fake_google.fail("token", how)
        status, page = ann.connect_google()
        assert status == 502 and "could not be reached" in page, (how, status)
        assert integration_rows(server) == [], f"a failed connect ({how}) saves nothing"
    fake_google.fail("token", None)

    # Access tokens that expire within the minute are refreshed before use.
    fake_google.expires_in = 30
    status, page = ann.connect_google()
    assert status == 200 and "The account is connected." in page
    fake_google.fail("token", "500")
    status, page = ann.fetch("/account/integrations/google/check", {"_csrf": Console.csrf(ann.get("/account/integrations"))})
    assert status == 502 and "could not be reached" in page
    assert integration_rows(server) == [["google", "connected"]], "a provider outage is not a revoked grant"
    fake_google.fail("token", None)
    status, page = ann.fetch("/account/integrations/google/check", {"_csrf": Console.csrf(ann.get("/account/integrations"))})
    assert status == 200 and "The provider answered." in page

    fake_google.fail("revoke", "500")
    status, page = ann.fetch("/account/integrations/google/disconnect", {"_csrf": Console.csrf(ann.get("/account/integrations"))})
    assert status == 200 and "the provider did not confirm the revocation" in page
    assert integration_rows(server) == [], "disconnecting deletes the tokens even when the provider does not answer"
