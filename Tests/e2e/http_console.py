"""The console over plain HTTP, for tests that need a signed-in session but no browser."""

import html
import http.cookiejar
import re
import urllib.parse
import urllib.request

import secret_registry

# A gateway key as the API keys page shows it once.
API_KEY = re.compile(r"oag_[A-Za-z0-9_-]{43}")


class Console:
    """A browser without a screen: a cookie jar, and forms posted from the console's own origin."""

    def __init__(self, public_url: str):
        self.url = public_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=30) as response:
            assert response.status == 200, f"GET {path}: {response.status}"
            return self.seen(response.read().decode())

    def post(self, path: str, fields: dict, expected_status: int = 200) -> str:
        secret_registry.remember(*(value for name, value in fields.items() if "password" in name))
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Origin": self.url})
        with self.opener.open(request, timeout=30) as response:
            assert response.status == expected_status, f"POST {path}: {response.status}"
            return self.seen(response.read().decode())

    def seen(self, page: str) -> str:
        """Remembers the secrets this exchange handed out (cookies, a new API key), so that logs are searched for them."""
        secret_registry.remember(*(cookie.value for cookie in self.cookies), *API_KEY.findall(page))
        return page

    @staticmethod
    def csrf(page: str) -> str:
        match = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert match, "the page has a form with a _csrf field"
        return html.unescape(match.group(1))
