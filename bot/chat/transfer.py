"""`/export` and `/import`: a feed's topics, filters and settings as a small YAML document
(`bot.chat.exports`).

An import is read whole (size-capped, safe YAML), checked whole, and applied in one
transaction: an unknown key or a bad value refuses all of it, with the reason. What the
document lacks stays as it was. The reply says what changed, and the way back is the feed
as it was, sent as an export: sent back with /import, it undoes the import. (A document
rather than an undo button: it keeps, in the chat's history, across restarts and later
changes, needs no state of ours, and goes through the same checks as any import.)
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from html import escape, unescape

from telegram import Document, Message, Update
from telegram.ext import ContextTypes

from bot.chat.exports import FeedExport, ImportRefused, changes, export_yaml, parse_import
from bot.chat.languages import words_of
from bot.chat.openings import command
from bot.chat.replies import reply_html
from bot.chat.targets import Target, Targets
from bot.foundation.translations import N_, Words
from storage import Feed, Store

MAX_IMPORT_BYTES = 64 * 1024
FILE_NAME = "newsbot-settings.yaml"
UNDO_FILE_NAME = "newsbot-settings-before-import.yaml"
# the bot's own words here, in one place for translation (English message ids)
EXPORT_CAPTION = N_(
    "This chat's topics, filters and settings. Send it back with the caption /import."
)
EXPORT_CAPTION_OF = N_(
    "The topics, filters and settings of {chat}. Send it back with the caption /import "
    "(or /import {chat})."
)
IMPORT_USAGE = N_(
    "Send an exported document with the caption /import (or /import @chat), or reply "
    "/import to that document."
)
IMPORT_TOO_LARGE = N_("the document is too large to be a newsbot export (at most {kib} KiB).")
IMPORT_REFUSED = N_("Nothing was imported: {reason}")
IMPORT_DONE = N_("Imported. What changed here:")
IMPORT_DONE_IN = N_("Imported into {chat}. What changed there:")
IMPORT_SAME = N_("Nothing to change: this chat has what the document holds already.")
IMPORT_SAME_IN = N_("Nothing to change: {chat} has what the document holds already.")
UNDO_CAPTION = N_(
    "This chat as it was before the import. Send this back with the caption /import to undo it."
)
UNDO_CAPTION_OF = N_(
    "{chat} as it was before the import. Send this back with the caption /import {chat} to undo it."
)
NONE = N_("none")


class TransferCommands:
    """Handlers for `/export` and `/import`."""

    def __init__(
        self, store: Store, targets: Targets, changed: Callable[[int, float], None]
    ) -> None:
        self.store = store
        self.targets = targets
        self.changed = changed

    @command()
    async def export_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """This chat's (or the @chat's) topics, filters and settings as a YAML document."""
        message = update.effective_message
        assert message is not None
        await _send(message, self._export(target.feed), FILE_NAME, _caption(words, target))

    @command()
    async def import_command(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        target: Target,
        _args: tuple[str, ...],
    ) -> None:
        """Apply an exported document sent with the caption /import [@chat], or replied to,
        to this chat or the @chat named: what it holds replaces the feed's own, what it
        lacks stays; the reply says what changed and sends the feed as it was."""
        message = update.effective_message
        assert message is not None
        document = message.document or (
            message.reply_to_message.document if message.reply_to_message else None
        )
        if document is None:
            await reply_html(update, words.gettext(IMPORT_USAGE))
            return
        if not await self.targets.may_change(update, context, target, words):
            return
        before = self._export(target.feed)
        try:
            after = parse_import(await _download(document), before)
        except ImportRefused as error:
            text = words.gettext(IMPORT_REFUSED).format(reason=error.said(words))
            await reply_html(update, escape(text, quote=False))
            return
        if not changes(before, after, ""):
            same = words.gettext(IMPORT_SAME_IN if target.remote else IMPORT_SAME)
            await reply_html(update, same.format(chat=target.name))
            return
        self._apply(target.feed.id, after)
        words = words_of(self.store, update)  # the imported language, if it has one here
        done = words.gettext(IMPORT_DONE_IN if target.remote else IMPORT_DONE)
        lines = [done.format(chat=target.name)] + [
            f"• {key}: {escape(value, quote=False)}"
            for key, value in changes(before, after, words.gettext(NONE))
        ]
        await reply_html(update, "\n".join(lines))
        await _send(message, before, UNDO_FILE_NAME, _undo_caption(words, target))

    def _export(self, feed: Feed) -> FeedExport:
        """The feed's follows, filters and settings as they are."""
        everything, topics = self.store.feeds.subscriptions(feed.id)
        return FeedExport(
            all_topics=everything,
            topics=tuple(topics),
            quality=feed.min_quality,
            mute=feed.muted,
            require=tuple(self.store.settings.required(feed.id)),
            settings=self.store.settings.get(feed.id),
        )

    def _apply(self, feed_id: int, export: FeedExport) -> None:
        feeds = self.store.feeds
        with self.store.db.atomic():
            feeds.set_all_topics(feed_id, False)  # drops the single topics too
            if export.all_topics:
                feeds.set_all_topics(feed_id, True)
            feeds.subscribe(feed_id, list(export.topics))
            feeds.clear_filters(feed_id)
            feeds.set_min_quality(feed_id, export.quality)
            for word in export.mute:
                feeds.mute(feed_id, word)
            self.store.settings.clear_required(feed_id)
            for word in export.require:
                self.store.settings.require(feed_id, word)
            self.store.settings.save(feed_id, export.settings)
        self.changed(feed_id, time.time())


async def _send(message: Message, export: FeedExport, name: str, caption: str) -> None:
    await message.reply_document(
        io.BytesIO(export_yaml(export).encode()), filename=name, caption=caption, do_quote=False
    )


def _undo_caption(words: Words, target: Target) -> str:
    """The caption of the feed as it was before an import: how to undo it."""
    if not target.remote:
        return words.gettext(UNDO_CAPTION)
    return words.gettext(UNDO_CAPTION_OF).format(chat=unescape(target.name))


def _caption(words: Words, target: Target) -> str:
    """The export's caption (plain text): what it holds, and how to send it back."""
    if not target.remote:
        return words.gettext(EXPORT_CAPTION)
    return words.gettext(EXPORT_CAPTION_OF).format(chat=unescape(target.name))


async def _download(document: Document) -> str:
    """The document's text, refused when too large or not UTF-8."""
    kib = MAX_IMPORT_BYTES // 1024
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    file = await document.get_file()
    if file.file_size is not None and file.file_size > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(IMPORT_TOO_LARGE, kib=kib)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(N_("it is not UTF-8 text")) from None
