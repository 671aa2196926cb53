"""The update guard: each update acted on once, and a user who floods the bot slowed down."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chat.languages import words_of
from storage import Store

log = logging.getLogger(__name__)

USER_BURST = 5  # commands a user may send at once ...
USER_REFILL_SECONDS = 3.0  # ... and one more every this many seconds


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


@dataclass
class UpdateGuard:
    """Acts on each update once (Telegram re-delivers a batch after a crash) and slows
    down a user who floods the bot with commands. The handled update ids are kept for
    `NEWSBOT_RETENTION_DAYS`, at least `storage.retention.UPDATE_WINDOW`: retention
    forgets them, not the guard."""

    store: Store
    buckets: dict[int, _Bucket] = field(default_factory=dict)

    async def check(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler; raises ApplicationHandlerStop to drop an update."""
        if not isinstance(update, Update):
            return
        if not self.store.chats.claim_update(update.update_id):
            log.info("update %d was handled before; ignoring the repeat", update.update_id)
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is None or update.message is None:
            return
        # when the user sent it, not when we got to it: our own replies are paced, and a
        # backlog of commands must not refill the bucket while it waits
        now = update.message.date.timestamp()
        if len(self.buckets) > 10_000:  # forget users whose bucket has long been full again
            horizon = now - USER_BURST * USER_REFILL_SECONDS
            self.buckets = {k: b for k, b in self.buckets.items() if b.at > horizon}
        bucket = self.buckets.setdefault(user.id, _Bucket(USER_BURST, now))
        bucket.tokens = min(USER_BURST, bucket.tokens + (now - bucket.at) / USER_REFILL_SECONDS)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return
        if not bucket.warned:
            bucket.warned = True
            words = words_of(self.store, update)
            await update.message.reply_text(
                words.gettext("Slow down a little, please: too many commands.")
            )
        raise ApplicationHandlerStop
