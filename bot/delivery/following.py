"""Messages follow their article: the sender's side of edits and retractions.

An 'edit' row renders its article when it goes (so it carries the latest version) in the
format its push went out in: a photo push gets `editMessageCaption`, or
`editMessageMedia` when the image changed (one that lost its image keeps its photo); a
text push gets `editMessageText` (a `preview` push with its large preview, of the image it
has now). A new image that Telegram refuses leaves the photo as
it is and edits the caption alone (as a refused image sends a first push as text).
Nothing visible changed: no request. A 'retract' row deletes the message while Telegram
allows (48 hours after the send), else, or when Telegram says it can no longer be
deleted, edits it to a withdrawn notice; only for an unpublished article: a message of an
article whose file was removed (pruned) stays as it is. Replies that say the work is done
or cannot be done end the row. What each message shows is kept by `shown_messages`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import InputMediaPhoto, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.delivery.refusals import IMAGE_REFUSALS, NOT_MODIFIED, matches
from bot.delivery.rendering import (
    Push,
    render_compact,
    render_preview,
    render_push,
    render_withdrawn,
)
from bot.delivery.shown_messages import ShownMessages
from bot.foundation.translations import feed_words
from storage import Article, Delivery, Store
from storage.followups import DELETED, NOTICE, FollowTarget, Shown

log = logging.getLogger(__name__)

# Telegram deletes a bot's message up to 48 hours after it was sent; keep 10 minutes for
# the queue and for clocks that disagree
DELETE_WINDOW = 48 * 3600.0 - 600.0
MESSAGE_GONE = ("message to edit not found", "message to delete not found")
MESSAGE_KEPT = ("message can't be deleted", "message can't be edited")
UNDELETABLE = ("message can't be deleted",)  # past Telegram's 48 hours: the notice instead


class Unneeded(Exception):
    """The row has nothing to do: its message is gone or already shows this version."""


class Follower:
    """Sends edit and retract rows, telling `shown` what each message shows after."""

    def __init__(
        self,
        store: Store,
        bot: ExtBot[Any],
        shown: ShownMessages,
        *,
        rate_limit_args: Any,
        clock: Callable[[], float],
    ) -> None:
        self.store = store
        self.bot = bot
        self.shown_messages = shown
        self.rate_limit_args = rate_limit_args
        self.clock = clock

    async def send(self, row: Delivery) -> int:
        """Edit or retract the message of the push `row.target_id`; its message id."""
        assert row.target_id is not None and row.article_id is not None
        target = self.store.followups.target(row.target_id)
        stored = self.store.listing.article(row.article_id)
        if target is None or stored is None:
            raise Unneeded
        left: str | None = None  # what a retraction leaves of the message
        try:
            if row.kind == "edit" and stored.visible:
                await self._edit(row, target, stored.article)
            elif row.kind == "retract" and not stored.visible:
                left = await self._retract(row, target, stored.article)
            else:
                raise Unneeded  # withdrawn or published again meanwhile: the other is queued
        except BadRequest as error:
            if matches(error, NOT_MODIFIED):
                # the message shows what was asked already (the request went before, its
                # answer lost to a timeout or a crash): recorded as if this one did it
                left = NOTICE  # (for an edit, `left` is not used)
            elif matches(error, MESSAGE_GONE + MESSAGE_KEPT):
                self.shown_messages.unchanged(row)
                log.info(
                    "%s of message %d in chat %d not done: %s",
                    row.kind,
                    target.message_id,
                    row.chat_id,
                    error,
                )
                left = DELETED if matches(error, MESSAGE_GONE) else None
            else:
                self.shown_messages.unchanged(row)
                raise
        except BaseException:
            self.shown_messages.unchanged(row)  # the message shows what it did before
            raise
        if row.kind == "retract" and left is not None:
            self.shown_messages.left(row, target.push_id, left)
        return target.message_id

    async def _edit(self, row: Delivery, target: FollowTarget, article: Article) -> None:
        shown = target.shown or _guess_shown(article)
        if shown.preview is not None:
            await self._edit_preview(row, target, shown, article)
            return
        if not shown.as_photo:
            # the look it was sent in: the compact line without a preview, or the full text
            html = (
                render_compact(article)
                if shown.compact
                else render_push(article, with_image=False).html
            )
            if html == shown.html:
                raise Unneeded
            preview = (
                LinkPreviewOptions(is_disabled=True)
                if shown.compact
                else LinkPreviewOptions(url=article.url)
            )
            self.shown_messages.will_show(
                row, target.push_id, Shown(False, None, html, shown.compact)
            )
            await self.bot.edit_message_text(
                html,
                row.chat_id,
                target.message_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=preview,
                rate_limit_args=self.rate_limit_args,
            )
            return
        push = render_push(article, caption=True)
        photo = push.photo_url or shown.photo  # an article that lost its image keeps the photo
        if photo == shown.photo and push.html == shown.html:
            raise Unneeded
        # what the message shows once a request goes (or was told it shows already)
        self.shown_messages.will_show(row, target.push_id, Shown(True, photo, push.html))
        if push.photo_url is not None and push.photo_url != shown.photo:
            try:
                await self._edit_media(row, target, push)
            except BadRequest as error:
                if not matches(error, IMAGE_REFUSALS):
                    raise
                # as a first push goes as text: the new words, under the photo it has
                log.info("image refused for %s (%s); editing the caption", article.url, error)
                if push.html == shown.html:
                    raise Unneeded from None
                self.shown_messages.will_show(
                    row, target.push_id, Shown(True, shown.photo, push.html)
                )
                await self._edit_caption(row, target, push.html)
        else:
            await self._edit_caption(row, target, push.html)

    async def _edit_preview(
        self, row: Delivery, target: FollowTarget, shown: Shown, article: Article
    ) -> None:
        """A `preview` push: its text, and the large preview of the image it has now."""
        push = render_preview(article)
        if (push.html, push.preview_url) == (shown.html, shown.preview):
            raise Unneeded
        self.shown_messages.will_show(
            row, target.push_id, Shown(False, None, push.html, False, push.preview_url)
        )
        await self.bot.edit_message_text(
            push.html,
            row.chat_id,
            target.message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=large_preview(push.preview_url),
            rate_limit_args=self.rate_limit_args,
        )

    async def _retract(self, row: Delivery, target: FollowTarget, article: Article) -> str:
        """Delete the message, or edit it to the withdrawn notice; which of the two."""
        if self.clock() - target.sent_at < DELETE_WINDOW:
            try:
                await self.bot.delete_message(
                    row.chat_id, target.message_id, rate_limit_args=self.rate_limit_args
                )
                return DELETED
            except BadRequest as error:
                if not matches(error, UNDELETABLE):
                    raise
                # too old by Telegram's clock (ours lost time, or the two differ)
                log.info("chat %d: %s; the withdrawn notice instead", row.chat_id, error)
        if article.published:
            # its file was removed, not unpublished: an operator pruning old files wants
            # them out of the listings (done), not a notice edited into every old message
            raise Unneeded
        language = self.store.settings.get(row.feed_id).language
        notice = render_withdrawn(article, feed_words(language))
        shown = target.shown or _guess_shown(article)
        self.shown_messages.will_show(
            row, target.push_id, Shown(shown.as_photo, shown.photo, notice, shown.compact)
        )
        if shown.as_photo:
            # a photo cannot become a text: the photo stays, under the notice
            await self._edit_caption(row, target, notice)
        else:
            await self.bot.edit_message_text(
                notice,
                row.chat_id,
                target.message_id,
                parse_mode=ParseMode.HTML,
                rate_limit_args=self.rate_limit_args,
            )
        return NOTICE

    async def _edit_media(self, row: Delivery, target: FollowTarget, push: Push) -> None:
        assert push.photo_url is not None
        media = InputMediaPhoto(push.photo_url, caption=push.html, parse_mode=ParseMode.HTML)
        await self.bot.edit_message_media(
            media, row.chat_id, target.message_id, rate_limit_args=self.rate_limit_args
        )

    async def _edit_caption(self, row: Delivery, target: FollowTarget, html: str) -> None:
        await self.bot.edit_message_caption(
            row.chat_id,
            target.message_id,
            caption=html,
            parse_mode=ParseMode.HTML,
            rate_limit_args=self.rate_limit_args,
        )


def large_preview(url: str | None) -> LinkPreviewOptions:
    """`link_preview_options` of a `preview` push: that link, large, above the text."""
    return LinkPreviewOptions(url=url, prefer_large_media=True, show_above_text=True)


def _guess_shown(article: Article) -> Shown:
    """A push sent before sends were recorded: as it most likely went (photo if it had one)."""
    push = render_push(article)
    return Shown(push.photo_url is not None, push.photo_url, None)
