"""Security checks against the real binary. Every page that an anonymous visitor, a member, an admin,
an owner and an operator can reach by following links is valid HTML (Debian `tidy`), carries the
security headers, loads nothing from another origin and has no inline script or style (the CSP
would refuse them); cookies carry their flags, `__Host-` and `Secure` over https; unknown API keys
are limited per address. The servers' logs are searched for every secret made here when they stop
(conftest's `serve`)."""

import html.parser
import http.client
import json
import re
import secrets
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

import secret_registry
from conftest import OAG_BIN, free_port, serve
from http_console import Console

DEMO_PASSWORDS = {role: f"demo {role} password" for role in ("owner", "admin", "member")}
OPERATOR = ("olga@example.com", "operator passphrase 9")
PAGES_PER_ROLE = 60
# Links that are not pages to look at: signing out, and downloads.
NOT_CRAWLED = re.compile(r"^/(logout|account/export|.*\.csv)(\?|$)")


# --- what every response must carry ----------------------------------------------------------


def header_problems(headers, https: bool = False) -> list[str]:
    """What `SecurityHeadersMiddleware` promises, checked on one response."""
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    for directive, expected in {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "frame-ancestors": ["'none'"],
        "object-src": ["'none'"], "base-uri": ["'none'"],
    }.items():
        if directives.get(directive) != expected:
            problems.append(f"CSP {directive} is {directives.get(directive)}")
    if "unsafe-" in csp:
        problems.append("CSP allows unsafe-inline or unsafe-eval")
    expected_headers = {
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    problems += [f"{name}: {headers.get(name)}" for name, value in expected_headers.items() if headers.get(name) != value]
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    if ("max-age=" in headers.get("Strict-Transport-Security", "")) != https:
        problems.append(f"Strict-Transport-Security: {headers.get('Strict-Transport-Security')}")
    return problems


# Valid HTML that Debian's tidy 5.6 does not know yet: ARIA 1.1 and HTML 5.1 attributes, and the
# <title> of an inline SVG (with an id, for aria-labelledby).
TIDY_OUTDATED = re.compile(r'proprietary attribute "(aria-current|inputmode|minlength)"|<title> proprietary attribute "id"')


def tidy_errors(page: str) -> list[str]:
    """What Debian's tidy finds wrong: errors, and warnings too (unclosed or stray tags are only warnings)."""
    result = subprocess.run(["tidy", "-q", "-e", "--show-info", "no"], input=page.encode(), capture_output=True)
    lines = result.stderr.decode().splitlines()
    return [line for line in lines if ("Error:" in line or "Warning:" in line) and not TIDY_OUTDATED.search(line)]


class Resources(html.parser.HTMLParser):
    """What a page makes the browser load or post to, and any inline script or style."""

    LOADED = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src", "video": "src", "embed": "src",
              "object": "data", "form": "action"}

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.LOADED and attributes.get(self.LOADED[tag]):
            self.urls.append((tag, attributes[self.LOADED[tag]]))
        if tag == "link" and attributes.get("href"):
            self.urls.append((tag, attributes["href"]))
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "script" and not attributes.get("src"):
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [f"{tag} {name}=" for name in attributes if name == "style" or name.startswith("on")]


def foreign(url: str, origin: str) -> bool:
    """True when `url` leads to another origin (absolute or scheme-relative)."""
    parts = urllib.parse.urlsplit(urllib.parse.urljoin(origin + "/", url))
    return parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc}" != origin


# --- crawling ------------------------------------------------------------------------------


