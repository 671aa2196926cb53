"""Turning one outbox row into its Telegram request in its feed's look: a photo with a
caption, a text with a link preview, a compact line, a text under a large preview of its
image, plain text after Telegram refused
our HTML, a digest, or a broadcast.

A photo by URL makes Telegram fetch the image before it answers, which can take far
longer than a text: its read timeout is long (`PHOTO_READ_TIMEOUT`), so that a slow
image host does not make us give up on a send that is still going, and send it twice.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from telegram import LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.delivery.digesting import FeedDelivery
from bot.delivery.following import Follower, large_preview
from bot.delivery.refusals import IMAGE_REFUSALS, matches
from bot.delivery.rendering import (
    Push,
    render_compact,
    render_preview,
    render_push,
    visible_text,
)
from bot.delivery.settlements import Settlements
from bot.delivery.shown_messages import ShownMessages
from bot.delivery.story_threads import StoryThreads
from storage import Delivery, Store
from storage.digests import DIGEST
from storage.models import StoredArticle

log = logging.getLogger(__name__)

PHOTO_READ_TIMEOUT = 60.0
TAGS_NOTED = 1000  # (article, count) pairs whose hashtags left out were logged, newest kept


class Withdrawn(Exception):
    """The article of a row is no longer visible."""


class Poster:
    """Sends the message of an outbox row in its feed's look; reads each article once for
    a fan-out."""

    def __init__(
        self,
        store: Store,
        bot: ExtBot[Any],
        rate_limit_args: Any,
        feeds: FeedDelivery,
        *,
        paid_broadcast: bool,
        following: Follower,
        threads: StoryThreads,
        shown: ShownMessages,
        clock: Callable[[], float],
        settlements: Settlements,
    ) -> None:
        self.store = store
        self.settlements = settlements  # the sender's: a digest's marks, in order
        self.clock = clock  # the sender's: whether a broadcast's feed is in quiet hours
        self.following = following  # edits and retractions
        self.threads = threads  # which earlier message a story's new push replies to
        self.shown_messages = shown  # what each push's message shows, for later edits
        self.bot = bot
        self.rate_limit_args = rate_limit_args
        self.feeds = feeds
        self._tags_noted: OrderedDict[tuple[int, int], None] = OrderedDict()
        # NEWSBOT_PAID_BROADCAST: pushes may exceed 30/s, paid in Stars (None: not sent)
        self.allow_paid_broadcast = True if paid_broadcast else None
        # the stored articles of recent rows, with when each changed: a fan-out reads its
        # article once, and again when the writer changed it (before or without telling
        # us: a push sent after an edit's commit gets no edit of its own)
        self._articles_cache: OrderedDict[int, tuple[float | None, StoredArticle | None]] = (
            OrderedDict()
        )

    def forget_article(self, article_id: int) -> None:
        self._articles_cache.pop(article_id, None)

    async def post(self, row: Delivery) -> int | None:
        """Send the row's message; its message id. Raises PTB's errors, or `Withdrawn`."""
        if row.target_id is not None:
            return await self.following.send(row)
        if row.kind == DIGEST:
            message_id = await self.feeds.send_digest(
                self.bot,
                row,
                self.rate_limit_args,
                paid=self.allow_paid_broadcast,
                settle=self.settlements.write,
            )
            if message_id is None:
                raise Withdrawn  # every article of it was withdrawn before any went
            return message_id
        if row.article_id is None:  # an admin's /broadcast: paced like pushes, so paid too
            message = await self.bot.send_message(
                row.chat_id,
                row.text or "",
                message_thread_id=_thread(row),
                disable_notification=self.feeds.hushed(row.feed_id, self.clock()),
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
            return message.message_id
        return await self._post_article(row, row.article_id)

    async def _post_article(self, row: Delivery, article_id: int) -> int:
        """A push of an article in its feed's look; raises `Withdrawn` when it is gone."""
        stored = self._article(article_id)
        if stored is None or not stored.visible:
            raise Withdrawn  # unpublished or deleted between queueing and now
        look = self.feeds.settings_of(row.feed_id).format
        if row.plain:
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
            self.shown_messages.remember(row, None)
            return message.message_id
        reply = self.threads.reply_to(row, stored.article)
        if look == "compact":
            html = render_compact(stored.article)
            message = await self.bot.send_message(
                row.chat_id,
                html,
                message_thread_id=_thread(row),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                disable_notification=self._silent(row),
                reply_parameters=reply,
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
            self.shown_messages.remember(row, Push(html), compact=True)
            return message.message_id
        if look == "preview":
            push = render_preview(stored.article)
            return (await self._send_push(row, push, stored, reply)).message_id
        push = render_push(stored.article, with_image=look == "photo")
        if push.photo_url is not None:
            try:
                return (await self._send_push(row, push, stored, reply)).message_id
            except BadRequest as error:
                if not matches(error, IMAGE_REFUSALS):
                    raise
                log.info("image refused for %s (%s); sending as text", stored.article.url, error)
                push = render_push(stored.article, with_image=False)
        message = await self._send_push(row, push, stored, reply, large=look == "text")
        return message.message_id

    def _note_tags_left_out(self, push: Push, stored: StoredArticle) -> None:
        """One log line per article and count of hashtags left out for length, not one a push."""
        key = (stored.id, push.tags_left_out)
        if not push.tags_left_out or key in self._tags_noted:
            return
        self._tags_noted[key] = None
        if len(self._tags_noted) > TAGS_NOTED:
            self._tags_noted.popitem(last=False)
        log.info(
            "article %s: %d of its %d hashtags left out for length",
            stored.article.url,
            push.tags_left_out,
            len(stored.article.topics),
        )

    async def _send_push(
        self,
        row: Delivery,
        push: Push,
        stored: StoredArticle,
        reply: ReplyParameters | None,
        *,
        large: bool = False,
    ) -> Message:
        self._note_tags_left_out(push, stored)
        if push.photo_url is not None:
            message = await self.bot.send_photo(
                row.chat_id,
                push.photo_url,
                message_thread_id=_thread(row),
                caption=push.html,
                parse_mode=ParseMode.HTML,
                disable_notification=self._silent(row),
                reply_parameters=reply,
                read_timeout=PHOTO_READ_TIMEOUT,
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
        else:
            preview = (
                large_preview(push.preview_url)
                if push.preview_url is not None
                else LinkPreviewOptions(
                    url=stored.article.url, prefer_large_media=True if large else None
                )
            )
            message = await self.bot.send_message(
                row.chat_id,
                push.html,
                message_thread_id=_thread(row),
                parse_mode=ParseMode.HTML,
                link_preview_options=preview,
                disable_notification=self._silent(row),
                reply_parameters=reply,
                allow_paid_broadcast=self.allow_paid_broadcast,
                rate_limit_args=self.rate_limit_args,
            )
        self.shown_messages.remember(row, push)
        return message

    def _silent(self, row: Delivery) -> bool | None:
        """`disable_notification` for the row's feed (left out of the request when off)."""
        return True if self.feeds.settings_of(row.feed_id).silent else None

    def _article(self, article_id: int) -> StoredArticle | None:
        # the version first: an article read after it is never older than the version kept
        version = self.store.listing.changed_at(article_id)
        cached = self._articles_cache.get(article_id)
        if cached is not None and cached[0] == version:
            self._articles_cache.move_to_end(article_id)
            return cached[1]
        stored = self.store.listing.article(article_id)
        self._articles_cache[article_id] = (version, stored)
        self._articles_cache.move_to_end(article_id)
        if len(self._articles_cache) > 256:
            self._articles_cache.popitem(last=False)
        return stored


def _thread(row: Delivery) -> int | None:
    """The forum thread to post in; None (not sent) for the chat itself."""
    return row.thread_id or None
