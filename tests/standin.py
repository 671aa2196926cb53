"""A local Bot API stand-in on 127.0.0.1: answers `/bot<token>/<method>` like Telegram.

python-telegram-bot reaches it through `base_url`, so its real requests, parsing and
error mapping run. It records what it received, serves updates by long polling with
offsets, validates HTML and lengths, enforces Telegram's flood limits with real 429
replies (unless a test turns them off), refuses chats (403, chat not found, migration)
and image URLs, and knows each group's creator and admins.
Benchmarks use it too. It runs in a thread of its own, so that a bot in the test's
event loop or in a subprocess can talk to it; `python -m tests.standin` runs it as a
process of its own (for benchmarks that must not count its CPU as the bot's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from tests.telegram_html import EntityError, utf16_len, visible_text

TOKEN = "4242424:test-token-not-real-xxxxxxxxxxxxxxxxxx"
BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "NewsBot",
    "username": "news_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
SEND_METHODS = {
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage",
}  # fmt: skip
CAPTIONED = {"sendPhoto", "sendDocument"}
EDIT_METHODS = {"editMessageText", "editMessageCaption", "editMessageMedia", "deleteMessage"}
DELETE_WINDOW = 48 * 3600  # Telegram deletes a bot's message up to 48 hours after sending it
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "of the specified message are exactly the same as a current content and reply markup "
    "of the message"
)
BAD_IMAGE_MARK = "bad-image"
JSON_FIELDS = {
    "reply_markup", "link_preview_options", "entities", "caption_entities", "commands",
    "scope", "reply_parameters", "media", "allowed_updates",
}  # fmt: skip


@dataclass
class FloodRules:
    """Limits enforced like Telegram's: sliding windows, 429 with retry_after."""

    per_second: int = 30
    private_per_second: int = 1
    group_per_minute: int = 20
    retry_after: int = 1


@dataclass
class Sent:
    """A message Telegram accepted: `text` as the user sees it, `html` as it was sent."""

    chat_id: int
    method: str
    text: str | None
    html: str | None
    photo: str | None
    params: dict[str, Any]
    at: float
    message_id: int


@dataclass
class Stats:
    accepted: int = 0
    flood_replies: int = 0
    sends_in_ban: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    floods: list[tuple[float, int, str]] = field(default_factory=list)  # (when, chat, scope)


