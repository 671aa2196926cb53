"""The health and metrics endpoint, on a real socket."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from bot.foundation.errors import ConfigError
from bot.foundation.health import MAX_CONNECTIONS, MAX_PROBLEM, HealthServer
from bot.foundation.metrics import Metrics
from tests.conftest import eventually


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


async def started(problems: list[str], *, deadline: float = 5.0) -> tuple[HealthServer, int]:
    metrics = Metrics()
    server = HealthServer(
        metrics, lambda: problems, lambda: None, "127.0.0.1", 0, deadline=deadline
    )
    await server.start()
    return server, server.port


async def raw(port: int, data: bytes) -> bytes:
    """Send `data` as it is, then read the answer until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_an_oversized_request_is_a_400_or_431_and_never_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A request line over 64 KiB logged asyncio's "chunk is longer than limit" traceback
    per connection: it is a 400, headers too large are a 431, and nothing is logged."""
    server, port = await started([])
    try:
        line = await raw(port, b"GET /" + b"a" * 70 * 1024 + b" HTTP/1.1\r\n\r\n")
        assert line.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        one_header = b"GET /healthz HTTP/1.1\r\nX: " + b"b" * 70 * 1024 + b"\r\n\r\n"
        assert (await raw(port, one_header)).startswith(b"HTTP/1.1 431 ")
        many = b"GET /healthz HTTP/1.1\r\n" + b"X-Many: 12345678\r\n" * 2000 + b"\r\n"
        assert (await raw(port, many)).startswith(b"HTTP/1.1 431 ")
        assert await get(port, "/healthz") == ("HTTP/1.1 200 OK", "ok\n")
    finally:
        await server.stop()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []


async def cut_off(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed: a close while the client is still writing
    reaches it as a reset (CI saw one), not an end of file; either way it is cut off."""
    try:
        return await reader.read()
    except ConnectionResetError:
        return b""


async def test_a_slow_client_gets_one_deadline_for_its_whole_request() -> None:
    """Headers came one line at a time with 5 s for each and no end: a client that sends a
    header line now and then is cut off at the request's one deadline."""
    server, port = await started([], deadline=0.5)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\n")
        closed = asyncio.create_task(cut_off(reader))
        loop = asyncio.get_running_loop()
        began = loop.time()
        for _ in range(40):  # a header every 0.1 s: within 5 s of the last, for 4 s
            if closed.done():
                break
            writer.write(b"X-Slow: 1\r\n")
            await asyncio.sleep(0.1)  # the client's pace, not a wait for the server
        assert await asyncio.wait_for(closed, 5) == b""
        assert loop.time() - began < 2
        writer.close()
    finally:
        await server.stop()


async def test_connections_beyond_the_cap_are_closed_and_the_others_still_served() -> None:
    """Idle connections held open by one client cannot take every slot for long: past
    the cap a new one is closed at once, and once they go a monitor is served again."""
    server, port = await started([])
    idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(MAX_CONNECTIONS)]
    try:
        await eventually(lambda: server.connections() == MAX_CONNECTIONS)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, before a word
        writer.close()
        for _, idler in idle:
            idler.close()
        await eventually(lambda: server.connections() == 0)
        assert await get(port, "/healthz") == ("HTTP/1.1 200 OK", "ok\n")
    finally:
        for _, idler in idle:
            idler.close()
        await server.stop()


async def test_the_503_body_is_scrubbed_as_log_lines_are() -> None:
    """A reason that carried a token, a forged line or a remote page: the body has no
    token, one line, and a capped length."""
    token = "123456789:" + "S" * 35
    server, port = await started(
        [f"cannot reach Telegram ({token})\r\nX-Forged: 1", "<html>" + "p" * 5000]
    )
    try:
        status, body = await get(port, "/healthz")
    finally:
        await server.stop()
    assert status == "HTTP/1.1 503 Service Unavailable"
    assert token not in body and "<token>" in body
    assert body.count("\n") == 1 and "\r" not in body
    assert len(body) < 2 * MAX_PROBLEM
