"""Health and metrics over HTTP: `/healthz` and Prometheus `/metrics` on one small server.

The port may face a network, so what a client sends costs little and learns little: each
request has one deadline (`REQUEST_SECONDS`) for its request line, headers and answer,
at most `MAX_CONNECTIONS` are served at once (more are closed unanswered), a request line
over `MAX_LINE` bytes is a 400 and headers over `MAX_HEADERS` bytes a 431, and none of it
is a traceback. The 503 body says why in our words, scrubbed as log lines are: no token,
one line each, no control characters.
"""

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
from bot.foundation.logs import redact
from bot.foundation.metrics import Metrics

log = logging.getLogger(__name__)

REQUEST_SECONDS = 5.0  # request line, headers and the answer, together
MAX_CONNECTIONS = 16  # served at once; a monitor and a scraper need two
MAX_LINE = 8 * 1024  # the request line (`GET /healthz HTTP/1.1` is 22 bytes)
MAX_HEADERS = 16 * 1024  # every header line together
MAX_PROBLEM = 300  # characters of one reason in the 503 body
LINGER_BYTES = 1024 * 1024  # what is read and dropped after a refusal, so the answer arrives


class _Refused(Exception):
    """A request refused before it was read whole: the status to answer."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class HealthServer:
    """Answers GET /healthz (200, or 503 with the reason) and GET /metrics; HEAD as GET,
    without the body. A 200's body is `ok`, then the `notes` (a past outage), a line each."""

    def __init__(
        self,
        metrics: Metrics,
        problems: Callable[[], list[str]],
        refresh: Callable[[], None],
        host: str,
        port: int,
        *,
        deadline: float = REQUEST_SECONDS,
        notes: Callable[[], list[str]] = lambda: [],
    ) -> None:
        self.metrics = metrics
        self.notes = notes
        self.problems = problems
        self.refresh = refresh
        self.host = host
        self.port = port
        self.deadline = deadline
        self._server: asyncio.Server | None = None
        self._serving = 0  # connections open now

    async def start(self) -> None:
        """Listen, or raise ConfigError naming the setting to change."""
        try:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, limit=MAX_LINE
            )
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

    def connections(self) -> int:
        """How many connections are open now (at most `MAX_CONNECTIONS`)."""
        return self._serving

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._serving >= MAX_CONNECTIONS:
            writer.close()  # unanswered: an answer would hold the slot a little longer
            return
        self._serving += 1
        try:
            async with asyncio.timeout(self.deadline):
                await self._answer_request(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # a client that went, or took too long: nothing to answer it
        finally:
            self._serving -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        method = "GET"
        try:
            request = await _read_line(reader, "400 Bad Request")
            await _skip_headers(reader)
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0]
            status, content_type, body = self._answer(method, path)
        except _Refused as refused:
            status, content_type = refused.status, "text/plain"
            body = f"{refused.status.split(' ', 1)[1].lower()}\n".encode()
        allow = "Allow: GET, HEAD\r\n" if status.startswith("405") else ""
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{allow}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            # HEAD: GET's status and headers, without the body (a monitor's probe)
            + (b"" if method == "HEAD" else body)
        )
        await writer.drain()
        if status.startswith(("400", "431")):
            # the rest of the request is unread: closing now would reset the connection
            # and lose the answer; read it away until the client closes or the deadline
            writer.write_eof()
            await _drop(reader)

    def _answer(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"GET or HEAD only\n"
        if path == "/healthz":
            problems = self.problems()
            if problems:
                reasons = "; ".join(scrub(problem) for problem in problems)
                return "503 Service Unavailable", "text/plain", (reasons + "\n").encode()
            notes = "".join(f"{scrub(line)}\n" for line in self.notes())
            return "200 OK", "text/plain", f"ok\n{notes}".encode()
        if path == "/metrics":
            self.refresh()
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self.metrics.registry)
        return "404 Not Found", "text/plain", b"/healthz or /metrics\n"


def scrub(problem: str) -> str:
    """A reason as the 503 body shows it: as a log line would (no token), on one line,
    without control characters, at most `MAX_PROBLEM` characters."""
    text = "".join(char if char.isprintable() else " " for char in redact(problem))
    text = " ".join(text.split())
    return text if len(text) <= MAX_PROBLEM else text[: MAX_PROBLEM - 1] + "…"


async def _read_line(reader: asyncio.StreamReader, too_long: str) -> bytes:
    """One line, up to the reader's limit (`MAX_LINE`); `_Refused(too_long)` past it."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _Refused(too_long) from None
    except asyncio.IncompleteReadError as partial:
        return partial.partial  # the client closed its side: what it sent is the line


async def _skip_headers(reader: asyncio.StreamReader) -> None:
    """Read the headers away (nothing in them matters here), at most `MAX_HEADERS` bytes."""
    total = 0
    while (line := await _read_line(reader, "431 Request Header Fields Too Large")) not in (
        b"\r\n",
        b"\n",
        b"",
    ):
        total += len(line)
        if total > MAX_HEADERS:
            raise _Refused("431 Request Header Fields Too Large")


async def _drop(reader: asyncio.StreamReader) -> None:
    dropped = 0
    while dropped < LINGER_BYTES and (chunk := await reader.read(64 * 1024)):
        dropped += len(chunk)
