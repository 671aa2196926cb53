"""Health and metrics over HTTP: `/healthz` and Prometheus `/metrics` on one small server."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.foundation.errors import ConfigError
from bot.foundation.metrics import Metrics

log = logging.getLogger(__name__)


class HealthServer:
    """Answers GET /healthz (200, or 503 with the reason) and GET /metrics; HEAD as GET,
    without the body."""

    def __init__(
        self,
        metrics: Metrics,
        problems: Callable[[], list[str]],
        refresh: Callable[[], None],
        host: str,
        port: int,
    ) -> None:
        self.metrics = metrics
        self.problems = problems
        self.refresh = refresh
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen, or raise ConfigError naming the setting to change."""
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as error:
            # a name that does not resolve, or an address not of this machine: the host;
            # anything else (in use, a privileged port): the port
            setting = (
                "NEWSBOT_METRICS_HOST"
                if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL
                else "NEWSBOT_METRICS_PORT"
            )
            # asyncio says "error while attempting to bind on address (...): <reason>"
            reason = (error.strerror or str(error)).rsplit(": ", 1)[-1]
            raise ConfigError(
                f"{setting}: cannot listen on {self.host}:{self.port}: {reason}"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]  # the one chosen, for port 0
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing in them matters here
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0]
            status, content_type, body = self._answer(method, path)
            allow = "Allow: GET, HEAD\r\n" if status.startswith("405") else ""
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{allow}"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                # HEAD: GET's status and headers, without the body (a monitor's probe)
                + (b"" if method == "HEAD" else body)
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"GET or HEAD only\n"
        if path == "/healthz":
            problems = self.problems()
            if problems:
                return (
                    "503 Service Unavailable",
                    "text/plain",
                    ("; ".join(problems) + "\n").encode(),
                )
            return "200 OK", "text/plain", b"ok\n"
        if path == "/metrics":
            self.refresh()
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self.metrics.registry)
        return "404 Not Found", "text/plain", b"/healthz or /metrics\n"
