"""The console over plain HTTP, for tests that need a signed-in session but no browser."""

import html
import http.cookiejar
import re
import urllib.parse
import urllib.request


class Console:
    """A browser without a screen: a cookie jar, and forms posted from the console's own origin."""

    def __init__(self, public_url: str):
        self.url = public_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=30) as response:
            assert response.status == 200, f"GET {path}: {response.status}"
            return response.read().decode()

    def post(self, path: str, fields: dict, expected_status: int = 200) -> str:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Origin": self.url})
        with self.opener.open(request, timeout=30) as response:
            assert response.status == expected_status, f"POST {path}: {response.status}"
            return response.read().decode()

    @staticmethod
    def csrf(page: str) -> str:
        match = re.search(r'name="_csrf" value="([^"]+)"', page)
        assert match, "the page has a form with a _csrf field"
        return html.unescape(match.group(1))
