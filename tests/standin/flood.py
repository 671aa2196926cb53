"""Telegram's flood limits: sliding windows over all chats and per chat, then 429s with
retry_after, and a ban that answers every request 429 until it is over."""

from __future__ import annotations

import time

from aiohttp import web

from tests.standin.state import FloodRules, State
from tests.standin.wire import error

__all__ = ["Flood", "FloodRules"]


class Flood(State):
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
        return error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
