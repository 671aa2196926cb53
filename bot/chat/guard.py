"""The update guard: each update acted on once, and whoever floods the bot slowed down.

One budget per acting identity, whatever the kind of update: commands, documents,
channel posts, edits, button presses and inline queries all draw on it. The identity is
the person, or the chat a message was sent on behalf of: every anonymous administrator
arrives as the same user (GroupAnonymousBot), every person posting as a channel as another
(Channel_Bot), each with `sender_chat` saying which group or channel it is. A budget holds
USER_BURST updates and refills one every USER_REFILL_SECONDS; an inline query (clients send
one as the person pauses in typing) costs INLINE_QUERY_COST of one. Telegram's notices of
a change (membership, a group becoming a supergroup) are never dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, filters

from bot.chat.languages import words_of
from bot.foundation.translations import N_
from storage import Store

log = logging.getLogger(__name__)

USER_BURST = 5  # updates an identity may send at once ...
USER_REFILL_SECONDS = 3.0  # ... and one more every this many seconds
INLINE_QUERY_COST = 0.25
MAX_BUCKETS = 10_000  # then the buckets long full again are forgotten
SLOW_DOWN = N_("Slow down a little, please: too many commands.")
# Telegram telling of a change rather than someone asking: dropping one would lose it
NOTICES = filters.StatusUpdate.ALL


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


def actor_of(update: Update) -> int | None:
    """Whose budget an update draws on: the chat a message was sent on behalf of (an
    anonymous admin's group, a channel), else the user who acted; None when no one did.
    A button press is the presser's, never the chat's that signed the message it sits on."""
    if update.callback_query is None:
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id
    user = update.effective_user
    return None if user is None else user.id


def is_notice(update: Update) -> bool:
    """Telegram telling of a change (a membership, a group upgraded, a member joined)."""
    if update.chat_member or update.my_chat_member or update.chat_join_request:
        return True
    return bool(NOTICES.check_update(update))


def sent_at(update: Update, clock: Callable[[], float]) -> float:
    """When the identity acted: a message's (or edit's) own date, so that a backlog of
    commands does not refill the budget while it waits; else now."""
    message = update.effective_message
    if update.callback_query is None and message is not None:
        when = message.edit_date or message.date
        return when.timestamp()
    return clock()


@dataclass
class UpdateGuard:
    """Acts on each update once (Telegram re-delivers a batch after a crash) and slows
    down whoever floods the bot. The handled update ids are kept for
    `NEWSBOT_RETENTION_DAYS`, at least `storage.retention.UPDATE_WINDOW`: retention
    forgets them, not the guard."""

    store: Store
    clock: Callable[[], float] = time.time
    buckets: dict[int, _Bucket] = field(default_factory=dict)

    async def check(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler; raises ApplicationHandlerStop to drop an update."""
        if not isinstance(update, Update):
            return
        if not self.store.chats.claim_update(update.update_id):
            log.info("update %d was handled before; ignoring the repeat", update.update_id)
            raise ApplicationHandlerStop
        actor = actor_of(update)
        if actor is None or is_notice(update):
            return
        cost = INLINE_QUERY_COST if update.inline_query is not None else 1.0
        if self.allows(actor, sent_at(update, self.clock), cost):
            return
        await self._slow_down(update, actor)
        raise ApplicationHandlerStop

    def allows(self, actor: int, now: float, cost: float = 1.0) -> bool:
        """Whether `actor`'s budget has `cost` left at `now`, taking it when it has."""
        if len(self.buckets) > MAX_BUCKETS:
            horizon = now - USER_BURST * USER_REFILL_SECONDS
            self.buckets = {k: b for k, b in self.buckets.items() if b.at > horizon}
        bucket = self.buckets.setdefault(actor, _Bucket(USER_BURST, now))
        # message dates are whole seconds, presses are timed on arrival: never backwards
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(USER_BURST, bucket.tokens + elapsed / USER_REFILL_SECONDS)
        bucket.at = max(bucket.at, now)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            bucket.warned = False
            return True
        return False

    async def _slow_down(self, update: Update, actor: int) -> None:
        """Say once per flood, where the identity sees an answer, that it is slowed down
        (an edit or an inline query has no answer to say it in)."""
        bucket = self.buckets[actor]
        message = update.message or update.channel_post
        if bucket.warned or (update.callback_query is None and message is None):
            return
        bucket.warned = True
        log.info("slowing down %d: too many updates at once", actor)
        text = words_of(self.store, update).gettext(SLOW_DOWN)
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif message is not None:
            await message.reply_text(text)
