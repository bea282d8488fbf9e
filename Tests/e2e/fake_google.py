"""A stand-in for Google's OAuth 2.0 endpoints that the browser and `oag` can both reach: the
consent screen, the token endpoint (authorization code with PKCE S256, refresh), userinfo and
revocation, with Google's request and answer formats. Started per test by a fixture."""

import base64
import hashlib
import html
import json
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import secret_registry

CLIENT_ID = "e2e-google-client"
CLIENT_SECRET = "e2e-google-secret"
secret_registry.remember(CLIENT_SECRET)


class FakeGoogle:
    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.granted = set()
        self.requested_scopes = []
        self.revoked = []
        # Faults a test switches on: an endpoint ("token", "revoke") answering 500 or resetting the
        # connection, a revocation that takes `revoke_delay` seconds, short-lived access tokens.
        self.failures: dict[str, str] = {}
        self.revoke_delay = 0.0
        self.revoke_started = threading.Event()
        self.expires_in = 3599
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def environment(self) -> dict:
        return {
            "OAG_GOOGLE_CLIENT_ID": CLIENT_ID,
            "OAG_GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "OAG_GOOGLE_AUTHORIZE_URL": self.url + "/o/oauth2/v2/auth",
            "OAG_GOOGLE_TOKEN_URL": self.url + "/token",
            "OAG_GOOGLE_REVOKE_URL": self.url + "/revoke",
            "OAG_GOOGLE_USERINFO_URL": self.url + "/v1/userinfo",
        }

    def fail(self, endpoint: str, how: str | None):
        """From now on `endpoint` answers HTTP 500 (`how="500"`), resets the connection (`"reset"`),
        or works again (`None`)."""
        with self.lock:
            if how is None:
                self.failures.pop(endpoint, None)
            else:
                self.failures[endpoint] = how

    def live_tokens(self) -> list[str]:
        with self.lock:
            return list(self.access_tokens) + list(self.refresh_tokens)

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body, content_type="application/json", headers=None):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def form(self) -> dict:
                if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                    return {}
                length = int(self.headers.get("Content-Length", "0"))
                return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/favicon.ico":
                    return self.answer(204, "", "image/x-icon")
                if url.path == "/o/oauth2/v2/auth":
                    return self.consent_screen(query)
                if url.path == "/v1/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    with fake.lock:
                        known = token in fake.access_tokens
                    if not known:
                        return self.answer(401, {"error": "invalid_token"})
                    return self.answer(200, {"sub": "e2e-1", "email": "ann.work@gmail.test", "email_verified": True, "name": "Ann"})
                self.answer(404, {"error": "not_found"})

            def consent_screen(self, query):
                required = ("client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method")
                if query.get("client_id") != CLIENT_ID or any(name not in query for name in required):
                    return self.answer(400, "<p>Error 400: invalid_request</p>", "text/html")
                if query["code_challenge_method"] != "S256" or query.get("access_type") != "offline":
                    return self.answer(400, "<p>Error 400: invalid_request</p>", "text/html")
                scopes = query.get("scope", "").split()
                code = secrets.token_urlsafe(24)
                secret_registry.remember(code, query["state"])
                with fake.lock:
                    fake.requested_scopes.append(scopes)
                    fake.codes[code] = (query["redirect_uri"], query["code_challenge"], scopes)
                back = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"], "scope": " ".join(scopes)})
                items = "".join(f"<li>{html.escape(scope)}</li>" for scope in scopes)
                page = (
                    "<!doctype html><title>Sign in - Google Accounts</title><h1>OAG wants to access your Google Account</h1>"
                    f"<ul>{items}</ul><a id=\"allow\" href=\"{html.escape(back)}\">Allow</a>"
                )
                self.answer(200, page, "text/html; charset=utf-8")

            def failed(self, endpoint: str) -> bool:
                """Plays the fault switched on for `endpoint`, if any."""
                with fake.lock:
                    how = fake.failures.get(endpoint)
                if how == "500":
                    self.answer(500, "<p>Error 500 (Server Error)</p>", "text/html")
                elif how == "reset":
                    # Linger 0: close() sends a TCP reset instead of an orderly end.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                return how is not None

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                form = self.form()
                if url.path == "/token":
                    return self.failed("token") or self.token(form)
                if url.path == "/revoke":
                    fake.revoke_started.set()
                    time.sleep(fake.revoke_delay)
                    if self.failed("revoke"):
                        return
                    token = form.get("token", "")
                    with fake.lock:
                        known = token in fake.refresh_tokens or token in fake.access_tokens
                        if known:
                            # Google ends the whole grant, all scopes.
                            fake.revoked.append(token)
                            fake.access_tokens.clear()
                            fake.refresh_tokens.clear()
                            fake.granted.clear()
                    return self.answer(200, {}) if known else self.answer(400, {"error": "invalid_token"})
                self.answer(404, {"error": "not_found"})

            def token(self, form):
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    return self.answer(401, {"error": "invalid_client"})
                if form.get("grant_type") == "refresh_token":
                    return self.refresh(form)
                if form.get("grant_type") != "authorization_code":
                    return self.answer(400, {"error": "unsupported_grant_type"})
                with fake.lock:
                    redirect_uri, challenge, scopes = fake.codes.pop(form.get("code", ""), (None, None, None))
                verifier = form.get("code_verifier", "")
                computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if redirect_uri is None or redirect_uri != form.get("redirect_uri") or computed != challenge:
                    return self.answer(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                access, refresh = "ya29.e2e-" + secrets.token_urlsafe(16), "1//e2e-" + secrets.token_urlsafe(16)
                secret_registry.remember(access, refresh, verifier)
                with fake.lock:
                    first_consent = not fake.refresh_tokens
                    fake.granted.update(scopes)
                    fake.access_tokens[access] = True
                    if first_consent:
                        fake.refresh_tokens[refresh] = True
                    granted = " ".join(sorted(fake.granted))
                answer = {"access_token": access, "expires_in": fake.expires_in, "scope": granted, "token_type": "Bearer"}
                if first_consent:
                    answer["refresh_token"] = refresh
                self.answer(200, answer)

            def refresh(self, form):
                """Google keeps the refresh token and issues a new access token for the same grant."""
                with fake.lock:
                    if form.get("refresh_token") not in fake.refresh_tokens:
                        return self.answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
                    access = "ya29.e2e-" + secrets.token_urlsafe(16)
                    fake.access_tokens[access] = True
                    granted = " ".join(sorted(fake.granted))
                self.answer(200, {"access_token": access, "expires_in": fake.expires_in, "scope": granted, "token_type": "Bearer"})

        return Handler