def fetch(console: Console, path: str):
    """GET `path` as this console's visitor (following redirects): status, headers, final path, body."""
    try:
        response = console.opener.open(console.url + path, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        body = console.seen(response.read().decode(errors="replace"))
        return response.status, response.headers, urllib.parse.urlsplit(response.url).path, body


def crawl(console: Console, start: list[str]) -> dict[str, list[str]]:
    """Follows same-origin links from `start` (at most PAGES_PER_ROLE pages); the problems of each page."""
    queue, seen, report = list(start), set(start), {}
    while queue and len(report) < PAGES_PER_ROLE:
        path = queue.pop(0)
        status, headers, _, body = fetch(console, path)
        problems = header_problems(headers)
        if status >= 500:
            problems.append(f"status {status}")
        if headers.get_content_type() == "text/html":
            if headers.get("Cache-Control") != "no-store":
                problems.append(f"Cache-Control: {headers.get('Cache-Control')}")
            problems += tidy_errors(body)
            parsed = Resources()
            parsed.feed(body)
            problems += [f"<{tag}> from another origin: {url}" for tag, url in parsed.urls if foreign(url, console.url)]
            problems += parsed.inline
            for link in parsed.links:
                target = urllib.parse.urlsplit(urllib.parse.urljoin(console.url + path, link))
                local = target.path + (f"?{target.query}" if target.query else "")
                if not foreign(link, console.url) and local not in seen and not NOT_CRAWLED.match(local):
                    seen.add(local)
                    queue.append(local)
        report[path] = problems
    return report


def signed_in(server, email: str, password: str) -> Console:
    console = Console(server.public_url)
    page = console.post("/login", {"email": email, "password": password, "_csrf": console.csrf(console.get("/login"))})
    assert "Sign out" in page, f"{email} is signed in"
    return console


def oag(server, *args: str) -> str:
    result = subprocess.run([OAG_BIN, *args], env=server.environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def demo_emails(server) -> dict[str, str]:
    """Seeds the demo company; its accounts' emails by role."""
    printed = oag(server, "demo", "seed")
    secret_registry.remember(*DEMO_PASSWORDS.values())
    return {role: re.search(rf"\b{role}\s+(\S+@\S+)", printed, re.IGNORECASE).group(1) for role in DEMO_PASSWORDS}


def give_the_owner_something_to_show(owner: Console) -> str:
    """An API key, a thread with a reply and an invitation, so that their pages exist (and their secrets
    reach the log check); returns the invitation's path, for the anonymous visitor."""
    keys_page = owner.get("/company/api-keys")
    owner.post("/company/api-keys", {"name": "Crawler key", "_csrf": owner.csrf(keys_page)}, expected_status=201)
    threads = owner.get("/threads")
    owner.post("/threads", {"title": "Security review", "model": "gpt-4o-mini", "_csrf": owner.csrf(threads)})
    thread = re.search(r'href="(/threads/[0-9a-f-]{36})"', owner.get("/threads")).group(1)
    owner.post(thread + "/messages", {"content": "Which ports should the firewall keep open?", "_csrf": owner.csrf(owner.get(thread))})
    members = owner.get("/company/members")
    invited = owner.post("/company/invitations", {"email": "newcomer@example.com", "role": "member", "_csrf": owner.csrf(members)})
    return re.search(r"/invitations/[A-Za-z0-9_-]{43}", invited).group(0)


# --- the tests -------------------------------------------------------------------------------


def test_every_page_each_role_reaches_is_valid_html_with_the_security_headers(server_with_llm):
    server = server_with_llm
    emails = demo_emails(server)
    oag(server, "admin", "create", "--email", OPERATOR[0], "--password", OPERATOR[1])
    visitors = {role: signed_in(server, emails[role], DEMO_PASSWORDS[role]) for role in DEMO_PASSWORDS}
    invitation = give_the_owner_something_to_show(visitors["owner"])
    visitors["operator"] = signed_in(server, *OPERATOR)
    visitors["anonymous"] = Console(server.public_url)
    starts = {"anonymous": ["/", "/privacy", "/login", "/signup", invitation], "operator": ["/", "/admin"]}

    reports = {role: crawl(console, starts.get(role, ["/dashboard"])) for role, console in visitors.items()}

    problems = {f"{role} {path}": found for role, report in reports.items() for path, found in report.items() if found}
    assert problems == {}
    assert len(reports["anonymous"]) >= 5 and len(reports["member"]) >= 8
    assert "/company/api-keys" in reports["owner"] and "/admin/policy" in reports["operator"]
    assert not any(path.startswith("/company/members") for path in reports["member"]), "members see no admin links"


def test_errors_files_and_the_api_carry_the_security_headers_too(server):
    member = Console(server.public_url)
    for path, expected in [("/no/such/page", 404), ("/css/app.css", 200), ("/healthz", 200), ("/v1/models", 401)]:
        status, headers, _, body = fetch(member, path)
        assert status == expected, path
        assert header_problems(headers) == [], path
        if path == "/no/such/page":
            assert tidy_errors(body) == []


@pytest.fixture
def https_server(workdir):
    """A server whose public address is https (as behind a TLS-terminating proxy), reached over http here."""
    port = free_port()
    yield from serve(workdir, port=port, OAG_BASE_URL=f"https://localhost:{port}")


def exchange(server, method: str, path: str, fields: dict | None = None, cookies: dict | None = None, origin: str = ""):
    """One request without a cookie jar (which would keep Secure cookies from plain http): status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Host": f"localhost:{server.port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = (response.status, response.headers, response.read().decode(errors="replace"))
    connection.close()
    return answer


def set_cookies(headers) -> dict[str, list[str]]:
    """Each Set-Cookie by name: its value, then its attributes."""
    cookies = {}
    for header in headers.get_all("Set-Cookie") or []:
        pair, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = pair.partition("=")
        cookies[name] = [value, *attributes]
        secret_registry.remember(value)
    return cookies


def cookie_flag_problems(attributes: list[str], secure: bool) -> list[str]:
    expected = {"HttpOnly", "SameSite=Lax", "Path=/"} | ({"Secure"} if secure else set())
    present = set(attributes[1:])
    return sorted(expected - present) + (["Secure over plain http"] if not secure and "Secure" in present else [])


def sign_in_raw(server, email: str, password: str, prefix: str, origin: str) -> dict[str, list[str]]:
    """Signs in as a browser would, returning the cookies the sign-in set."""
    status, headers, page = exchange(server, "GET", "/login")
    anonymous = set_cookies(headers)
    token = Console.csrf(page)
    secret_registry.remember(password)
    status, headers, _ = exchange(
        server, "POST", "/login", {"email": email, "password": password, "_csrf": token},
        cookies={prefix + "oag_csrf": anonymous[prefix + "oag_csrf"][0]}, origin=origin)
    assert status == 303
    return set_cookies(headers)


def test_plain_http_cookies_are_httponly_lax_and_not_secure(server):
    emails = demo_emails(server)
    cookies = sign_in_raw(server, emails["member"], DEMO_PASSWORDS["member"], "", server.public_url)
    assert "oag_session" in cookies
    assert cookie_flag_problems(cookies["oag_session"], secure=False) == []


def test_over_https_cookies_are_host_only_and_secure_and_links_stay_out_of_the_log(https_server):
    server = https_server
    origin = f"https://localhost:{server.port}"
    emails = demo_emails(server)
    status, headers, _ = exchange(server, "GET", "/login")
    assert header_problems(headers, https=True) == []
    csrf_cookie = set_cookies(headers)["__Host-oag_csrf"]
    assert cookie_flag_problems(csrf_cookie, secure=True) == []

    cookies = sign_in_raw(server, emails["owner"], DEMO_PASSWORDS["owner"], "__Host-", origin)
    assert set(cookies) >= {"__Host-oag_session"}, cookies
    assert cookie_flag_problems(cookies["__Host-oag_session"], secure=True) == []
    assert not any("Domain=" in attribute for attribute in cookies["__Host-oag_session"]), "__Host- cookies name no domain"

    # Without a mailer, only plain-http development logs invitation links; an https deployment never does.
    session = {"__Host-oag_session": cookies["__Host-oag_session"][0]}
    _, _, members = exchange(server, "GET", "/company/members", cookies=session)
    status, _, invited = exchange(
        server, "POST", "/company/invitations", {"email": "newcomer@example.com", "role": "member", "_csrf": Console.csrf(members)},
        cookies=session, origin=origin)
    link = re.search(r"/invitations/([A-Za-z0-9_-]{43})", invited)
    assert status in (200, 201) and link, invited[:500]
    secret_registry.remember(link.group(1))


def unknown_key_statuses(server, count: int, forwarded_for: str | None = None) -> list[tuple[int, urllib.error.HTTPError]]:
    """`count` calls of /v1/models with made-up keys, optionally claiming a client address."""
    answers = []
    for _ in range(count):
        key = "oag_" + secrets.token_urlsafe(32)
        secret_registry.remember(key)
        headers = {"Authorization": f"Bearer {key}"}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        try:
            urllib.request.urlopen(urllib.request.Request(server.public_url + "/v1/models", headers=headers), timeout=30)
        except urllib.error.HTTPError as error:
            error.body = error.read()
            answers.append((error.code, error))
    return answers


def test_unknown_api_keys_from_one_address_are_limited_with_an_openai_error(server):
    answers = unknown_key_statuses(server, 31, forwarded_for="203.0.113.5")
    assert [status for status, _ in answers[:30]] == [401] * 30
    status, last = answers[30]
    assert status == 429
    assert int(last.headers["Retry-After"]) > 0
    body = json.loads(last.body)
    assert body["error"]["code"] == "rate_limit_exceeded" and body["error"]["type"] == "rate_limit_error"
    assert header_problems(last.headers) == []
    # No proxy is trusted by default: a client cannot escape the limit by naming another address.
    assert unknown_key_statuses(server, 1, forwarded_for="203.0.113.6")[0][0] == 429


@pytest.fixture
def server_behind_proxy(workdir):
    """`oag serve` that trusts the loopback address as its load balancer (OAG_TRUSTED_PROXIES)."""
    yield from serve(workdir, OAG_TRUSTED_PROXIES="127.0.0.1, ::1")


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(server_behind_proxy):
    server = server_behind_proxy
    # The client wrote the first entry itself; the balancer appended the address it saw.
    answers = unknown_key_statuses(server, 31, forwarded_for="198.51.100.1, 203.0.113.5")
    assert [status for status, _ in answers] == [401] * 30 + [429]
    assert unknown_key_statuses(server, 1, forwarded_for="198.51.100.1, 203.0.113.6")[0][0] == 401, "another client"
    assert unknown_key_statuses(server, 1, forwarded_for="203.0.113.5")[0][0] == 429, "the same client"
    assert unknown_key_statuses(server, 1)[0][0] == 401, "the balancer's own requests count as its own"
