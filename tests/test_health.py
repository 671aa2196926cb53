"""The health and metrics endpoint, on a real socket."""

from __future__ import annotations

import asyncio
import socket

import pytest

from bot.foundation.errors import ConfigError
from bot.foundation.health import HealthServer
from bot.foundation.metrics import Metrics


async def request(port: int, method: str, path: str) -> tuple[list[str], str]:
    """The answer's status line and headers, and its body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    response = (await reader.read()).decode()
    writer.close()
    head, _, body = response.partition("\r\n\r\n")
    return head.splitlines(), body


async def get(port: int, path: str) -> tuple[str, str]:
    head, body = await request(port, "GET", path)
    return head[0], body


async def test_healthz_says_503_with_the_reason_until_all_parts_run() -> None:
    problems = ["the sender is not running"]
    metrics = Metrics()
    server = HealthServer(
        metrics, lambda: problems, lambda: metrics.queue_depth.set(7), "127.0.0.1", 0
    )
    await server.start()
    port = server.port
    try:
        assert await get(port, "/healthz") == (
            "HTTP/1.1 503 Service Unavailable",
            "the sender is not running\n",
        )
        problems.clear()
        assert await get(port, "/healthz") == ("HTTP/1.1 200 OK", "ok\n")
        status, body = await get(port, "/metrics")
        assert status == "HTTP/1.1 200 OK" and "newsbot_queue_depth 7.0" in body
        assert (await get(port, "/other"))[0] == "HTTP/1.1 404 Not Found"
    finally:
        await server.stop()


async def test_head_is_answered_as_get_without_a_body() -> None:
    """A load balancer's or monitor's HEAD /healthz got 405: it gets GET's status and
    headers (Content-Length of GET's body), and no body; other methods get 405 with Allow."""
    problems: list[str] = []
    metrics = Metrics()
    server = HealthServer(metrics, lambda: problems, lambda: None, "127.0.0.1", 0)
    await server.start()
    port = server.port
    try:
        head, body = await request(port, "HEAD", "/healthz")
        assert (head[0], body) == ("HTTP/1.1 200 OK", "")
        assert "Content-Length: 3" in head
        problems.append("the sender is not running")
        head, body = await request(port, "HEAD", "/healthz")
        assert (head[0], body) == ("HTTP/1.1 503 Service Unavailable", "")
        head, body = await request(port, "HEAD", "/metrics")
        assert (head[0], body) == ("HTTP/1.1 200 OK", "")
        head, body = await request(port, "POST", "/healthz")
        assert head[0] == "HTTP/1.1 405 Method Not Allowed" and "Allow: GET, HEAD" in head
    finally:
        await server.stop()


async def test_a_port_already_taken_is_a_setting_error_naming_it() -> None:
    """Another program on NEWSBOT_METRICS_PORT: one line naming the setting, not a traceback."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    server = HealthServer(Metrics(), list, lambda: None, "127.0.0.1", port)
    try:
        with pytest.raises(ConfigError) as refused:
            await server.start()
    finally:
        taken.close()
    assert str(refused.value) == (
        f"NEWSBOT_METRICS_PORT: cannot listen on 127.0.0.1:{port}: address already in use"
    )


async def test_an_address_that_is_not_this_machines_is_a_setting_error_naming_the_host() -> None:
    server = HealthServer(Metrics(), list, lambda: None, "no-such-host.invalid", 9090)
    with pytest.raises(ConfigError, match=r"^NEWSBOT_METRICS_HOST: cannot listen on no-such-host"):
        await server.start()
