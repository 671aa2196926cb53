"""What the stand-in holds: its rules, what it accepted, the chats it knows, its queues.

Every part of the server (updates, chats, messages, flood limits) reads and changes this
one state, under `_cond` while a request is answered.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.standin.wire import TOKEN

# what getUpdates answers instead of updates: (status, description[, parameters])
PollError = tuple[int, str] | tuple[int, str, dict[str, Any]]


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
    at: float  # when the stand-in accepted it, after its checks
    message_id: int
    arrived: float = 0.0  # when its request reached the stand-in: the bot's part ends there


@dataclass
class Stats:
    accepted: int = 0
    flood_replies: int = 0
    sends_in_ban: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    floods: list[tuple[float, int, str]] = field(default_factory=list)  # (when, chat, scope)


class State:
    """The stand-in's state; `StandIn` adds the parts that answer requests."""

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
        self.arrived = 0.0  # when the request being answered reached the stand-in
        self.stats = Stats()
        self.blocked: dict[int, str] = {}
        self.missing: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.chats: dict[int, dict[str, Any]] = {}  # what getChat knows, by id
        self.creators: dict[int, int] = {}  # chat -> its creator's user id
        self.bot_members: dict[int, dict[str, Any]] = {}  # chat -> the bot's own member
        self.member_chat_types: dict[int, str] = {}  # ... and that chat's type
        self.gone_threads: set[tuple[int, int]] = set()  # (chat, thread) deleted topics
        self.failures: deque[tuple[Callable[[str, dict[str, Any]], bool], int, str]] = deque()
        self.commands: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}  # file_id -> content, sent or uploaded
        self.inline_queries: dict[str, Any] = {}  # id -> `inline.InlineQuery`
        self.polls = 0
        self.delays: deque[tuple[Callable[[str, dict[str, Any]], bool], float]] = deque()
        self._conflict = False
        self._poll_error: PollError | None = None
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

    def chat_of(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        """The chat as a message in it shows it: the one `add_chat` made, else a plain one."""
        return self.chats.get(chat_id) or {"id": chat_id, "type": chat_type, "title": "chat"}

    def signed(self, message: dict[str, Any]) -> dict[str, Any]:
        """`message` as Telegram sends it: every post in a channel, the bot's own included,
        carries the channel as `sender_chat`."""
        if message["chat"]["type"] == "channel":
            message["sender_chat"] = message["chat"]
        return message

    @property
    def conflict(self) -> bool:
        """getUpdates is answered 409, as when another process polls with the token; a
        long poll in flight gets it at once, as Telegram ends the older of two polls."""
        return self._conflict

    @conflict.setter
    def conflict(self, on: bool) -> None:
        self._conflict = on
        self._wake_pollers()

    @property
    def poll_error(self) -> PollError | None:
        """getUpdates is answered with this (status, description[, parameters]) until
        cleared: 409, 502, 401, a 429 with its retry_after...; a long poll in flight gets
        it at once (a front end that goes down drops the requests it holds, and a second
        poller ends the first one's)."""
        return self._poll_error

    @poll_error.setter
    def poll_error(self, error: PollError | None) -> None:
        self._poll_error = error
        self._wake_pollers()

    def _wake_pollers(self) -> None:
        """Let a long poll waiting in the server's loop look at the updates again."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._new_update is not None:
            loop.call_soon_threadsafe(self._new_update.set)
