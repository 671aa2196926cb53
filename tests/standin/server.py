"""The stand-in server: its thread and event loop, the tests' handles on it, and the
request handler that hands each Bot API method to the part that answers it."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from tests.standin.chats import Chats
from tests.standin.inline import InlineQueries
from tests.standin.messages import EDIT_METHODS, SEND_METHODS, Messages
from tests.standin.state import Sent
from tests.standin.wire import BOT_USER, decode, error, not_utf8, ok

# a method's answer from its name and parameters
Route = Callable[[str, dict[str, Any]], web.Response]
# methods answered `true` with nothing else to do
ACKNOWLEDGED = ("deleteWebhook", "answerCallbackQuery", "deleteMyCommands", "close", "logOut")


class StandIn(InlineQueries, Chats, Messages):
    """The stand-in server. `start()` it, point PTB at `base_url`, `stop()` it."""

    # --- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> StandIn:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Bot API stand-in did not start")
        return self

    def stop(self) -> None:
        if self._stopped.is_set():
            return  # a test stopped it already (an outage); the fixture stops it again
        self._stopped.set()
        self._wake_pollers()
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        runner = web.AppRunner(app, access_log=None)

        async def main() -> None:
            self._new_update = asyncio.Event()
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", self.port)
            await site.start()
            self.port = runner.addresses[0][1]
            ready.set()
            while not self._stopped.is_set():
                await asyncio.sleep(0.05)
            await runner.cleanup()

        loop.run_until_complete(main())
        loop.close()

    # --- what tests arrange -----------------------------------------------------------

    def slow_next(self, predicate: Callable[[str, dict[str, Any]], bool], seconds: float) -> None:
        """The next matching request is handled (and recorded) but answered `seconds` late."""
        self.delays.append((predicate, seconds))

    def fail_next(
        self, predicate: Callable[[str, dict[str, Any]], bool], status: int, description: str
    ) -> None:
        """The next request matching `predicate` gets this error reply."""
        self.failures.append((predicate, status, description))

    # --- what tests read --------------------------------------------------------------

    def age(self, chat_id: int, message_id: int, seconds: float) -> None:
        """Make a message of the bot's look `seconds` older (the 48-hour rule of deletes)."""
        with self._cond:
            sent = self.bot_messages[(chat_id, message_id)]
            self.bot_messages[(chat_id, message_id)] = replace(sent, at=sent.at - seconds)

    def edits_to(self, chat_id: int) -> list[Sent]:
        with self._cond:
            return [edit for edit in self.edits if edit.chat_id == chat_id]

    def messages_to(self, chat_id: int) -> list[Sent]:
        with self._cond:
            return [sent for sent in self.sent if sent.chat_id == chat_id]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `predicate()` holds (re-checked on every request), or fail."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for the bot")
                self._cond.wait(left)

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """`wait_for` for async tests: waits in a thread so the bot's loop keeps running."""
        await asyncio.to_thread(self.wait_for, predicate, timeout)

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # --- the API ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.time()  # before parsing and checks: their time is ours, not the bot's
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.match_info["method"]
        params = decode(dict(await request.post()))
        if request.content_type == "application/json":
            params = await request.json()
            if not_utf8(params):
                return error(400, "Bad Request: strings must be encoded in UTF-8")
        if method == "getUpdates":
            return await self._get_updates(params)
        with self._cond:
            self.calls.append((method, params))
            self.arrived = arrived
            response = self._answer(method, params)
            self._cond.notify_all()
            delay = next((d for d in self.delays if d[0](method, params)), None)
            if delay is not None:
                self.delays.remove(delay)
        if delay is not None:
            await asyncio.sleep(delay[1])
        return response

    def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if self.outage is not None and method.startswith("send"):
            self.stats.errors["outage"] += 1
            return error(self.outage, "Bad Gateway")
        for index, (predicate, status, description) in enumerate(self.failures):
            if predicate(method, params):
                del self.failures[index]
                self.stats.errors[description] += 1
                if status == 429:
                    return self._too_many(int(description.rpartition(" ")[2]))
                return error(status, description)
        answer = self.routes.get(method)
        if answer is None:
            return error(404, "Not Found: method not found")
        return answer(method, params)

    @functools.cached_property
    def routes(self) -> dict[str, Route]:
        """Which part answers each Bot API method the stand-in knows (a test may add one)."""
        routes: dict[str, Route] = {
            "getMe": lambda _method, _params: ok(BOT_USER),
            "setMyCommands": self._set_commands,
            "getChatMember": self._members,
            "getChatAdministrators": self._members,
            "getChat": lambda _method, params: self._get_chat(str(params["chat_id"])),
            "editMessageReplyMarkup": lambda _method, params: self._edit_markup(params),
            "getFile": lambda _method, params: self._get_file(str(params["file_id"])),
            "answerInlineQuery": self._answer_inline,
        }
        for method in ACKNOWLEDGED:
            routes[method] = lambda _method, _params: ok(True)
        for method in EDIT_METHODS:
            routes[method] = self._edit
        for method in SEND_METHODS:
            routes[method] = self._send
        return routes

    def _set_commands(self, _method: str, params: dict[str, Any]) -> web.Response:
        self.commands.append(params)
        return ok(True)

    # --- files ------------------------------------------------------------------------

    def _get_file(self, file_id: str) -> web.Response:
        if file_id not in self.files:
            return error(400, "Bad Request: invalid file_id")
        return ok(
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        """`/file/bot<token>/<file_path>`: the bytes of a file getFile described."""
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        content = self.files.get(request.match_info["path"].rpartition("/")[2])
        if content is None:
            return error(404, "Not Found")
        return web.Response(body=content)