class StandIn:
    """The stand-in server. `start()` it, point PTB at `base_url`, `stop()` it."""

    def __init__(
        self,
        token: str = TOKEN,
        flood: FloodRules | None = None,
        *,
        unlimited: bool = False,
        port: int = 0,
    ) -> None:
        """Flood limits are Telegram's (`FloodRules()`) unless `flood` says otherwise;
        `unlimited` turns them off, for a test that says why."""
        self.token = token
        self.flood = None if unlimited else flood or FloodRules()
        self.sent: list[Sent] = []
        self.edits: list[Sent] = []  # accepted edits and deletions, `method` says which
        self.bot_messages: dict[tuple[int, int], Sent] = {}  # what each message shows now
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.stats = Stats()
        self.blocked: dict[int, str] = {}
        self.missing: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.chats: dict[int, dict[str, Any]] = {}  # what getChat knows, by id
        self.creators: dict[int, int] = {}  # chat -> its creator's user id
        self.bot_members: dict[int, dict[str, Any]] = {}  # chat -> the bot's own member
        self.gone_threads: set[tuple[int, int]] = set()  # (chat, thread) deleted topics
        self.failures: deque[tuple[Callable[[str, dict[str, Any]], bool], int, str]] = deque()
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}  # file_id -> content, sent or uploaded
        self.polls = 0
        self.delays: deque[tuple[Callable[[str, dict[str, Any]], bool], float]] = deque()
        self.conflict = False  # answer getUpdates with 409, as when another process polls
        # answer getUpdates with this (status, description) until cleared: 409, 502, 401...
        self.poll_error: tuple[int, str] | None = None
        self.outage: int | None = None  # answer every send with this status (502: an outage)
        self._updates: list[dict[str, Any]] = []
        self._delivered: list[dict[str, Any]] = []
        self._again: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._cond = threading.Condition()
        self._recent: deque[float] = deque()
        self._recent_chat: dict[int, deque[float]] = defaultdict(deque)
        self._ban_global = 0.0
        self._ban_chat: dict[int, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.port = port

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
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
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

    # --- what tests do as users -------------------------------------------------------

    def push_update(self, payload: dict[str, Any]) -> int:
        """Queue an update (without update_id); returns the id it got."""
        update_id = next(self._update_ids)
        with self._cond:
            self._updates.append({"update_id": update_id, **payload})
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Serve an already-confirmed update once more, as Telegram does after a crash."""
        with self._cond:
            self._again.extend(u for u in self._delivered if u["update_id"] == update_id)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)

    def say(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        title: str | None = None,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        language_code: str | None = None,
        edited: bool = False,
    ) -> int:
        """A user writes `text` in a chat (a command when it starts with '/'); with
        `thread_id`, inside that topic of a forum supergroup; perhaps in reply to an
        earlier message; from an app speaking `language_code`, when given; `edited`: the
        user edited an earlier message into `text`, which arrives as a new update."""
        message = self._user_message(chat_id, user_id, chat_type, title, language_code)
        message["text"] = text
        if thread_id is not None:
            message["chat"]["is_forum"] = True
            message.update(message_thread_id=thread_id, is_topic_message=True)
        _mark_command(message)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = message["date"]
            return self.push_update({"edited_message": message})
        return self.push_update({"message": message})

    def send_document(
        self, chat_id: int, content: bytes, *, caption: str | None = None, name: str = "f.yaml"
    ) -> dict[str, Any]:
        """A user sends a file (with a caption); returns the message, for replies to it."""
        file_id = f"doc{next(self._message_ids)}"
        self.files[file_id] = content
        message = self._user_message(chat_id, None, "private", None)
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split()[0])
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": length}
                ]
        self.push_update({"message": message})
        return message

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        chat_type: str,
        title: str | None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        user_id = chat_id if user_id is None else user_id
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"user{user_id}"
        else:
            chat["title"] = title or f"group{chat_id}"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": _user(user_id, language_code),
        }

    def post(self, chat_id: int, text: str) -> int:
        """Someone posts `text` in a channel: a `channel_post`, from the channel itself."""
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "channel", "title": "channel"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "sender_chat": chat,
            "text": text,
        }
        _mark_command(message)
        return self.push_update({"channel_post": message})

    def add_chat(
        self,
        chat_id: int,
        chat_type: str,
        *,
        username: str | None = None,
        creator: int | None = None,
        bot_status: str = "administrator",
        bot_may_post: bool = True,
        is_forum: bool = False,
    ) -> dict[str, Any]:
        """A group or channel getChat knows (by id, or by `@username`), its creator, and
        the bot's own membership there (an administrator that may post, by default)."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": f"{chat_type}{chat_id}"}
        if username is not None:
            chat["username"] = username
        if is_forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        if creator is not None:
            self.creators[chat_id] = creator
        self.bot_members[chat_id] = _bot_member(chat_type, bot_status, bot_may_post)
        return chat

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        message_id: int = 1,
        language_code: str | None = None,
    ) -> int:
        """A user presses an inline button carrying `data` (in an app speaking
        `language_code`, when given)."""
        user_id = chat_id if user_id is None else user_id
        with self._cond:  # the buttons are on a message of the bot's
            self.bot_messages.setdefault(
                (chat_id, message_id),
                Sent(
                    chat_id, "sendMessage", "buttons", "buttons", None, {}, time.time(), message_id
                ),
            )
        return self.push_update(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": _user(user_id, language_code),
                    "chat_instance": "ci",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": chat_type, "title": "t"},
                        "text": "buttons",
                    },
                }
            }
        )

    def membership(
        self, chat_id: int, status: str, *, chat_type: str = "group", may_post: bool = True
    ) -> int:
        """The bot's own membership in a chat changed (added, promoted, demoted, kicked,
        blocked); `may_post` is an administrator's `can_post_messages` in a channel."""
        member = _bot_member(chat_type, status, may_post)
        self.bot_members[chat_id] = member
        was = "left" if status in ("member", "administrator") else "member"
        old = {"user": BOT_USER, "status": was}
        chat = self.chats.get(chat_id) or {
            "id": chat_id,
            "type": chat_type,
            "title": f"group{chat_id}",
        }
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": {"id": 1, "is_bot": False, "first_name": "admin"},
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": member,
                }
            }
        )

    def member_changed(self, chat_id: int, user_id: int, status: str) -> int:
        """A user's membership in a chat changed (a `chat_member` update, sent to admin bots)."""
        if status == "administrator":
            self.admins[chat_id].add(user_id)
        else:
            self.admins[chat_id].discard(user_id)
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "supergroup", "title": "g"}
        return self.push_update(
            {
                "chat_member": {
                    "chat": chat,
                    "from": {"id": 1, "is_bot": False, "first_name": "admin"},
                    "date": int(time.time()),
                    "old_chat_member": _member(user_id, "member"),
                    "new_chat_member": _member(user_id, status),
                }
            }
        )

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
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = _decode(dict(await request.post()))
        if request.content_type == "application/json":
            params = await request.json()
        if method == "getUpdates":
            return await self._get_updates(params)
        with self._cond:
            self.calls.append((method, params))
            response = self._answer(method, params)
            self._cond.notify_all()
            delay = next((d for d in self.delays if d[0](method, params)), None)
            if delay is not None:
                self.delays.remove(delay)
        if delay is not None:
            await asyncio.sleep(delay[1])
        return response

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        with self._cond:
            self.polls += 1
            self._cond.notify_all()
        if self.poll_error is not None:
            return _error(*self.poll_error)
        if self.conflict:
            return _error(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while True:
            with self._cond:
                if offset:
                    # an offset confirms every update before it: Telegram forgets them
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = [u for u in self._updates if u["update_id"] >= offset]
                if self._again:
                    ready, self._again = self._again + ready, []
                self._delivered.extend(ready)
            if ready or time.monotonic() >= deadline or self._stopped.is_set():
                return _ok(ready[: int(params.get("limit") or 100)])
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if self.outage is not None and method.startswith("send"):
            self.stats.errors["outage"] += 1
            return _error(self.outage, "Bad Gateway")
        for index, (predicate, status, description) in enumerate(self.failures):
            if predicate(method, params):
                del self.failures[index]
                self.stats.errors[description] += 1
                if status == 429:
                    return self._too_many(int(description.rpartition(" ")[2]))
                return _error(status, description)
        if method == "getMe":
            return _ok(BOT_USER)
        if method in {
            "deleteWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "deleteMyCommands",
            "close",
            "logOut",
        }:
            if method == "setMyCommands":
                self.commands.append(params)
            return _ok(True)
        if method in {"getChatMember", "getChatAdministrators"}:
            return self._members(method, params)
        if method == "getChat":
            return self._get_chat(str(params["chat_id"]))
        if method == "editMessageReplyMarkup":
            return _ok(
                self._message(
                    int(params["chat_id"]), None, None, int(params.get("message_id") or 1)
                )
            )
        if method in EDIT_METHODS:
            return self._edit(method, params)
        if method in SEND_METHODS:
            return self._send(method, params)
        if method == "getFile":
            file_id = str(params["file_id"])
            if file_id not in self.files:
                return _error(400, "Bad Request: invalid file_id")
            return _ok(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                }
            )
        return _error(404, "Not Found: method not found")

    async def _download(self, request: web.Request) -> web.Response:
        """`/file/bot<token>/<file_path>`: the bytes of a file getFile described."""
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        content = self.files.get(request.match_info["path"].rpartition("/")[2])
        if content is None:
            return _error(404, "Not Found")
        return web.Response(body=content)

    def _find_chat(self, chat_id: str) -> dict[str, Any] | None:
        """A known chat by id or by `@username`, as Telegram resolves either."""
        if chat_id.startswith("@"):
            name = chat_id[1:].casefold()
            return next(
                (c for c in self.chats.values() if c.get("username", "").casefold() == name),
                None,
            )
        return self.chats.get(int(chat_id))

    def _get_chat(self, chat_id: str) -> web.Response:
        chat = self._find_chat(chat_id)
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        return _ok({**chat, "accent_color_id": 0, "max_reaction_count": 11})

    def _members(self, method: str, params: dict[str, Any]) -> web.Response:
        raw = str(params["chat_id"])
        known = self._find_chat(raw)
        if raw.startswith("@") and known is None:
            return _error(400, "Bad Request: chat not found")
        chat_id = int(known["id"]) if known is not None else int(raw)
        admins = self.admins.get(chat_id, set())
        creator = self.creators.get(chat_id)
        if method == "getChatAdministrators":
            listed = [_member(user, "administrator") for user in sorted(admins - {creator})]
            return _ok(([_member(creator, "creator")] if creator is not None else []) + listed)
        user_id = int(params["user_id"])
        if user_id == BOT_USER["id"] and chat_id in self.bot_members:
            return _ok(self.bot_members[chat_id])
        if user_id == BOT_USER["id"] and chat_id in self.chats:
            return _ok({"user": BOT_USER, "status": "left"})
        if user_id == creator:
            return _ok(_member(user_id, "creator"))
        return _ok(_member(user_id, "administrator" if user_id in admins else "member"))

    def _refusal(self, chat_id: int) -> web.Response | None:
        """Why a message to this chat (a send, an edit, a deletion) is refused, if it is."""
        if chat_id in self.blocked:
            return _error(403, self.blocked[chat_id])
        if chat_id in self.missing:
            return _error(400, "Bad Request: chat not found")
        if chat_id in self.migrated:
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        return self._flood_check(chat_id, 1)

    def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        thread = params.get("message_thread_id")
        if thread is not None and (chat_id, int(thread)) in self.gone_threads:
            return _error(400, "Bad Request: message thread not found")
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        photo = params.get("photo")
        if photo is not None and BAD_IMAGE_MARK in str(photo):
            return _error(400, "Bad Request: failed to get HTTP URL content")
        body = params.get("caption") if method in CAPTIONED else params.get("text")
        limit = 1024 if method in CAPTIONED else 4096
        if body is not None or method == "sendMessage":
            problem = _check_body(body or "", params.get("parse_mode"), limit, method)
            if problem is not None:
                return problem
        self._note_sent(chat_id)
        message_id = next(self._message_ids)
        document = params.get("document")
        if isinstance(document, bytes):
            self.files[f"sent{message_id}"] = document
        shown = visible_text(body) if body and params.get("parse_mode") == "HTML" else body
        sent = Sent(chat_id, method, shown, body, photo, params, time.time(), message_id)
        self.sent.append(sent)
        self.bot_messages[(chat_id, message_id)] = sent
        self.stats.accepted += 1
        return _ok(self._message(chat_id, body, photo, message_id))

    def _edit(self, method: str, params: dict[str, Any]) -> web.Response:
        """editMessageText/Caption/Media and deleteMessage, on the bot's own messages only."""
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        key = (chat_id, int(params["message_id"]))
        current = self.bot_messages.get(key)
        if method == "deleteMessage":
            if current is None:
                return _error(400, "Bad Request: message to delete not found")
            if time.time() - current.at >= DELETE_WINDOW:
                return _error(400, "Bad Request: message can't be deleted for everyone")
            del self.bot_messages[key]
            return self._accept_edit(method, current, None, None, current.photo, params, True)
        if current is None:
            return _error(400, "Bad Request: message to edit not found")
        if method == "editMessageText" and current.photo is not None:
            return _error(400, "Bad Request: there is no text in the message to edit")
        if method != "editMessageText" and current.photo is None:
            return _error(400, "Bad Request: there is no caption in the message to edit")
        fields = params.get("media") if method == "editMessageMedia" else params
        assert isinstance(fields, dict)
        body = fields.get("text" if method == "editMessageText" else "caption")
        photo = fields.get("media") if method == "editMessageMedia" else current.photo
        if photo is not None and BAD_IMAGE_MARK in str(photo):
            return _error(400, "Bad Request: failed to get HTTP URL content")
        limit = 4096 if method == "editMessageText" else 1024
        kind = "sendMessage" if method == "editMessageText" else "sendPhoto"
        problem = _check_body(body or "", fields.get("parse_mode"), limit, kind)
        if problem is not None:
            return problem
        if body == current.html and photo == current.photo:
            return _error(400, NOT_MODIFIED)
        shown = visible_text(body) if body and fields.get("parse_mode") == "HTML" else body
        message = self._message(chat_id, body, photo, key[1])
        return self._accept_edit(method, current, shown, body, photo, params, message)

    def _accept_edit(
        self,
        method: str,
        current: Sent,
        shown: str | None,
        body: str | None,
        photo: str | None,
        params: dict[str, Any],
        result: Any,
    ) -> web.Response:
        self._note_sent(current.chat_id)
        edit = Sent(
            current.chat_id, method, shown, body, photo, params, time.time(), current.message_id
        )
        self.edits.append(edit)
        if method != "deleteMessage":
            self.bot_messages[(current.chat_id, current.message_id)] = replace(
                current, text=shown, html=body, photo=photo
            )
        self.stats.accepted += 1
        return _ok(result)

    def _flood_check(self, chat_id: int, weight: int) -> web.Response | None:
        rules = self.flood
        if rules is None:
            return None
        now = time.monotonic()
        banned_until = max(self._ban_global, self._ban_chat.get(chat_id, 0.0))
        if now < banned_until:
            self.stats.sends_in_ban += 1
            return self._too_many(max(1, round(banned_until - now)))
        recent = self._recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        per_chat = self._recent_chat[chat_id]
        window, allowed = (
            (60.0, rules.group_per_minute) if chat_id < 0 else (1.0, rules.private_per_second)
        )
        while per_chat and per_chat[0] <= now - window:
            per_chat.popleft()
        if len(recent) + weight > rules.per_second:
            self._ban_global = now + rules.retry_after
            self.stats.floods.append((time.time(), chat_id, "global"))
            return self._too_many(rules.retry_after)
        if len(per_chat) + weight > allowed:
            self._ban_chat[chat_id] = now + rules.retry_after
            self.stats.floods.append((time.time(), chat_id, "chat"))
            return self._too_many(rules.retry_after)
        return None

    def _note_sent(self, chat_id: int) -> None:
        if self.flood is not None:
            now = time.monotonic()
            self._recent.append(now)
            self._recent_chat[chat_id].append(now)

    def _too_many(self, seconds: int) -> web.Response:
        self.stats.flood_replies += 1
        return _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    def _message(
        self, chat_id: int, text: str | None, photo: str | None, message_id: int
    ) -> dict[str, Any]:
        chat_type = "private" if chat_id > 0 else "supergroup"
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type, "title": "chat"},
        }
        if photo is not None:
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            message["caption"] = text
        else:
            message["text"] = text or ""
        return message


