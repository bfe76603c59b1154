"""Starting and stopping the server; the keyless-only-on-loopback rule."""

from __future__ import annotations

import socket

import httpx
import pytest

from course_helpers.local.server import KeylessPublicServerError, serve, serving, start_in_thread
from course_helpers.local.server.serving import is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_no_keyless_server_beyond_loopback(host):
    with pytest.raises(KeylessPublicServerError, match="--api-key"):
        serve(host=host, port=8000)
    with pytest.raises(ValueError):  # the CLI catches ValueError
        start_in_thread(host=host, warm=False)


def test_start_in_thread_free_port_and_stop():
    handle = start_in_thread(warm=False)
    assert handle.base_url == f"http://127.0.0.1:{handle.port}/v1" and handle.port > 0
    response = httpx.get(handle.base_url + "/models", headers={"Authorization": f"Bearer {handle.api_key}"})
    assert response.status_code == 200
    handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(handle.base_url + "/models")


def test_handle_is_a_context_manager():
    with start_in_thread(api_key="sk-ctx", warm=False) as handle:
        assert httpx.get(handle.base_url + "/models", headers={"Authorization": "Bearer sk-ctx"}).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(handle.base_url + "/models")


def test_two_servers_side_by_side():
    first, second = start_in_thread(api_key="sk-a", warm=False), start_in_thread(api_key="sk-b", warm=False)
    try:
        assert first.port != second.port
        assert httpx.get(first.base_url + "/models", headers={"Authorization": "Bearer sk-b"}).status_code == 401
        assert httpx.get(second.base_url + "/models", headers={"Authorization": "Bearer sk-b"}).status_code == 200
    finally:
        first.stop()
        second.stop()


def test_connections_send_small_answers_at_once():
    # without TCP_NODELAY each keep-alive answer waited 40 ms for the client's delayed ACK
    sock = serving._bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
