"""Slow clients against the real server: a connection that trickles its request (slowloris) is cut off.

Each open connection holds a socket and a task; without a deadline a few thousand clients sending a
byte now and then would hold the server's connections forever.
"""

import http.client
import socket
import time

import pytest
from conftest import http_status, serve

READ_TIMEOUT_SECONDS = 2
# Far longer than the server's deadline: a trickle that lasts this long was never cut off.
PATIENCE_SECONDS = 30


@pytest.fixture
def strict_server(workdir):
    """`oag serve` with a short read deadline, so the test does not wait for the default."""
    yield from serve(workdir, OAG_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_SECONDS))


def connection_ends_while_trickling(server, head: bytes, trickle: bytes) -> bool:
    """Sends `head`, then `trickle` one byte every 0.2 s; True when the server closes or answers first."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head)
        sock.settimeout(0.2)
        deadline = time.monotonic() + PATIENCE_SECONDS
        for byte in trickle:
            if time.monotonic() > deadline:
                return False
            try:
                sock.sendall(bytes([byte]))
                sock.recv(4096)  # an answer (408) or the end of the stream: either way the server gave up
                return True
            except socket.timeout:
                continue
            except OSError:
                return True
        return False


def test_a_body_sent_a_byte_at_a_time_is_cut_off(strict_server):
    head = (
        b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    )
    assert connection_ends_while_trickling(strict_server, head, b"email=" + b"a" * 99994)
    assert http_status(strict_server.base_url + "/healthz") == 200, "the server still answers others"


def test_an_api_body_sent_a_byte_at_a_time_is_cut_off(strict_server):
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert connection_ends_while_trickling(strict_server, head, b"1\r\n{\r\n" * 10000)


def test_headers_sent_a_byte_at_a_time_are_cut_off(strict_server):
    assert connection_ends_while_trickling(strict_server, b"GET /privacy HTTP/1.1\r\n", b"X-Slow: " + b"a" * 10000)


def test_a_connection_that_sends_nothing_is_closed(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port), timeout=PATIENCE_SECONDS) as sock:
        assert sock.recv(4096) == b"", "the server closes an idle connection"


def test_a_prompt_client_is_unaffected(strict_server):
    """A request that arrives whole, on a kept-alive connection, answers normally, twice."""
    connection = http.client.HTTPConnection("127.0.0.1", strict_server.port, timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"ok\n")
    finally:
        connection.close()