def _check_body(body: str, parse_mode: str | None, limit: int, method: str) -> web.Response | None:
    if parse_mode == "HTML":
        try:
            text = visible_text(body)
        except EntityError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
    else:
        text = body
    if method == "sendMessage" and not text.strip():
        return _error(400, "Bad Request: message text is empty")
    if utf16_len(text) > limit:
        what = "message caption is too long" if limit == 1024 else "message is too long"
        return _error(400, f"Bad Request: {what}")
    return None


def _user(user_id: int, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _mark_command(message: dict[str, Any]) -> None:
    """Give a text that starts with '/' its bot_command entity, as Telegram does."""
    text = message["text"]
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]


def _bot_member(chat_type: str, status: str, may_post: bool) -> dict[str, Any]:
    """The bot as a member of a chat with `status`; an administrator with full rights
    except, in a channel, `can_post_messages` = `may_post`."""
    member: dict[str, Any] = {"user": BOT_USER, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    if status == "restricted":
        member.update(_RESTRICTED, can_send_messages=may_post, is_member=True, until_date=0)
    if status == "administrator":
        member.update(_ADMIN_RIGHTS)
        if chat_type == "channel":
            member.update(
                can_post_messages=may_post, can_edit_messages=may_post, can_delete_messages=True
            )
    return member


_ADMIN_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}
_RESTRICTED: dict[str, Any] = {
    name: False
    for name in (
        "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
        "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
        "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
        "can_invite_users", "can_pin_messages", "can_manage_topics",
    )
}  # fmt: skip


