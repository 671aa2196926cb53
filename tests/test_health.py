"""The health and metrics endpoint, on a real socket."""

from __future__ import annotations

import asyncio

from bot.health import HealthServer
from bot.metrics import Metrics


async def get(port: int, path: str) -> tuple[str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    response = (await reader.read()).decode()
    writer.close()
    head, _, body = response.partition("\r\n\r\n")
    return head.splitlines()[0], body


async def test_healthz_says_503_with_the_reason_until_all_parts_run() -> None:
    problems = ["the sender is not running"]
    metrics = Metrics()
    server = HealthServer(
        metrics, lambda: problems, lambda: metrics.queue_depth.set(7), "127.0.0.1", 0
    )
    await server.start()
    assert server._server is not None
    port = server._server.sockets[0].getsockname()[1]
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
