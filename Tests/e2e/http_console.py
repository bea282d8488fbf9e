"""The console over plain HTTP, for tests that need a signed-in session but no browser."""

import html
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import secret_registry

# A gateway key as the API keys page shows it once.
API_KEY = re.compile(r"oag_[A-Za-z0-9_-]{43}")


class Console:
    """A browser without a screen: a cookie jar, and forms posted from the console's own origin."""

    def __init__(self, public_url: str, timeout: float = 30):
        self.url = public_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def fetch(self, path: str, fields: dict | None = None) -> tuple[int, str]:
        """GETs `path`, or POSTs `fields` to it; an error status is an answer like any other."""
        if fields is not None:
            secret_registry.remember(*(value for name, value in fields.items() if "password" in name))
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers={"Origin": self.url} if data else {})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, self.seen(response.read().decode())
        except urllib.error.HTTPError as error:
            return error.code, self.seen(error.read().decode(errors="replace"))

    def get(self, path: str) -> str:
        status, body = self.fetch(path)
        assert status == 200, f"GET {path}: {status}"
        return body

    def post(self, path: str, fields: dict, expected_status: int = 200) -> str:
        status, body = self.fetch(path, fields)
        assert status == expected_status, f"POST {path}: {status}"
        return body

    def sign_in(self, email: str, password: str) -> "Console":
        self.post("/login", {"email": email, "password": password, "_csrf": self.csrf(self.get("/login"))})
        return self

    def sign_up(self, email: str, password: str, name: str, company_name: str) -> "Console":
        fields = {"email": email, "password": password, "name": name, "company_name": company_name}
        self.post("/signup", {**fields, "_csrf": self.csrf(self.get("/signup"))})
        return self

    def create_api_key(self, name: str) -> str:
        """Makes a key on /company/api-keys as an admin would, and reads it off the page, where it is shown once."""
        created = self.post("/company/api-keys", {"name": name, "_csrf": self.csrf(self.get("/company/api-keys"))}, expected_status=201)
        match = re.search(r'<input id="created-key" class="code-input" type="text" readonly value="(oag_[^"]+)">', created)
        assert match, "the new key is shown once, on the page that created it"
        return html.unescape(match.group(1))

    def connect_google(self) -> tuple[int, str]:
        """Connects Google on "My Integrations" against the fake, whose consent screen has only an
        "Allow" link; returns the answer to OAG's callback."""
        status, consent = self.fetch("/account/integrations/google/connect", {"_csrf": self.csrf(self.get("/account/integrations"))})
        match = re.search(r'<a id="allow" href="([^"]+)">', consent)
        assert status == 200 and match, f"the connect button leads to the consent screen: {status}"
        return self.fetch(html.unescape(match.group(1)).removeprefix(self.url))

    def seen(self, page: str) -> str:
        """Remembers the secrets this exchange handed out (cookies, a new API key), so that logs are searched for them."""
        secret_registry.remember(*(cookie.value for cookie in self.cookies), *API_KEY.findall(page))
        return page

    @staticmethod
    def csrf(page: str) -> str:
        match = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert match, "the page has a form with a _csrf field"
        return html.unescape(match.group(1))
