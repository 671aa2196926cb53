"""Pacing every request to Telegram's flood limits, as a python-telegram-bot rate limiter.

Sends are spread evenly instead of burst and backed off: one global slot every
`MARGIN / per_second` seconds, and per chat one send every `CHAT_MARGIN /
private_per_second` s (private) or every `CHAT_MARGIN * 60 / group_per_minute` s (groups
and channels: negative ids), counted from when a send really starts.

Telegram counts a request when it arrives, and that may be well after the pacer let it
go: the event loop is late, the request waits on its way, a busy machine or network holds
it. Sends that left on time then bunch with late ones, over the limit. So a send is known
only to have arrived between its start and its answer, and the limits are kept for the
worst case: a send occupies one of `per_second` places in the global window from its start
until `MARGIN` seconds after its answer, and a chat's next send waits a whole gap after the
answer too. What every round trip spends on the wire (the shortest of the last minute) is
taken off the answer time (see `bot.delivery.round_trips`), so a constant latency costs no throughput;
only the jitter does.

A 429 does not say which limit it enforces. When nothing went to that chat lately it is
the global limit: every chat waits `retry_after`. When we wrote to the chat moments
before, it may be either: that chat waits `retry_after`, and every chat waits too, but at
most `SHARED_HOLD_CAP` seconds, so a short global ban is not sent into while an hours-long
wait for one chat stalls the others for only a few seconds. Nothing is sent into a
blocked scope.

The sender asks which chats are held on every wake-up, so that answer costs what the
chats held right now number (about rate x chat spacing), not every chat of the last
minute: a heap of release times, and the last minute's sends forgotten as they age. A
chat's own 429 block is forgotten when it ends (another heap), so chats that got hours
long waits and were never sent to again do not pile up over months.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypedDict

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.delivery.round_trips import RoundTrips

log = logging.getLogger(__name__)

# requests that put a message into a chat; everything else (getUpdates, answers) is not paced
PACED_ENDPOINTS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", "sendVideo",
        "sendAnimation", "sendAudio", "sendVoice", "sendSticker", "sendPoll", "sendLocation",
        "copyMessage", "forwardMessage", "copyMessages", "forwardMessages",
        # edits and deletions of sent messages count like sends (TELEGRAM.md)
        "editMessageText", "editMessageCaption", "editMessageMedia", "deleteMessage",
    }
)  # fmt: skip
# the global window is taken 1% longer than Telegram's second (clocks differ by that much)
MARGIN = 1.01
# per chat the limit rarely bounds throughput, and a request that waits in a queue on its
# way (a connection pool, a busy server) shortens the gap Telegram sees: keep 15%
CHAT_MARGIN = 1.15
RECENT = 60.0  # seconds a send is remembered: a group's 429 within it is that group's own
# a 429 for a chat we just wrote to may still be the global limit (bursts reach Telegram
# bunched when the machine is busy): hold every chat this long at most, to be safe
SHARED_HOLD_CAP = 5.0


class PaceArgs(TypedDict, total=False):
    """`rate_limit_args` of a request: how often to retry after a 429 (default 2)."""

    retries: int


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds, without PTB's int/timedelta deprecation warning."""
    value: Any = error._retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class FloodPacer(BaseRateLimiter[PaceArgs]):
    """Keeps every send inside the global, per-chat and per-group limits."""

    def __init__(
        self,
        per_second: float,
        private_per_second: float,
        group_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self._burst = max(1, int(per_second))
        self._spacing = MARGIN / per_second
        self._private_spacing = CHAT_MARGIN / private_per_second
        self._group_spacing = CHAT_MARGIN * 60.0 / group_per_minute
        # the least gap between two arrivals in one chat: Telegram's own, and a margin
        self._private_gap = MARGIN / private_per_second
        self._group_gap = MARGIN * 60.0 / group_per_minute
        self._clock = clock
        self._next_slot = 0.0
        # places in the global window: sends in flight, and when each answered one leaves
        self._in_flight = 0
        self._window_ends: list[float] = []  # a heap
        self._answer = asyncio.Event()  # set (and replaced) whenever a send leaves flight
        self._round_trips = RoundTrips(trusted=self._burst)
        self._chat_next: dict[int | str, float] = {}
        self._last_sent: dict[int | str, float] = {}
        self._blocked_all = 0.0
        self._blocked_chat: dict[int | str, float] = {}
        # when each chat's own block ends (a heap, stale entries skipped): a chat never sent
        # to again after an hours-long 429 is forgotten once it is over, not kept for ever
        self._block_ends: list[tuple[float, int, int | str]] = []
        self._block_order = itertools.count()  # ties on the time: never compare chat ids
        # chats that may not take a message yet, by when they may: a heap with stale
        # entries (a chat held again later) skipped, and each held chat's latest time
        self._releases: list[tuple[float, int]] = []
        self._held: dict[int, float] = {}
        self._sends: deque[tuple[float, int | str]] = deque()  # (start, chat), oldest first

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def blocked_until(self, chat_id: int | str) -> float:
        """Monotonic time before which nothing may go to this chat (0 when free)."""
        return max(self._blocked_all, self._blocked_chat.get(chat_id, 0.0))

    def chat_ready_at(self, chat_id: int | str) -> float:
        """When this chat could take its next message, by pacing and by blocks."""
        return max(self.blocked_until(chat_id), self._chat_next.get(chat_id, 0.0))

    def global_hold(self) -> float:
        """Seconds left of a 429 that holds every chat (0 when none does)."""
        return max(self._blocked_all - self._clock(), 0.0)

    def held_chats(self, lookahead: float) -> set[int]:
        """Chats that cannot take a message within `lookahead` seconds."""
        now = self._clock()
        self._forget_ended_blocks(now)
        horizon = now + lookahead
        while self._releases and self._releases[0][0] <= horizon:
            release, chat_id = heapq.heappop(self._releases)
            if self._held.get(chat_id) == release:
                del self._held[chat_id]
        held = set(self._held)
        if self._blocked_all > horizon:  # every chat is held: name those we know of
            held.update(chat for chat in self._chat_next if isinstance(chat, int))
        return held

    def tracked_chats(self) -> set[int | str]:
        """The chats the pacer keeps anything for: its memory follows the recent rate."""
        blocks = {chat_id for _end, _order, chat_id in self._block_ends}
        return {*self._last_sent, *self._chat_next, *self._blocked_chat, *blocks}

    def _hold(self, chat_id: int | str) -> None:
        """Put the chat's release time (its pace and its own block) on the heap."""
        if not isinstance(chat_id, int):
            return  # @username targets are never in the outbox's chat ids
        release = max(self._chat_next.get(chat_id, 0.0), self._blocked_chat.get(chat_id, 0.0))
        if release > self._held.get(chat_id, 0.0):
            self._held[chat_id] = release
            heapq.heappush(self._releases, (release, chat_id))

    def _forget_ended_blocks(self, now: float) -> None:
        """Drop the chats' own blocks that are over (amortised O(1))."""
        ends = self._block_ends
        while ends and ends[0][0] <= now:
            until, _, chat_id = heapq.heappop(ends)
            if self._blocked_chat.get(chat_id) == until:
                del self._blocked_chat[chat_id]

    def _forget_old_sends(self, now: float) -> None:
        """Drop what is kept of chats not sent to within RECENT seconds (amortised O(1))."""
        self._forget_ended_blocks(now)
        while self._sends and self._sends[0][0] < now - RECENT:
            started, chat_id = self._sends.popleft()
            if self._last_sent.get(chat_id) == started:
                del self._last_sent[chat_id]
                if self._chat_next.get(chat_id, 0.0) < now:
                    self._chat_next.pop(chat_id, None)
                if self._blocked_chat.get(chat_id, 0.0) < now:
                    self._blocked_chat.pop(chat_id, None)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: PaceArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint not in PACED_ENDPOINTS or chat_id is None:
            return await callback(*args, **kwargs)
        # a media group counts each item (editMessageMedia's `media` is one item)
        weight = max(1, len(data.get("media") or ())) if endpoint == "sendMediaGroup" else 1
        retries = (rate_limit_args or {}).get("retries", 2)
        while True:
            started = await self._wait_turn(chat_id, weight)
            try:
                result = await callback(*args, **kwargs)
            except BaseException as error:
                self._leave_window(chat_id, weight, started, answered=_is_answer(error))
                if not isinstance(error, RetryAfter):
                    raise
                self.note_flood(chat_id, retry_seconds(error))
                if retries <= 0:
                    raise
                retries -= 1
            else:
                self._leave_window(chat_id, weight, started, answered=True)
                return result

    def _leave_window(
        self, chat_id: int | str, weight: int, started: float, answered: bool
    ) -> None:
        """A send is over: it stays in the global window until `MARGIN` s after it can have
        reached Telegram at the latest, and its chat waits a whole gap after that too."""
        now = self._clock()
        self._give_back(weight)
        if answered:
            self._round_trips.add(now, now - started)
        arrived_by = now - self._round_trips.shortest(now) if answered else now
        for _ in range(weight):
            heapq.heappush(self._window_ends, arrived_by + MARGIN)
        gap = self._group_gap if _is_group(chat_id) else self._private_gap
        if chat_id in self._chat_next:  # else forgotten meanwhile (a send longer than RECENT)
            self._chat_next[chat_id] = max(self._chat_next[chat_id], arrived_by + gap * weight)
            self._hold(chat_id)

    def _give_back(self, weight: int) -> None:
        """A send is no longer in flight: wake whoever waits for that."""
        self._in_flight -= weight
        self._answer.set()
        self._answer = asyncio.Event()

    def note_flood(self, chat_id: int | str, seconds: float) -> None:
        """Block the scope a 429 came from."""
        now = self._clock()
        until = now + seconds
        last = self._last_sent.get(chat_id)
        recent_window = RECENT if _is_group(chat_id) else 3.0
        if last is not None and now - last < recent_window:
            if until > self._blocked_chat.get(chat_id, 0.0):
                self._blocked_chat[chat_id] = until
                heapq.heappush(self._block_ends, (until, next(self._block_order), chat_id))
            self._hold(chat_id)
            shared = min(seconds, SHARED_HOLD_CAP)
            self._blocked_all = max(self._blocked_all, now + shared)
            scope = f"chat {chat_id} (and every chat for {shared:.0f} s)"
        else:
            self._blocked_all = max(self._blocked_all, until)
            scope = "all chats"
        log.warning("Telegram flood limit: holding %s for %.0f s", scope, seconds)

    async def _wait_turn(self, chat_id: int | str, weight: int) -> float:
        """Waits until a send may start; returns when it starts, its place in the window taken."""
        spacing = self._group_spacing if _is_group(chat_id) else self._private_spacing
        while True:
            now = self._clock()
            ready = self.chat_ready_at(chat_id)
            if now < ready:
                await asyncio.sleep(ready - now)
                continue
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._spacing * weight
            self._chat_next[chat_id] = slot + spacing * weight
            self._hold(chat_id)
            if slot > now:
                await asyncio.sleep(slot - now)
            await self._take_place(weight)
            now = self._clock()
            if now < self.blocked_until(chat_id):
                self._give_back(weight)  # a 429 arrived while we waited: this slot is lost,
                continue  # wait again
            self._last_sent[chat_id] = now
            # the chat's next turn counts from when this send really starts: a late
            # start (a busy loop) must not shorten the gap Telegram sees
            self._chat_next[chat_id] = max(self._chat_next[chat_id], now + spacing * weight)
            self._hold(chat_id)
            self._sends.append((now, chat_id))
            self._forget_old_sends(now)
            return now

    async def _take_place(self, weight: int) -> None:
        """Waits for a place in the global window: fewer than `per_second` sends in flight
        or answered too recently to be sure Telegram's window has let them go."""
        ends = self._window_ends
        while True:
            now = self._clock()
            while ends and ends[0] <= now:
                heapq.heappop(ends)
            taken = self._in_flight + len(ends)
            if taken + weight <= self._burst or taken == 0:
                self._in_flight += weight
                return
            if ends:
                await asyncio.sleep(ends[0] - now)
            else:  # every place is a send in flight: the next answer changes that
                await self._answer.wait()


def _is_answer(error: BaseException) -> bool:
    """Whether a failed request was answered by Telegram (an error reply, a round trip)
    rather than not at all (a timeout, no connection, cancelled)."""
    return isinstance(error, TelegramError) and (
        isinstance(error, BadRequest) or not isinstance(error, NetworkError)
    )


def _is_group(chat_id: int | str) -> bool:
    # Telegram ids: users are positive, groups, supergroups and channels negative
    return isinstance(chat_id, str) or chat_id < 0
