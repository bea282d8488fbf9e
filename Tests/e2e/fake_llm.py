"""A stand-in for the model providers that `oag` can reach: OpenAI's and DeepSeek's Chat Completions
and Anthropic's Messages API, with their request checks, answers, server-sent event streams and
error shapes. Each provider lives under a prefix of the fake's URL (`/openai/v1`, `/deepseek`,
`/anthropic`). Token counts are deterministic (see `prompt_tokens` and `completion_tokens`), and
every request is recorded so a test can check what the gateway sent. Started per test by a fixture.

The Python counterpart of Tests/TestSupport/FakeLLMUpstream.swift, for the real binary."""

import json
import secrets
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import secret_registry

API_KEY = "sk-e2e-upstream"
secret_registry.remember(API_KEY)
DEFAULT_REPLY = "The gateway works."
ANTHROPIC_VERSIONS = {"2023-06-01", "2023-01-01"}
# Where each provider serves completions, below its prefix.
ENDPOINTS = {
    "openai": "/openai/v1/chat/completions",
    "deepseek": "/deepseek/chat/completions",
    "anthropic": "/anthropic/v1/messages",
}


def word_count(text: str) -> int:
    return len(text.split())


def text_of(content) -> str:
    """A message's text: a plain string, or the `text` of each part of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str))
    return ""


def prompt_texts(body) -> list[str]:
    """What a request asked, message by message (and Anthropic's `system`): content that logs must never hold."""
    if not isinstance(body, dict):
        return []
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    texts = [text_of(message.get("content")) for message in messages if isinstance(message, dict)]
    return texts + [text_of(body.get("system"))]


def prompt_tokens(messages: list[dict], system: str | None = None) -> int:
    """What the fake bills for a prompt: the words of every message's content (and of Anthropic's
    top-level `system`), plus 3 per message."""
    return word_count(system or "") + sum(word_count(text_of(message.get("content"))) + 3 for message in messages)


def completion_tokens(reply: str) -> int:
    """What the fake bills for a reply: its words."""
    return word_count(reply)


@dataclass
class Received:
    """One request as the fake got it, refused ones included."""

    provider: str
    path: str
    headers: dict  # lower-cased names
    body: dict | None  # the parsed JSON, None when it was not JSON


class UpstreamError(Exception):
    """A refusal, rendered in the shape of whichever provider was asked."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error", code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param


class FakeLLM:
    def __init__(self):
        self.lock = threading.Lock()
        self.reply = DEFAULT_REPLY
        self.chunk_size = 5
        self.received: list[Received] = []
        # Faults for the next requests, one each, in order: "500", "reset" (the connection breaks
        # before any answer) or "hang" (no answer for `hang_seconds`, then the connection closes).
        self.faults: list[str] = []
        self.hang_seconds = 30.0
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
            "OAG_OPENAI_BASE_URL": self.url + "/openai/v1",
            "OAG_ANTHROPIC_BASE_URL": self.url + "/anthropic",
            "OAG_DEEPSEEK_BASE_URL": self.url + "/deepseek",
            "OAG_OPENAI_API_KEY": API_KEY,
            "OAG_ANTHROPIC_API_KEY": API_KEY,
            "OAG_DEEPSEEK_API_KEY": API_KEY,
        }

    def requests(self, provider: str | None = None) -> list[Received]:
        """In the order they arrived; only those to `provider` when given."""
        with self.lock:
            return [request for request in self.received if provider is None or request.provider == provider]

    def set_reply(self, text: str, chunk_size: int = 5):
        """The text every completion returns from now on, streamed `chunk_size` characters per event."""
        with self.lock:
            self.reply, self.chunk_size = text, chunk_size

    def fail_next(self, *faults: str):
        """The next requests (to any provider) meet these faults, one each."""
        with self.lock:
            self.faults += faults

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, and streams sent with chunked transfer encoding, as the real hosts do.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            # --- writing ------------------------------------------------------------------

            def answer(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def stream(self, events: list[str], headers: dict | None = None):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                for event in events:
                    data = event.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def refuse(self, error: UpstreamError, provider: str):
                if provider != "anthropic":
                    body = {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}
                    return self.answer(error.status, body)
                kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}.get(
                    error.status, "api_error" if error.status >= 500 else "invalid_request_error")
                request_id = "req_" + secrets.token_hex(12)
                body = {"type": "error", "error": {"type": kind, "message": error.message}, "request_id": request_id}
                self.answer(error.status, body, {"request-id": request_id})

            # --- reading ------------------------------------------------------------------

            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                path = self.path.split("?", 1)[0]
                provider = next((name for name in ENDPOINTS if path.startswith(f"/{name}/")), None)
                length = int(self.headers.get("Content-Length", "0") or "0")
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                headers = {name.lower(): value for name, value in self.headers.items()}
                if provider is None:
                    return self.answer(404, {"error": "not_found"})
                with fake.lock:
                    fake.received.append(Received(provider, path, headers, body))
                    reply, chunk_size = fake.reply, fake.chunk_size
                    fault = fake.faults.pop(0) if fake.faults else None
                secret_registry.remember(reply, *prompt_texts(body))
                if fault in ("reset", "hang"):
                    if fault == "hang":
                        time.sleep(fake.hang_seconds)
                    # Linger 0: close() sends a TCP reset instead of an orderly end.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                try:
                    if fault == "500":
                        raise UpstreamError(500, "The server had an error while processing your request.", type="server_error")
                    if self.command != "POST" or path != ENDPOINTS[provider]:
                        endpoint = path.removeprefix("/" + provider)
                        raise UpstreamError(404, "Not Found" if provider == "anthropic" else f"Invalid URL ({self.command} {endpoint})")
                    self.authenticate(provider, headers)
                    if provider == "anthropic":
                        self.messages(body, headers, reply, chunk_size)
                    else:
                        self.chat(provider, body, headers, reply, chunk_size)
                except UpstreamError as error:
                    self.refuse(error, provider)

            def authenticate(self, provider: str, headers: dict):
                if provider == "anthropic":
                    key = headers.get("x-api-key")
                    if key is None:
                        raise UpstreamError(401, "x-api-key header is required")
                    if key != API_KEY:
                        raise UpstreamError(401, "invalid x-api-key")
                    return
                scheme, _, key = headers.get("authorization", "").partition(" ")
                key = key.strip() if scheme.lower() == "bearer" else ""
                if key == API_KEY:
                    return
                if provider == "deepseek":
                    raise UpstreamError(
                        401, f"Authentication Fails, Your api key: ****{key[-4:]} is invalid", type="authentication_error",
                        code="invalid_request_error")
                if not key:
                    raise UpstreamError(
                        401, "You didn't provide an API key. You need to provide your API key in an Authorization header "
                        "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
                masked = key[:3] + "*" * (len(key) - 7) + key[-4:] if len(key) > 7 else "***"
                raise UpstreamError(
                    401, f"Incorrect API key provided: {masked}. You can find your API key at https://platform.openai.com/account/api-keys.",
                    code="invalid_api_key")

            # --- Chat Completions (OpenAI, DeepSeek) --------------------------------------

            def chat(self, provider: str, body, headers: dict, reply: str, chunk_size: int):
                content_type = headers.get("content-type", "")
                if not content_type.lower().startswith("application/json"):
                    raise UpstreamError(400, f"Invalid Content-Type header ({content_type or 'none'}), expected application/json.")
                if not isinstance(body, dict):
                    raise UpstreamError(
                        400, "We could not parse the JSON body of your request. The API expects a JSON payload, "
                        "but what was sent was not valid JSON.")
                model = body.get("model")
                if not isinstance(model, str) or not model:
                    raise UpstreamError(400, "you must provide a model parameter")
                messages = body.get("messages")
                if not isinstance(messages, list) or not messages:
                    raise UpstreamError(400, "Invalid 'messages': expected a non-empty array of objects.", code="invalid_value", param="messages")
                roles = ("system", "user", "assistant", "tool") if provider == "deepseek" else (
                    "system", "developer", "user", "assistant", "tool", "function")
                for index, message in enumerate(messages):
                    role = message.get("role") if isinstance(message, dict) else None
                    if role not in roles:
                        supported = ", ".join(f"'{name}'" for name in roles)
                        raise UpstreamError(
                            400, f"Invalid value: '{role}'. Supported values are: {supported}.", code="invalid_value",
                            param=f"messages[{index}].role")
                stream = body.get("stream") is True
                options = body.get("stream_options")
                if options is not None and not stream:
                    raise UpstreamError(
                        400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options")
                include_usage = isinstance(options, dict) and options.get("include_usage") is True

                prompt, completion = prompt_tokens(messages), completion_tokens(reply)
                usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
                if provider == "deepseek":
                    # DeepSeek reports its context cache beside OpenAI's fields; the fake never hits it.
                    usage.update(prompt_cache_hit_tokens=0, prompt_cache_miss_tokens=prompt)
                common = {
                    "id": str(uuid.uuid4()) if provider == "deepseek" else "chatcmpl-" + secrets.token_hex(12),
                    "created": int(time.time()), "model": model, "system_fingerprint": "fp_e2e",
                }
                request_id = {"x-request-id": "req_" + secrets.token_hex(12)} if provider == "openai" else {}
                if not stream:
                    choice = {"index": 0, "message": {"role": "assistant", "content": reply}, "logprobs": None, "finish_reason": "stop"}
                    return self.answer(200, {**common, "object": "chat.completion", "choices": [choice], "usage": usage}, request_id)

                def data(fields: dict) -> str:
                    return "data: " + json.dumps({**common, "object": "chat.completion.chunk", **fields}) + "\n\n"

                def chunk(delta: dict, finish: str | None = None) -> str:
                    fields = {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
                    if include_usage:
                        # With include_usage every chunk carries a usage field, null until the last one.
                        fields["usage"] = None
                    return data(fields)

                # DeepSeek sends SSE comments while a request waits to be scheduled; clients must skip them.
                events = [": keep-alive\n\n"] if provider == "deepseek" else []
                events.append(chunk({"role": "assistant", "content": ""}))
                events += [chunk({"content": reply[at:at + chunk_size]}) for at in range(0, len(reply), chunk_size)]
                events.append(chunk({}, "stop"))
                if include_usage:
                    events.append(data({"choices": [], "usage": usage}))
                events.append("data: [DONE]\n\n")
                self.stream(events, request_id)

            # --- Messages (Anthropic) -----------------------------------------------------

            def messages(self, body, headers: dict, reply: str, chunk_size: int):
                version = headers.get("anthropic-version")
                if version is None:
                    raise UpstreamError(400, "anthropic-version: header is required")
                if version not in ANTHROPIC_VERSIONS:
                    raise UpstreamError(400, f"anthropic-version: unknown version {version}")
                if not isinstance(body, dict):
                    raise UpstreamError(400, "There was an issue with the format or content of your request: the body is not JSON.")
                model = body.get("model")
                if not isinstance(model, str):
                    raise UpstreamError(400, "model: Field required")
                if "max_tokens" not in body:
                    raise UpstreamError(400, "max_tokens: Field required")
                max_tokens = body["max_tokens"]
                if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
                    raise UpstreamError(400, "max_tokens: Input should be a valid integer greater than or equal to 1")
                messages = body.get("messages")
                if not isinstance(messages, list) or not messages:
                    raise UpstreamError(400, "messages: Field required")
                for index, message in enumerate(messages):
                    role = message.get("role") if isinstance(message, dict) else None
                    if role == "system":
                        raise UpstreamError(
                            400, 'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
                            'not "system" as an input message role.')
                    if role not in ("user", "assistant"):
                        raise UpstreamError(400, f"messages.{index}.role: Input should be 'user' or 'assistant'")
                    if "content" not in message:
                        raise UpstreamError(400, f"messages.{index}.content: Field required")
                if messages[0]["role"] != "user":
                    raise UpstreamError(400, 'messages: first message must use the "user" role')
                system = body.get("system")
                if system is not None and not isinstance(system, (str, list)):
                    raise UpstreamError(400, "system: Input should be a valid string or list of text blocks")

                input_tokens, output_tokens = prompt_tokens(messages, text_of(system)), completion_tokens(reply)
                message_id = "msg_01" + secrets.token_hex(11)
                request_id = {"request-id": "req_" + secrets.token_hex(12)}
                if body.get("stream") is not True:
                    answer = {
                        "id": message_id, "type": "message", "role": "assistant", "model": model,
                        "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn", "stop_sequence": None,
                        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
                    }
                    return self.answer(200, answer, request_id)

                def event(name: str, fields: dict | None = None) -> str:
                    return f"event: {name}\ndata: " + json.dumps({"type": name, **(fields or {})}) + "\n\n"

                # As at Anthropic, message_start already counts one output token; message_delta carries the total.
                start = {
                    "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None,
                    "stop_sequence": None, "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                }
                events = [
                    event("message_start", {"message": start}),
                    event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
                    event("ping"),
                ]
                events += [
                    event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": reply[at:at + chunk_size]}})
                    for at in range(0, len(reply), chunk_size)
                ]
                events += [
                    event("content_block_stop", {"index": 0}),
                    event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": output_tokens}}),
                    event("message_stop"),
                ]
                self.stream(events, request_id)

        return Handler
