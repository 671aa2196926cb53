"""The sender: works through the outbox and turns every Telegram reply into a row state.

Delivery is at-least-once. A row is claimed (`sending`) just before its request and
settled right after the reply. If the process dies in between, or a send times out,
the row goes again, so a chat can get that push twice; at most `window` rows are in
flight at once, which bounds the duplicates one crash can cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from telegram import LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.digests import FeedDelivery
from bot.metrics import Metrics
from bot.pacing import FloodPacer, PaceArgs, retry_seconds
from bot.rendering import Push, render_compact, render_push, visible_text
from storage import Delivery, Store
from storage.digests import DIGEST
from storage.models import StoredArticle

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# our pacer hands a 429 back to us at once, so the row waits in the outbox, not in memory
DEFAULT_PACE_ARGS: PaceArgs = {"retries": 0}
# a row in flight at a crash may have reached its chat just before: resend after one
# group interval (3 s at 20/min), so the resend does not break the chat's own limit
RECOVERY_DELAY = 3.5
IMAGE_REFUSALS = (
    "failed to get http url content",
    "wrong type of the web page content",
    "wrong file identifier",
    "photo_invalid_dimensions",
    "image_process_failed",
    "wrong remote file identifier",
)
MARKUP_REFUSALS = ("can't parse entities", "message is too long", "caption is too long")
GONE_CHAT = ("chat not found",)
GONE_THREAD = ("message thread not found",)
MARKUP_RETRY = "refused markup"


class Sender:
    """Moves outbox rows to Telegram within the flood limits, `window` at a time."""

    def __init__(
        self,
        store: Store,
        bot: ExtBot[Any],
        pacer: FloodPacer | None,
        *,
        window: int,
        metrics: Metrics,
        rate_limit_args: Any = DEFAULT_PACE_ARGS,
        clock: Callable[[], float] = time.time,
        feeds: FeedDelivery | None = None,
        paid_broadcast: bool = False,
    ) -> None:
        self.store = store
        # per-feed look, sound and timing (settings); digests go through here too
        self.feeds = feeds or FeedDelivery(store)
        self.bot = bot
        self.pacer = pacer
        self.window = window
        self.rate_limit_args = rate_limit_args
        # NEWSBOT_PAID_BROADCAST: pushes may exceed 30/s, paid in Stars (None: not sent)
        self.allow_paid_broadcast = True if paid_broadcast else None
        self.clock = clock
        self.metrics = metrics
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[int, tuple[Delivery, asyncio.Task[None]]] = {}
        # the stored articles of recent rows: a fan-out reads its article once
        self._articles_cache: OrderedDict[int, StoredArticle | None] = OrderedDict()
        self.alive = False

    def wake(self) -> None:
        """New rows may be ready (queued, resumed): look now instead of at the next timer."""
        self._wake.set()

    def forget_article(self, article_id: int) -> None:
        """The article was edited: read it afresh for the pushes still to go."""
        self._articles_cache.pop(article_id, None)

    def withdraw(self, article_id: int) -> None:
        """The article was unpublished or deleted: stop its sends that have not gone yet."""
        self._articles_cache.pop(article_id, None)
        for delivery, task in list(self._in_flight.values()):
            if delivery.article_id == article_id:
                task.cancel()

    async def run(self) -> None:
        """Send until `stop()`; resumes rows left `sending` by a crash."""
        now = self.clock()
        recovered = self.store.outbox.recover_in_flight(now, now + RECOVERY_DELAY)
        if recovered:
            log.warning(
                "%d pushes were in flight when the bot stopped; sending them again", recovered
            )
        self.alive = True
        try:
            while not self._stopping:
                try:
                    await self._fill_window()
                except sqlite3.OperationalError:  # e.g. the disk is full: wait, then go on
                    log.exception("the outbox cannot be read; trying again in a second")
                    await asyncio.sleep(1.0)
        finally:
            self.alive = False

    async def stop(self, grace: float) -> None:
        """Take no new rows; let those in flight finish, or put them back after `grace` s."""
        self._stopping = True
        self._wake.set()
        tasks = [task for _, task in self._in_flight.values()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _fill_window(self) -> None:
        self._wake.clear()
        free = self.window - len(self._in_flight)
        now = self.clock()
        rows: list[Delivery] = []
        if free > 0 and not self.store.flags.paused:
            self.feeds.release_due(now)
            rows = self.store.outbox.ready(free, now, self._busy_chats())
        for row in rows:
            if self.feeds.hold(row, now):
                continue
            if self.store.outbox.claim(row.id, now):
                task = asyncio.create_task(self._deliver(row))
                self._in_flight[row.id] = (row, task)
                task.add_done_callback(functools.partial(self._settled, row.id))
        if rows and len(self._in_flight) < self.window:
            return  # there may be more ready right away
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_timeout(now))

    def _settled(self, key: int, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(key, None)
        self._wake.set()

    def _busy_chats(self) -> set[int]:
        """Chats with a send in flight, or that the pacer holds for a while yet."""
        busy = {delivery.chat_id for delivery, _ in self._in_flight.values()}
        if self.pacer is not None:
            busy |= self.pacer.held_chats(lookahead=0.05)
        return busy

    def _idle_timeout(self, now: float) -> float:
        due = _earliest(self.store.outbox.next_due(), self.feeds.next_release())
        if due is None or due <= now:
            return 0.25 if self._in_flight or due is not None else 5.0
        return min(max(due - now, 0.01), 5.0)

    async def _deliver(self, row: Delivery) -> None:
        started = self.clock()
        try:
            message_id = await self._send(row)
        except asyncio.CancelledError:
            self._cancelled(row)
            raise
        except _Withdrawn:
            self._cancelled(row)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            self.metrics.flood_replies.inc()
            self._retry(row, f"flood limit: retry after {seconds:.0f}s", started + seconds)
        except Forbidden as error:
            self._chat_gone(row, str(error))
        except ChatMigrated as error:
            log.info("chat %s became supergroup %s; moving it", row.chat_id, error.new_chat_id)
            self.store.chats.migrate(row.chat_id, error.new_chat_id)
            self._retry(row, "chat migrated", 0.0, count=False)
        except BadRequest as error:
            self._refused(row, error)
        except TimedOut:
            # the message may have arrived: at-least-once means we send it again
            self._retry(row, "timed out (may have been delivered)", self._backoff(row))
        except NetworkError as error:
            self._retry(row, f"network: {error}", self._backoff(row))
        except Exception as error:  # the top of a send task: a bug must not strand the row
            log.exception("delivery %d failed unexpectedly", row.id)
            self._retry(row, f"unexpected: {error!r}", self._backoff(row))
        else:
            now = self.clock()
            self.store.outbox.mark_sent(row.id, message_id, now)
            self.metrics.sent.inc()
            self.metrics.send_latency.observe(now - started)

    async def _send(self, row: Delivery) -> int | None:
        if row.kind == DIGEST:
            message_id = await self.feeds.send_digest(
                self.bot, row, self.rate_limit_args, paid=self.allow_paid_broadcast
            )
            if message_id is None:
                raise _Withdrawn  # every article of it was withdrawn
            return message_id
        if row.article_id is None:
            message = await self.bot.send_message(
                row.chat_id,
                row.text or "",
                message_thread_id=_thread(row),
                rate_limit_args=self.rate_limit_args,
            )
            return message.message_id
        stored = self._article(row.article_id)
        if stored is None or not stored.visible:
            raise _Withdrawn  # unpublished or deleted between queueing and now
        look = self.feeds.settings_of(row.feed_id).format
        if (row.last_error or "").startswith(MARKUP_RETRY):
            # Telegram refused our HTML once: this time the same words as plain text
            text = visible_text(render_push(stored.article, with_image=False).html)
            message = await self.bot.send_message(
                row.chat_id,
                text,
                message_thread_id=_thread(row),
                disable_notification=self._silent(row),
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
            return message.message_id
        if look == "compact":
            message = await self.bot.send_message(
                row.chat_id,
                render_compact(stored.article),
                message_thread_id=_thread(row),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=self._silent(row),
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
            return message.message_id
        push = render_push(stored.article, with_image=look == "photo")
        if push.photo_url is not None:
            try:
                return (await self._send_push(row, push, stored)).message_id
            except BadRequest as error:
                if not _matches(error, IMAGE_REFUSALS):
                    raise
                log.info("image refused for %s (%s); sending as text", stored.article.url, error)
                push = render_push(stored.article, with_image=False)
        return (await self._send_push(row, push, stored, large=look == "text")).message_id

    async def _send_push(
        self, row: Delivery, push: Push, stored: StoredArticle, *, large: bool = False
    ) -> Message:
        if push.photo_url is not None:
            return await self.bot.send_photo(
                row.chat_id,
                push.photo_url,
                message_thread_id=_thread(row),
                caption=push.html,
                parse_mode=ParseMode.HTML,
                disable_notification=self._silent(row),
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
        return await self.bot.send_message(
            row.chat_id,
            push.html,
            message_thread_id=_thread(row),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(
                url=stored.article.url, prefer_large_media=True if large else None
            ),
            disable_notification=self._silent(row),
            allow_paid_broadcast=self.allow_paid_broadcast,
            rate_limit_args=self.rate_limit_args,
        )

    def _silent(self, row: Delivery) -> bool | None:
        """`disable_notification` for the row's feed (left out of the request when off)."""
        return True if self.feeds.settings_of(row.feed_id).silent else None

    def _article(self, article_id: int) -> StoredArticle | None:
        if article_id in self._articles_cache:
            self._articles_cache.move_to_end(article_id)
            return self._articles_cache[article_id]
        stored = self.store.listing.article(article_id)
        self._articles_cache[article_id] = stored
        if len(self._articles_cache) > 256:
            self._articles_cache.popitem(last=False)
        return stored

    def _refused(self, row: Delivery, error: BadRequest) -> None:
        if _matches(error, GONE_CHAT):
            self._chat_gone(row, str(error))
        elif _matches(error, GONE_THREAD) and row.thread_id:
            self._thread_gone(row)
        elif _matches(error, MARKUP_REFUSALS) and not (row.last_error or "").startswith(
            MARKUP_RETRY
        ):
            # rendering guarantees valid, short HTML; if Telegram disagrees, it is our bug
            log.error("Telegram refused our HTML for delivery %d: %s", row.id, error)
            self._retry(row, f"{MARKUP_RETRY}: {error}", 0.0)
        else:
            log.error("delivery %d to chat %d refused: %s", row.id, row.chat_id, error)
            self.store.outbox.mark_failed(row.id, f"refused: {error}", self.clock())
            self._count_failure("refused")

    def _count_failure(self, reason: str) -> None:
        self.metrics.failed.labels(reason).inc()

    def _chat_gone(self, row: Delivery, reason: str) -> None:
        log.info("chat %d is gone (%s); no more pushes to it", row.chat_id, reason)
        self.store.outbox.mark_failed(row.id, f"chat gone: {reason}", self.clock())
        self.store.chats.deactivate(row.chat_id)
        self._count_failure("chat gone")

    def _thread_gone(self, row: Delivery) -> None:
        """The forum topic was deleted: its feed moves to General and the row goes there."""
        moved = self.store.feeds.move_to_general(row.feed_id)
        log.warning(
            "thread %d of chat %d is gone; its feed moved to General (%s queued pushes)",
            row.thread_id,
            row.chat_id,
            moved,
        )
        # the row itself moved too, unless General had this push already: then it is gone
        self._retry(row, "thread gone: moved to General", 0.0, count=False)

    def _cancelled(self, row: Delivery) -> None:
        if self._stopping:
            self.store.outbox.release_if_sending(row.id, self.clock())
        else:
            self.store.outbox.cancel_if_sending(row.id, self.clock())

    def _retry(self, row: Delivery, reason: str, not_before: float, *, count: bool = True) -> None:
        now = self.clock()
        if count and row.attempts + 1 >= MAX_ATTEMPTS:
            self.store.outbox.mark_failed(row.id, f"gave up: {reason}", now)
            self._count_failure("gave up")
            return
        self.store.outbox.mark_retry(row.id, reason, not_before, now)

    def _backoff(self, row: Delivery) -> float:
        """1, 2, 4 ... seconds after each failed attempt, at most 5 minutes."""
        return self.clock() + min(2.0 ** (row.attempts - 1), 300.0)


class _Withdrawn(Exception):
    """The article of a row is no longer visible."""


def _earliest(*moments: float | None) -> float | None:
    return min((moment for moment in moments if moment is not None), default=None)


def _thread(row: Delivery) -> int | None:
    """The forum thread to post in; None (not sent) for the chat itself."""
    return row.thread_id or None


def _matches(error: BadRequest, phrases: tuple[str, ...]) -> bool:
    text = str(error).lower()
    return any(phrase in text for phrase in phrases)
