"""What Telegram's answer to a send does to its outbox row: retried, failed, moved.

The sender (`bot.delivery.sender`) catches the answer; this settles the row. Every write goes
through `Settlements`, so a database that refuses writes only delays them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from telegram.error import BadRequest

from bot.delivery.refusals import matches
from bot.delivery.settlements import Settlements
from bot.foundation.backoff import Backoff
from bot.foundation.metrics import Metrics
from storage import Delivery, Store

log = logging.getLogger("bot.delivery.sender")

MARKUP_REFUSALS = ("can't parse entities", "message is too long", "caption is too long")
GONE_CHAT = ("chat not found",)
GONE_THREAD = ("message thread not found",)


class Outcomes:
    """Row states from Telegram's answers, written in order through `settlements`."""

    def __init__(
        self,
        store: Store,
        settlements: Settlements,
        metrics: Metrics,
        clock: Callable[[], float],
        backoff: Backoff,
    ) -> None:
        self.store = store
        self.settlements = settlements
        self.metrics = metrics
        self.clock = clock
        self.retries = backoff  # after network errors, timeouts, 5xx

    def refused(self, row: Delivery, error: BadRequest) -> None:
        if matches(error, GONE_CHAT):
            self.chat_gone(row, str(error))
        elif matches(error, GONE_THREAD) and row.thread_id:
            self.thread_gone(row)
        elif matches(error, MARKUP_REFUSALS) and not row.plain:
            # rendering guarantees valid, short HTML; if Telegram disagrees, it is our bug
            log.error("Telegram refused our HTML for delivery %d: %s", row.id, error)
            mark = self.store.outbox.retry_as_plain
            self.settlements.write(functools.partial(mark, row.id, str(error), self.clock()))
        else:
            log.error("delivery %d to chat %d refused: %s", row.id, row.chat_id, error)
            self.fail(row, f"refused: {error}", "refused")

    def chat_gone(self, row: Delivery, reason: str) -> None:
        log.info("chat %d is gone (%s); no more pushes to it", row.chat_id, reason)
        self.fail(row, f"chat gone: {reason}", "chat gone")
        self.settlements.write(functools.partial(self.store.chats.deactivate, row.chat_id))

    def thread_gone(self, row: Delivery) -> None:
        """The forum topic was deleted: its feed moves to General and the row goes there."""
        self.settlements.write(functools.partial(self._move_to_general, row))
        # the row itself moved too, unless General had this push already: then it is gone
        self.retry(row, "thread gone: moved to General", 0.0, count=False)

    def _move_to_general(self, row: Delivery) -> None:
        moved = self.store.feeds.move_to_general(row.feed_id)
        log.warning(
            "thread %d of chat %d is gone; its feed moved to General (%s queued pushes)",
            row.thread_id,
            row.chat_id,
            moved,
        )

    def fail(self, row: Delivery, error: str, reason: str) -> None:
        self.settlements.write(
            functools.partial(self.store.outbox.mark_failed, row.id, error, self.clock())
        )
        self.metrics.failed.labels(reason).inc()

    def cancelled(self, row: Delivery, *, stopping: bool) -> None:
        settle = self.store.outbox.release_if_sending
        if not stopping:
            settle = self.store.outbox.cancel_if_sending
        self.settlements.write(functools.partial(settle, row.id, self.clock()))

    def flood_wait(self, row: Delivery, seconds: float) -> None:
        """Telegram said wait `seconds` (a flood limit): the row goes again after them."""
        wait = self.store.outbox.wait_out_flood
        self.settlements.write(functools.partial(wait, row.id, seconds, self.clock()))

    def retry(self, row: Delivery, reason: str, not_before: float, *, count: bool = True) -> None:
        mark = self.store.outbox.mark_retry
        self.settlements.write(
            functools.partial(mark, row.id, reason, not_before, self.clock(), count=count)
        )

    def backoff(self, row: Delivery) -> float:
        """When a row that failed may go again: the backoff after its attempts so far."""
        return self.clock() + self.retries.delay(row.attempts + 1)