def _member(user_id: int, status: str) -> dict[str, Any]:
    member: dict[str, Any] = {
        "user": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
        "status": status,
    }
    if status == "administrator":
        member.update(_ADMIN_RIGHTS)
    if status == "creator":
        member["is_anonymous"] = False
    return member


def _decode(form: dict[str, Any]) -> dict[str, Any]:
    """PTB sends nested objects as JSON strings inside the form."""
    decoded: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # an uploaded file (multipart)
            decoded[key] = value.file.read()
            continue
        if key in JSON_FIELDS and isinstance(value, str):
            try:
                decoded[key] = json.loads(value)
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def main() -> None:
    """`python -m tests.standin --port P [--per-second N ...]`: serve until SIGTERM/SIGINT.

    Prints `port P` once it listens (P is the one it got when asked for 0) and, when
    stopped, one JSON line of what it saw. It does not keep what it received (only
    counts it), so its memory stays flat however long it runs.
    """
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-flood", action="store_true", help="enforce no flood limits")
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--private-per-second", type=int, default=1)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--retry-after", type=int, default=1)
    args = parser.parse_args()
    rules = None
    if not args.no_flood:
        rules = FloodRules(
            args.per_second, args.private_per_second, args.group_per_minute, args.retry_after
        )
    standin = StandIn(flood=rules, unlimited=args.no_flood, port=args.port).start()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    print(f"port {standin.port}", flush=True)
    chats: set[int] = set()
    duplicates = 0
    while not done.wait(0.5):
        with standin._cond:
            sent, standin.sent = standin.sent, []
            standin.calls.clear()
        for message in sent:
            if message.chat_id in chats:
                duplicates += 1
            chats.add(message.chat_id)
    standin.stop()
    stats = standin.stats
    summary = {
        "accepted": stats.accepted,
        "flood_replies": stats.flood_replies,
        "sends_in_ban": stats.sends_in_ban,
        "repeat_chats": duplicates,
        "errors": dict(stats.errors),
    }
    print(json.dumps(summary), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
